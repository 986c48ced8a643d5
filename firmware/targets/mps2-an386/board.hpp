// Register map of the QEMU mps2-an386 board (Cortex-M4 at 25 MHz), as far as
// the firmware uses it. Facts from DESIGN.md, verified on QEMU 7.2.
#pragma once

#include <cstdint>

namespace aidi::fw::mps2 {

inline constexpr std::uint32_t kCpuHz = 25'000'000;

inline constexpr std::uintptr_t kUart0Base = 0x40004000u;  // telemetry
inline constexpr std::uintptr_t kUart1Base = 0x40005000u;  // power shim
inline constexpr std::uintptr_t kTimer0Base = 0x40000000u;

// Cortex-M system control space.
inline constexpr std::uintptr_t kSysTickCsr = 0xE000E010u;
inline constexpr std::uintptr_t kSysTickRvr = 0xE000E014u;
inline constexpr std::uintptr_t kSysTickCvr = 0xE000E018u;
inline constexpr std::uintptr_t kCpacr = 0xE000ED88u;

inline volatile std::uint32_t& reg(std::uintptr_t address) {
  return *reinterpret_cast<volatile std::uint32_t*>(address);
}

}  // namespace aidi::fw::mps2
