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

The limit (DESIGN.md), for an inference requested at t0 of the trace with the
capacitor at v0 (recorded per inference; rows from before they were recorded
started at t0 = 0 and V_on): L* = max(t_on - t0 + N/f, t_E - t0), where t_on
is the first t >= t0 at which the capacitor, charged with no load from v0
(leakage drawn), reaches V_on, and t_E the first t at which
C (v0^2 - V_off^2) / 2 plus efficiency x harvested energy over [t0, t]
reaches the energy of the plain inference N/f x P_plain, with N its
cycle-approximate Cortex-M4 cycles (the instructions where no cycles were
counted) and P_plain the MCU's active power with the FRAM asleep.
"""
import argparse
import json
import math
import os
import sqlite3
import sys
import tomllib

DEFAULTS = {"v_on": 3.0, "v_off": 2.0, "v_max": 3.6, "efficiency": 0.8}
WEEK_S = 7 * 86400.0  # the default window of an inference (bench-app/core simulation.hpp)


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


def pieces(trace, t0):
    """(start, end, power) of the trace's sample-and-hold pieces from t0 on, repeating."""
    times, powers, period = trace
    base = math.floor(t0 / period) * period
    while True:
        for i in range(len(times)):
            end = base + (times[i + 1] if i + 1 < len(times) else period)
            if end > t0:
                yield max(t0, base + times[i]), end, powers[i]
        base += period


def first_time(trace, t0, needed, horizon):
    """First t >= t0 with harvested(t0..t) >= needed (powers already scaled by efficiency)."""
    have = 0.0
    for start, end, p in pieces(trace, t0):
        if start >= t0 + horizon:
            return math.inf
        if p > 0 and have + p * (end - start) >= needed:
            return start + (needed - have) / p
        have += p * (end - start)


def charged_at(trace, t0, energy, target, leakage, horizon):
    """First t >= t0 at which energy, charged with no load (leakage drawn), reaches target."""
    if energy >= target:
        return t0
    for start, end, p in pieces(trace, t0):
        if start >= t0 + horizon:
            return math.inf
        net = p - leakage
        if net > 0 and energy + net * (end - start) >= target:
            return start + (target - energy) / net
        energy = max(0.0, energy + net * (end - start))


def energy_bound(condition, base_dir, plain_cycles, board, t0, v0, horizon):
    c = dict(DEFAULTS, **{k: figure(board, k) for k in ("v_on", "v_off", "v_max", "efficiency", "leakage_w")
                          if k in board})
    c.update(condition)
    farads = c["capacitor_uf"] * 1e-6
    v0 = c["v_off"] if v0 is None else v0
    compute_s = plain_cycles / figure(board, "clock_hz")
    plain_w = figure(board, "active_power_w") + (figure(board, "nvm_sleep_power_w") if "nvm_sleep_power_w" in board else 0)
    if "trace" in c:
        times, powers, period = load_trace(os.path.join(base_dir, c["trace"]))
        trace = (times, [p * c["efficiency"] for p in powers], period)
    else:
        trace = ([0.0], [c["constant_w"] * c["efficiency"]], 1.0)
    on = charged_at(trace, t0, 0.5 * farads * v0 ** 2, 0.5 * farads * c["v_on"] ** 2, c.get("leakage_w", 0.0), horizon)
    on_bound = on - t0 + compute_s
    needed = compute_s * plain_w - 0.5 * farads * (v0 ** 2 - c["v_off"] ** 2)
    if needed <= 0:
        return on_bound
    return max(on_bound, first_time(trace, t0, needed, horizon) - t0)


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
            " i.energy_bound_s, i.latency_s, b.profile_toml, i.start_s, i.v_start"
            " FROM runs r JOIN inferences i ON i.run_id = r.id AND i.attempt = r.attempt"
            " JOIN board_profiles b ON b.campaign_id = r.campaign_id AND b.name = r.board"
            " WHERE r.campaign_id = ? AND r.policy = ? AND i.finished = 1 AND i.plain_cycles IS NOT NULL"
            " ORDER BY i.energy_bound_s DESC, r.plan_index LIMIT 1", (campaign_id, policy)).fetchone()
        if not hit:
            continue
        run_id, model, condition, inference, plain, recorded, latency, profile, t0, v0 = hit
        board = tomllib.loads(profile)
        if t0 is None:  # recorded before start states were: t = 0, V_on
            t0, v0 = 0.0, figure(board, "v_on")
        c = conditions[condition]
        horizon = c.get("window_s", WEEK_S)
        if c.get("wrap") is False and "trace" in c:
            horizon = min(horizon, load_trace(os.path.join(base_dir, c["trace"]))[2] - t0)
        recomputed = energy_bound(c, base_dir, plain, board, t0, v0, horizon)
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
