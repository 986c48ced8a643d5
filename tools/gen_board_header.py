#!/usr/bin/python3
"""Writes the firmware's C++ header of a board profile (boards/NAME.toml).

The profile is the one source of a board's figures: `aidi` reads the same file
at run time. Every figure must be a table { value = ..., source = "..." };
a figure without a source, or out of range, fails the build.

usage: gen_board_header.py PROFILE.toml OUTPUT.hpp
"""
import math
import sys
import tomllib

# (key, C++ name, C++ type, minimum, maximum): the same keys and ranges as the
# run-time loader, bench-app/core/src/board_profile.cpp (keep the two alike).
FIGURES = [
    ("clock_hz", "kClockHz", "double", 1e3, 1e9),
    ("active_power_w", "kActivePowerW", "double", 1e-7, 10.0),
    ("sleep_power_w", "kSleepPowerW", "double", 0.0, 1.0),
    ("nvm_bytes", "kNvmBytes", "std::uint32_t", 1, 2**31),
    ("nvm_cycles_per_byte", "kNvmCyclesPerByte", "std::uint32_t", 1, 100000),
    ("nvm_write_overhead_cycles", "kNvmWriteOverheadCycles", "std::uint32_t", 0, 1000000),
    ("nvm_read_overhead_cycles", "kNvmReadOverheadCycles", "std::uint32_t", 0, 1000000),
    ("nvm_standby_power_w", "kNvmStandbyPowerW", "double", 0.0, 1.0),
    ("nvm_sleep_power_w", "kNvmSleepPowerW", "double", 0.0, 1.0),
    ("nvm_wake_s", "kNvmWakeS", "double", 0.0, 1.0),
    ("sram_bytes", "kSramBytes", "std::uint32_t", 1024, 2**31),
    ("flash_bytes", "kFlashBytes", "std::uint32_t", 1024, 2**31),
    ("v_on", "kVOn", "double", 0.1, 60.0),
    ("v_off", "kVOff", "double", 0.1, 60.0),
    ("v_max", "kVMax", "double", 0.1, 60.0),
    ("efficiency", "kEfficiency", "double", 1e-3, 1.0),
    ("leakage_w", "kLeakageW", "double", 0.0, 1.0),
    ("shutdown_power_w", "kShutdownPowerW", "double", 0.0, 1.0),
    ("adc_bits", "kAdcBits", "std::uint32_t", 6, 24),
    ("adc_full_scale_v", "kAdcFullScaleV", "double", 0.1, 60.0),
    ("adc_noise_v", "kAdcNoiseV", "double", 0.0, 1.0),
    ("adc_conversion_s", "kAdcConversionS", "double", 0.0, 0.1),
    ("nvm_active_power_w", "kNvmActivePowerW", "double", 0.0, 1.0),
    ("telemetry_baud", "kTelemetryBaud", "std::uint32_t", 0, 100000000),
]


def fail(path, message):
    sys.exit(f"{path}: {message}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    path, out = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        try:
            profile = tomllib.load(f)
        except tomllib.TOMLDecodeError as e:
            fail(path, str(e))
    for key in ("name", "target", "description", "nvm_kind"):
        if not isinstance(profile.get(key), str) or not profile[key]:
            fail(path, f"{key}: needs a text")
    lines = [
        f"// Generated from {path.split('/')[-2] + '/' + path.split('/')[-1]} by tools/gen_board_header.py at build time:",
        "// do not edit; change the profile. Each figure's source is in the profile.",
        "#pragma once",
        "",
        "#include <cstdint>",
        "",
        '#include "nvm.hpp"',
        "",
        "namespace aidi::fw::board {",
        "",
        f'inline constexpr const char* kName = "{profile["name"]}";',
        f'inline constexpr const char* kTarget = "{profile["target"]}";',
    ]
    for key, name, ctype, low, high in FIGURES:
        figure = profile.get(key)
        if not isinstance(figure, dict) or "value" not in figure or not figure.get("source"):
            fail(path, f"{key}: needs {{ value = ..., source = \"...\" }}")
        value = figure["value"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            fail(path, f"{key}: value must be a finite number")
        if not low <= value <= high:
            fail(path, f"{key}: {value} outside [{low}, {high}]")
        if ctype == "double":
            text = repr(float(value))
        else:
            if value != int(value):
                fail(path, f"{key}: must be a whole number")
            text = f"{int(value)}u"
        lines.append(f"inline constexpr {ctype} {name} = {text};")
    if not profile["v_off"]["value"] < profile["v_on"]["value"] <= profile["v_max"]["value"]:
        fail(path, "need v_off < v_on <= v_max")
    wake_cycles = round(profile["nvm_wake_s"]["value"] * profile["clock_hz"]["value"])
    lines += [f"inline constexpr std::uint32_t kNvmWakeCycles = {wake_cycles}u;  // nvm_wake_s x clock_hz",
              "inline constexpr NvmCosts kNvmCosts{kNvmCyclesPerByte, kNvmWriteOverheadCycles, kNvmReadOverheadCycles,",
              "                                    kNvmWakeCycles};",
              "", "}  // namespace aidi::fw::board", ""]
    with open(out, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
