// NUCLEO-F412ZG board support: clock, ST-LINK virtual COM port (USART3 on
// PD8/PD9), SPI1 to the FRAM (PA5 SCK, PA6 MISO, PA7 MOSI, PD14 chip select,
// Arduino D13/D12/D11/D10), the DWT cycle counter, the power-voltage
// detector and the reset cause. Register facts: RM0402; pins: UM1974.
#pragma once

#include <cstdint>

#include "aidi/proto/messages.hpp"
#include "spi_fram.hpp"

namespace aidi::fw::nucleo {

enum class Clock : std::uint8_t {
  Mhz25,   // HSI 16 MHz, PLL /8 x100 /8
  Mhz100,  // the fast option: PLL /8 x100 /2, regulator scale 1, APB1 at 50 MHz
};
// Sets the system clock with the flash wait states it needs down to
// `minVolts` (the BOR level); returns it in Hz.
std::uint32_t initClock(Clock clock, float minVolts);

// The brown-out reset level programmed in the option bytes, in volts; 0
// when BOR is off (the factory setting: the chip runs down to ~1.7 V).
float borThreshold();

// The reset cause from RCC_CSR (then cleared, so the next boot reports its own).
proto::ResetCause takeResetCause();

// Arms the programmable voltage detector at the lowest level >= `volts`
// (2.0, 2.1, 2.3, 2.5 .. 2.9 V); returns the level chosen. The PVD output
// is polled: below it, the runtime stops starting jobs.
float armVoltageDetector(float volts);
bool supplyBelowThreshold();

// The independent watchdog (~32 s): fed at every commit and result, so a
// board hung anywhere resets and resumes from its last checkpoint.
void startWatchdog();
void feedWatchdog();

// The supply (the capacitor on the harvested rail) in millivolts: ADC1
// reads VREFINT against its factory calibration. A 1 ms SysTick keeps
// time while the core sleeps between readings (the DWT counter stops).
void initSupplyAdc(std::uint32_t clockHz);
std::uint32_t supplyMillivolts();
std::uint32_t milliseconds();
void sleepOneTick();  // WFI until the next millisecond

// DWT cycle counter: cycles since enableCycleCounter().
void enableCycleCounter();
std::uint32_t cycles();

class Usart3 {
 public:
  // 921,600 Bd: the ST-LINK/V2-1 virtual COM port carries it, and a commit's
  // checkpoint frame then blocks ~0.4 ms instead of 3.3 ms at 115,200.
  void begin(std::uint32_t clockHz, std::uint32_t baud);
  void write(const std::uint8_t* data, std::uint32_t size);
};

class Spi1Bus final : public SpiBus {
 public:
  // `bringUp`: a slow clock and gentle edges while the chip is checked.
  void begin(std::uint32_t clockHz, bool bringUp = false);
  void select() override;
  void deselect() override;
  void transfer(const std::uint8_t* tx, std::uint8_t* rx, std::uint32_t size) override;
  void waitCycles(std::uint32_t n) override;  // on the DWT cycle counter
};

}  // namespace aidi::fw::nucleo
