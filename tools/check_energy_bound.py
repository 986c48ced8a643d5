#!/usr/bin/python3
"""Recomputes the energy-bound limit of recorded inferences independently of
the bench's C++ code, from the trace file, the run's board profile (as the
campaign recorded it) and the plain inference's recorded cycle count, and
compares it with what the database holds.

    /usr/bin/python3 tools/check_energy_bound.py DB CAMPAIGN [--json]

For one finished inference per policy (the one with the longest limit, so the
harvest, not the clock, decides it) it prints the
recorded and the recomputed limit and their relative difference; exit 1 when
any differs by more than 1e-6.

The limit (DESIGN.md): L* = max(N/f, t_E), where t_E is the first t at which
the usable stored energy plus efficiency x harvested energy over [0, t]
reaches the energy of the plain inference N/f x P_plain, with N its
cycle-approximate Cortex-M4 cycles (the instructions where no cycles were
counted) and P_plain the MCU's active power with the FRAM asleep. Storage
starts at V_on.
"""
import argparse
import json
import math
import os
import sqlite3
import sys
import tomllib

DEFAULTS = {"v_on": 3.0, "v_off": 2.0, "v_max": 3.6, "efficiency": 0.8}


def figure(profile, key):
    """A board profile's figure: a number, or {value, source}."""
    v = profile[key]
    return v["value"] if isinstance(v, dict) else v


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


def energy_bound(condition, base_dir, plain_cycles, board):
    c = dict(DEFAULTS, **{k: figure(board, k) for k in ("v_on", "v_off", "v_max", "efficiency") if k in board})
    c.update(condition)
    compute_s = plain_cycles / figure(board, "clock_hz")
    plain_w = figure(board, "active_power_w") + (figure(board, "nvm_sleep_power_w") if "nvm_sleep_power_w" in board else 0)
    usable = 0.5 * c["capacitor_uf"] * 1e-6 * (c["v_on"] ** 2 - c["v_off"] ** 2)
    needed = compute_s * plain_w - usable
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
            "SELECT r.id, r.model, r.condition, i.inference, COALESCE(i.plain_m4_cycles, i.plain_cycles),"
            " i.energy_bound_s, i.latency_s, b.profile_toml"
            " FROM runs r JOIN inferences i ON i.run_id = r.id AND i.attempt = r.attempt"
            " JOIN board_profiles b ON b.campaign_id = r.campaign_id AND b.name = r.board"
            " WHERE r.campaign_id = ? AND r.policy = ? AND i.finished = 1 AND i.plain_cycles IS NOT NULL"
            " ORDER BY i.energy_bound_s DESC, r.plan_index LIMIT 1", (campaign_id, policy)).fetchone()
        if not hit:
            continue
        run_id, model, condition, inference, plain, recorded, latency, profile = hit
        recomputed = energy_bound(conditions[condition], base_dir, plain, tomllib.loads(profile))
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
