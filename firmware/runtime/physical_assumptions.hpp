// The physical assumptions every target, the bench and the reports use, in
// one table. A campaign may override them; reports print them.
//
// | quantity | value | source |
// |---|---|---|
// | CPU clock | 25 MHz | the virtual board (QEMU mps2-an386 runs its Cortex-M4 at 25 MHz) |
// | active power | 79 uA/MHz x 25 MHz x 3.0 V = 5.925 mW | STM32L412 datasheet DS12469 Rev 7: "79 uA/MHz run mode (LDO mode)", a Cortex-M4 MCU |
// | NVM | SPI FRAM (Cypress/Infineon CY15B104Q class, 4 Mbit, opcodes WREN/WRITE/READ, 3-byte addresses) | |
// | SPI clock | f/2 = 12.5 MHz: 16 CPU cycles per byte | DESIGN.md: SPI clock <= f/2 |
// | NVM write overhead | WREN + WRITE + 3 address bytes = 5 bytes = 80 cycles per write | the FRAM command set |
// | NVM read overhead | READ + 3 address bytes = 4 bytes = 64 cycles per read | the FRAM command set |
// | V_on / V_off / V_max | 3.0 V / 2.0 V / 3.6 V | chosen: the power-good and undervoltage thresholds of a harvesting PMIC such as the BQ25570 are resistor-programmable; 2.0 V is above a Cortex-M4's brown-out reset |
// | converter efficiency | 80 % | chosen, typical of a boost charger at these input powers |
// | boot cost | measured, not assumed: the Boot frame's restore cycles on each board |
// | sleep power | 4 uW | assumed: a Cortex-M4 MCU in its SRAM-retaining stop mode with an RTC wake-up draws about 1-1.5 uA (STM32L4 "Stop 2" class) at 3 V; rounded up |
#pragma once

#include <cstdint>

namespace aidi::fw::physical {

inline constexpr double kClockHz = 25e6;
inline constexpr double kActivePowerW = 79e-6 * 25.0 * 3.0;
inline constexpr std::uint32_t kNvmCyclesPerByte = 16;
inline constexpr std::uint32_t kNvmWriteOverheadCycles = 5 * kNvmCyclesPerByte;
inline constexpr std::uint32_t kNvmReadOverheadCycles = 4 * kNvmCyclesPerByte;
inline constexpr double kVOn = 3.0;
inline constexpr double kVOff = 2.0;
inline constexpr double kVMax = 3.6;
inline constexpr double kEfficiency = 0.8;
inline constexpr double kSleepPowerW = 4e-6;

}  // namespace aidi::fw::physical
