#!/usr/bin/python3
"""Recomputes the energy-bound limit of recorded inferences independently of
the bench's C++ code, from the trace file and the recorded instruction count
of the plain inference, and compares it with what the database holds.

    /usr/bin/python3 tools/check_energy_bound.py DB CAMPAIGN [--json]

For one finished inference per policy (the one with the longest limit, so the
harvest, not the clock, decides it) it prints the
recorded and the recomputed limit and their relative difference; exit 1 when
any differs by more than 1e-6.

The limit (DESIGN.md): L* = max(N/f, t_E), where t_E is the first t at which
the usable stored energy plus efficiency x harvested energy over [0, t]
reaches the energy of the plain inference N/f x P_active. Storage starts at
V_on. The constants are the physical-assumptions table
(firmware/runtime/physical_assumptions.hpp).
"""
import argparse
import json
import math
import os
import sqlite3
import sys
import tomllib

CLOCK_HZ = 25e6
ACTIVE_W = 79e-6 * 25.0 * 3.0
DEFAULTS = {"v_on": 3.0, "v_off": 2.0, "v_max": 3.6, "efficiency": 0.8}


def load_trace(path):
    """(times, powers, period) of a trace CSV: sample and hold, repeating."""
    times, powers = [], []
    header = False
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not header:
                if line != "time_s,power_w":
                    sys.exit(f"{path}:{number}: expected the header time_s,power_w")
                header = True
                continue
            t, p = (float(x) for x in line.split(","))
            times.append(t)
            powers.append(p)
    return times, powers, times[-1]


def harvested_until(trace, needed):
    """First t with harvested(0..t) >= needed (already scaled by efficiency)."""
    times, powers, period = trace
    t0, have = 0.0, 0.0
    while True:
        for i in range(len(times) - 1):
            start, end, p = t0 + times[i], t0 + times[i + 1], powers[i]
            if p > 0 and have + p * (end - start) >= needed:
                return start + (needed - have) / p
            have += p * (end - start)
        if have == 0:
            return math.inf
        t0 += period


def energy_bound(condition, base_dir, plain_cycles):
    c = dict(DEFAULTS, **condition)
    compute_s = plain_cycles / CLOCK_HZ
    usable = 0.5 * c["capacitor_uf"] * 1e-6 * (c["v_on"] ** 2 - c["v_off"] ** 2)
    needed = compute_s * ACTIVE_W - usable
    if needed <= 0:
        return compute_s
    if "trace" in c:
        times, powers, period = load_trace(os.path.join(base_dir, c["trace"]))
        trace = (times, [p * c["efficiency"] for p in powers], period)
        return max(compute_s, harvested_until(trace, needed))
    p = c["constant_w"] * c["efficiency"]
    return max(compute_s, needed / p) if p > 0 else math.inf


def check(db_path, campaign):
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    row = db.execute(
        "SELECT id, config_toml, source_path FROM campaigns WHERE id = ? OR name = ? ORDER BY id DESC LIMIT 1",
        (campaign, campaign)).fetchone()
    if not row:
        sys.exit(f"{db_path}: no campaign {campaign!r}")
    campaign_id, config, source = row
    conditions = {c["name"]: c for c in tomllib.loads(config)["condition"]}
    base_dir = os.path.dirname(source)
    results = []
    for policy, in db.execute("SELECT DISTINCT policy FROM runs WHERE campaign_id = ? ORDER BY policy", (campaign_id,)):
        hit = db.execute(
            "SELECT r.id, r.model, r.condition, i.inference, i.plain_cycles, i.energy_bound_s, i.latency_s"
            " FROM runs r JOIN inferences i ON i.run_id = r.id AND i.attempt = r.attempt"
            " WHERE r.campaign_id = ? AND r.policy = ? AND i.finished = 1 AND i.plain_cycles IS NOT NULL"
            " ORDER BY i.energy_bound_s DESC, r.plan_index LIMIT 1", (campaign_id, policy)).fetchone()
        if not hit:
            continue
        run_id, model, condition, inference, plain, recorded, latency = hit
        recomputed = energy_bound(conditions[condition], base_dir, plain)
        results.append({"policy": policy, "run": run_id, "model": model, "condition": condition,
                        "inference": inference, "plain_cycles": plain, "recorded_s": recorded,
                        "recomputed_s": recomputed, "latency_s": latency,
                        "relative_difference": abs(recorded - recomputed) / recomputed})
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("campaign")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = check(args.db, args.campaign)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['policy']:<10} run {r['run']:>4} {r['model']:<10} {r['condition']:<22} "
                  f"recorded {r['recorded_s']:.6g} s, recomputed {r['recomputed_s']:.6g} s, "
                  f"difference {r['relative_difference']:.2e}")
    if not results:
        sys.exit("no finished inference to check")
    return 1 if any(r["relative_difference"] > 1e-6 for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
