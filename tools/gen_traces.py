#!/usr/bin/env python3
"""Generates the harvest traces in fixtures/traces from stated physical models.

  /usr/bin/python3 tools/gen_traces.py fixtures/traces

Every trace is CSV "time_s,power_w" (power held until the next sample),
deterministic (fixed seeds): the short ones 60 s long, the day-long and
multi-day ones with their nights. The models and sizes are in the comments
each file starts with and in fixtures/traces/README.md.
"""
import math
import random
import sys
from pathlib import Path

DURATION_S = 60.0

# Indoor light: photometric to radiometric for white LED/fluorescent light,
# about 300 lux per W/m^2; an amorphous-silicon indoor cell of 5 cm^2 at 10 %.
LUX_PER_W_M2 = 300.0
INDOOR_CELL_M2 = 5e-4
INDOOR_EFFICIENCY = 0.10

# Outdoor: a 1 cm^2 monocrystalline cell at 18 %, 800 W/m^2 in sun, clouds
# cutting it to 10-30 %.
OUTDOOR_CELL_M2 = 1e-4
OUTDOOR_EFFICIENCY = 0.18
SUN_W_M2 = 800.0


def indoor(lux_mean, seed, step=0.1):
    """Office light with people passing: a slow random walk of +-20 % and brief 60 % shadows."""
    rng = random.Random(seed)
    rows, level, t = [], 1.0, 0.0
    shadow_until = -1.0
    while t < DURATION_S - 1e-9:
        level = min(1.2, max(0.8, level + rng.gauss(0, 0.02)))
        if t >= shadow_until and rng.random() < 0.01:
            shadow_until = t + rng.uniform(0.5, 2.0)
        factor = level * (0.4 if t < shadow_until else 1.0)
        watts = lux_mean * factor / LUX_PER_W_M2 * INDOOR_CELL_M2 * INDOOR_EFFICIENCY
        rows.append((t, watts))
        t += step
    return rows


def outdoor_clouds(seed, step=0.1):
    """Sun with passing clouds: clear spells and cloud shadows of 2-8 s."""
    rng = random.Random(seed)
    rows, t, cloudy_until, clear_until = [], 0.0, -1.0, rng.uniform(3, 10)
    depth = 0.2
    while t < DURATION_S - 1e-9:
        if t >= clear_until and t >= cloudy_until:
            cloudy_until = t + rng.uniform(2, 8)
            clear_until = cloudy_until + rng.uniform(3, 10)
            depth = rng.uniform(0.1, 0.3)
        irradiance = SUN_W_M2 * (depth if t < cloudy_until else 1.0) * (1 + rng.gauss(0, 0.02))
        rows.append((t, max(0.0, irradiance) * OUTDOOR_CELL_M2 * OUTDOOR_EFFICIENCY))
        t += step
    return rows


def rf_bursts(burst_w=2e-3, burst_s=0.05, period_s=0.5):
    """An RF energy transmitter pulsing: 2 mW received for 50 ms every 500 ms (200 uW mean)."""
    rows, t = [], 0.0
    while t < DURATION_S - 1e-9:
        rows.append((t, burst_w))
        rows.append((t + burst_s, 0.0))
        t += period_s
    return rows


def constant(watts):
    return [(0.0, watts)]


def indoor_watts(lux):
    return lux / LUX_PER_W_M2 * INDOOR_CELL_M2 * INDOOR_EFFICIENCY


def office_day(seed, step=10.0):
    """24 h of an office from midnight: dark until 07:00; daylight through the
    windows rising to 150 lux by 08:00; lights on 08:00-18:00 (500 lux) with
    people's shadows; daylight fading to dark by 20:00; dark night (a cleaner's
    lights 21:00-21:30)."""
    rng = random.Random(seed)
    rows, t = [], 0.0
    while t < 86400 - 1e-9:
        h = t / 3600
        if 7 <= h < 8:
            lux = 150 * (h - 7)
        elif 8 <= h < 18:
            lux = 500 * min(1.2, max(0.8, 1 + rng.gauss(0, 0.08))) * (0.4 if rng.random() < 0.05 else 1.0)
        elif 18 <= h < 20:
            lux = 150 * (20 - h) / 2
        elif 21 <= h < 21.5:
            lux = 300
        else:
            lux = 0
        rows.append((t, indoor_watts(lux)))
        t += step
    return rows


def outdoor_days(days, seed, step=60.0):
    """Days of a 1 cm^2 mono-Si cell at 18 % outdoors from midnight: sunrise at
    06:00, sunset at 20:00, clear-sky irradiance 1000 W/m^2 x sin(elevation)^1.2
    (dawn and dusk ramps), each day's cloudiness drawn (clear to overcast), clouds
    passing within it; dark nights."""
    rng = random.Random(seed)
    rows, t = [], 0.0
    cloudiness, day = 0.0, -1
    while t < days * 86400 - 1e-9:
        if int(t // 86400) != day:
            day = int(t // 86400)
            cloudiness = rng.choice([0.0, 0.3, 0.6, 0.85])  # clear, scattered, broken, overcast
        h = (t % 86400) / 3600
        sun = math.sin(math.pi * (h - 6) / 14) if 6 <= h < 20 else 0.0
        irradiance = 1000 * max(0.0, sun) ** 1.2
        if rng.random() < cloudiness:
            irradiance *= rng.uniform(0.1, 0.35)
        rows.append((t, irradiance * OUTDOOR_CELL_M2 * OUTDOOR_EFFICIENCY))
        t += step
    return rows


def rf_outages(seed, duration=600.0):
    """An RF transmitter (2 mW for 50 ms every 500 ms) switched off for outages
    of 20-120 s between spells of 30-90 s on."""
    rng = random.Random(seed)
    rows, t = [], 0.0
    while t < duration - 1e-9:
        on_until = min(duration, t + rng.uniform(30, 90))
        while t < on_until - 1e-9:
            rows.append((round(t, 3), 2e-3))
            rows.append((round(t + 0.05, 3), 0.0))
            t += 0.5
        t = min(duration, t + rng.uniform(20, 120))
    return rows


TRACES = {
    "indoor-weak": ("office light, 200 lux mean; 5 cm^2 a-Si cell at 10 % (~31 uW)", lambda: indoor(200, 1)),
    "indoor-strong": ("desk lamp, 1000 lux mean; 5 cm^2 a-Si cell at 10 % (~145 uW)", lambda: indoor(1000, 2)),
    "outdoor-clouds": ("sun 800 W/m^2 with clouds at 10-30 %; 1 cm^2 mono-Si at 18 % (up to 14 mW)",
                       lambda: outdoor_clouds(3)),
    "rf-bursts": ("RF transmitter, 2 mW received for 50 ms every 500 ms (200 uW mean)", rf_bursts),
    "constant-weak": ("constant 100 uW", lambda: constant(100e-6)),
    "constant-strong": ("constant 2 mW", lambda: constant(2e-3)),
    "indoor-dim": ("a dim corridor, 30 lux mean; 5 cm^2 a-Si cell at 10 % (~5 uW)", lambda: indoor(30, 4)),
    "office-day": ("24 h of an office from midnight: dark nights, daylight ramps, lights on 08:00-18:00 "
                   "at 500 lux; 5 cm^2 a-Si cell at 10 %", lambda: office_day(5), 86400.0),
    "outdoor-3days": ("three days outdoors from midnight: dawn and dusk ramps, a drawn cloudiness each day, "
                      "dark nights; 1 cm^2 mono-Si at 18 %", lambda: outdoor_days(3, 6), 3 * 86400.0),
    "rf-outages": ("RF transmitter (2 mW for 50 ms every 500 ms) off for outages of 20-120 s",
                   lambda: rf_outages(7), 600.0),
}


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    for name, entry in TRACES.items():
        description, make = entry[0], entry[1]
        duration = entry[2] if len(entry) > 2 else DURATION_S
        rows = make()
        mean = sum(p * (t2 - t1) for (t1, p), (t2, _) in zip(rows, rows[1:] + [(duration, 0)])) / duration
        dark = sum(t2 - t1 for (t1, p), (t2, _) in zip(rows, rows[1:] + [(duration, 0)]) if p <= 0)
        lines = [f"# {name}: {description}", "# generated by tools/gen_traces.py; power held until the next sample; the last row ends the trace",
                 f"# mean power {mean:.6g} W over {duration:g} s, dark {dark:g} s", "time_s,power_w"]
        lines += [f"{t:.3f},{p:.6g}" for t, p in rows]
        lines.append(f"{duration:.3f},{rows[-1][1]:.6g}")  # end of the trace
        (out / f"{name}.csv").write_text("\n".join(lines) + "\n")
        print(f"{name}: {len(rows)} samples, mean {mean * 1e6:.1f} uW")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "fixtures/traces"))
