// What the STM32F412's supervisor registers mean, as pure functions the host
// tests check against the reference manual (RM0402) and datasheet (DS11139):
// the PVD levels, the reset flags, the BOR option level, the flash wait
// states a clock needs at the lowest supply the chip may run at.
#pragma once

#include <cstdint>

#include "aidi/proto/messages.hpp"

namespace aidi::fw::f412 {

// PWR_CR PLS[2:0]: the PVD threshold of each level (rising edge, typical).
// Not evenly spaced: 2.2 and 2.4 V are not levels.
inline constexpr float kPvdLevelVolts[8] = {2.0f, 2.1f, 2.3f, 2.5f, 2.6f, 2.7f, 2.8f, 2.9f};

// The lowest PVD level at or above `volts` (the highest, 7, when none is).
constexpr std::uint32_t pvdLevelAtLeast(float volts) {
  for (std::uint32_t level = 0; level < 8; ++level)
    if (kPvdLevelVolts[level] >= volts - 1e-3f) return level;
  return 7;
}

// RCC_CSR's reset flags. A power-on sets PORRSTF and BORRSTF (and PINRSTF:
// every internal reset drives NRST low), so the flags are read from the most
// specific up: a power-on; a brown-out (BORRSTF alone: the supply dipped
// below the BOR level, not below POR); a watchdog; software; the pin last
// (the probe's reset, or the board's reset button).
constexpr proto::ResetCause resetCauseOf(std::uint32_t csr) {
  constexpr std::uint32_t kBor = 1u << 25, kPin = 1u << 26, kPor = 1u << 27, kSft = 1u << 28, kIwdg = 1u << 29,
                          kWwdg = 1u << 30;
  if (csr & kPor) return proto::ResetCause::PowerOn;
  if (csr & kBor) return proto::ResetCause::BrownOut;
  if (csr & (kIwdg | kWwdg)) return proto::ResetCause::Watchdog;
  if (csr & kSft) return proto::ResetCause::Software;
  if (csr & kPin) return proto::ResetCause::Pin;
  return proto::ResetCause::Unknown;
}

// FLASH_OPTCR BOR_LEV[1:0] (bits 3:2): the brown-out reset threshold in
// volts (falling edge, typical), or 0 when BOR is off (the factory value:
// the chip then runs down to its 1.7 V power-down reset).
constexpr float borThresholdVolts(std::uint32_t optcr) {
  switch ((optcr >> 2) & 3u) {
    case 0: return 2.7f;  // level 3
    case 1: return 2.4f;  // level 2
    case 2: return 2.1f;  // level 1
    default: return 0.0f;
  }
}

// Flash wait states for HCLK `hz` at supplies down to `minVolts` (RM0402
// Table 6: 30 MHz per wait state at 2.7-3.6 V, 24 at 2.4-2.7, 18 at
// 2.1-2.4, 16 at 1.7-2.1).
constexpr std::uint32_t flashWaitStates(std::uint32_t hz, float minVolts) {
  const std::uint32_t perState = minVolts >= 2.7f ? 30'000'000u
                                 : minVolts >= 2.4f ? 24'000'000u
                                 : minVolts >= 2.1f ? 18'000'000u
                                                    : 16'000'000u;
  return (hz + perState - 1) / perState - 1;
}

// VDD in millivolts from ADC1's reading of VREFINT (channel 17) against its
// factory calibration VREFINT_CAL, taken at VDDA = 3.3 V (DS11139): the
// reference is fixed, so the supply is 3.3 V x CAL / reading. On the
// harvested rail VDD is the storage capacitor's voltage. 0 for a reading
// of 0 (the ADC not running).
constexpr std::uint32_t vddMillivolts(std::uint32_t vrefintCal, std::uint32_t vrefintReading) {
  return vrefintReading == 0 ? 0u : (3300u * vrefintCal + vrefintReading / 2) / vrefintReading;
}

}  // namespace aidi::fw::f412
