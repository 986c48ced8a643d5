#include "board.hpp"

#include "stm32f412.hpp"
#include "stm32f4_decode.hpp"

namespace aidi::fw::nucleo {

using namespace f412;

namespace {

void setBits(std::uint32_t address, std::uint32_t mask, std::uint32_t value) {
  reg(address) = (reg(address) & ~mask) | (value & mask);
}

// Pin `pin` of `port` to alternate function `af`, very high speed.
void alternate(std::uint32_t port, int pin, std::uint32_t af) {
  setBits(port + gpio::kModer, 3u << (2 * pin), gpio::kModeAlternate << (2 * pin));
  setBits(port + gpio::kOspeedr, 3u << (2 * pin), 3u << (2 * pin));
  const std::uint32_t afr = port + (pin < 8 ? gpio::kAfrl : gpio::kAfrh);
  const int shift = 4 * (pin % 8);
  setBits(afr, 0xFu << shift, af << shift);
}

constexpr int kFramChipSelectPin = 14;  // PD14, Arduino D10

}  // namespace

float borThreshold() { return borThresholdVolts(reg(flash::kOptcr)); }

std::uint32_t initClock(Clock clock, float minVolts) {
  reg(rcc::kCr) |= rcc::kHsiOn;
  while (!(reg(rcc::kCr) & rcc::kHsiRdy)) {
  }
  // HSI 16 MHz / M=8 = 2 MHz VCO input; x N=100 = 200 MHz VCO; / P; Q=5 keeps
  // the 48 MHz domain at 40 MHz (unused); R=2 (unused, but 0 and 1 are
  // invalid). PLLSRC = HSI.
  const bool fast = clock == Clock::Mhz100;
  const std::uint32_t hz = fast ? 100'000'000u : 25'000'000u;
  const std::uint32_t pllP = fast ? 0u /* /2 */ : 3u /* /8 */;
  reg(rcc::kPllCfgr) = 8u | (100u << 6) | (pllP << 16) | (5u << 24) | (2u << 28);
  // Wait states for the lowest supply the chip may run at (its BOR level):
  // more before the clock rises, never fewer than it needs.
  reg(flash::kAcr) = flashWaitStates(hz, minVolts) | flash::kPrftEn | flash::kIcEn | flash::kDcEn;
  reg(rcc::kApb1Enr) |= rcc::kPwrEn;
  if (fast) setBits(pwr::kCr, 3u << pwr::kVosShift, 3u << pwr::kVosShift);  // scale 1 for 100 MHz
  // APB1 may not exceed 50 MHz.
  setBits(rcc::kCfgr, 7u << 10, fast ? rcc::kPpre1Div2 : 0u);
  reg(rcc::kCr) |= rcc::kPllOn;
  while (!(reg(rcc::kCr) & rcc::kPllRdy)) {
  }
  // The regulator's scale is reached once the PLL runs (RM0402 5.1.4).
  if (fast)
    while (!(reg(pwr::kCsr) & pwr::kVosRdy)) {
    }
  setBits(rcc::kCfgr, 3u, rcc::kSwPll);
  while ((reg(rcc::kCfgr) & rcc::kSwsMask) != rcc::kSwsPll) {
  }
  return hz;
}

proto::ResetCause takeResetCause() {
  const std::uint32_t csr = reg(rcc::kCsr);
  reg(rcc::kCsr) |= rcc::kRmvf;
  return resetCauseOf(csr);
}

float armVoltageDetector(float volts) {
  const std::uint32_t level = pvdLevelAtLeast(volts);
  reg(rcc::kApb1Enr) |= rcc::kPwrEn;
  setBits(pwr::kCr, (7u << pwr::kPlsShift) | pwr::kPvdE, (level << pwr::kPlsShift) | pwr::kPvdE);
  return kPvdLevelVolts[level];
}

bool supplyBelowThreshold() { return (reg(pwr::kCsr) & pwr::kPvdO) != 0; }

void startWatchdog() {
  reg(iwdg::kKr) = iwdg::kUnlock;
  reg(iwdg::kPr) = 6;      // LSI / 256: 8 ms a count
  reg(iwdg::kRlr) = 4095;  // ~32 s (LSI 32 kHz, +-50 %: 16-64 s)
  reg(iwdg::kKr) = iwdg::kStart;
}

void feedWatchdog() { reg(iwdg::kKr) = iwdg::kFeed; }

namespace {
volatile std::uint32_t g_milliseconds = 0;
}  // namespace

void initSupplyAdc(std::uint32_t clockHz) {
  reg(rcc::kApb2Enr) |= rcc::kAdc1En;
  // ADC clock at most 36 MHz: PCLK2 / 4 at 100 MHz, / 2 at 25 MHz; VREFINT on.
  const std::uint32_t prescaler = clockHz > 72'000'000u ? 1u : 0u;
  reg(adc::kCcr) = (prescaler << 16) | adc::kTsVrefE;
  // VREFINT needs >= 10 us of sampling: 480 ADC cycles (SMP = 7).
  setBits(adc::kAdc1 + adc::kSmpr1, 7u << (3 * (adc::kVrefintChannel - 10)), 7u << (3 * (adc::kVrefintChannel - 10)));
  reg(adc::kAdc1 + adc::kSqr1) = 0;  // one conversion
  reg(adc::kAdc1 + adc::kSqr3) = adc::kVrefintChannel;
  reg(adc::kAdc1 + adc::kCr2) = adc::kAdon;
  // SysTick: 1 ms from the core clock.
  reg(systick::kLoad) = clockHz / 1000 - 1;
  reg(systick::kVal) = 0;
  reg(systick::kCtrl) = systick::kEnable | systick::kTickInt | systick::kCoreClock;
}

std::uint32_t supplyMillivolts() {
  reg(adc::kAdc1 + adc::kCr2) |= adc::kSwStart;
  while (!(reg(adc::kAdc1 + adc::kSr) & adc::kEoc)) {
  }
  const std::uint32_t reading = reg(adc::kAdc1 + adc::kDr) & 0xFFFu;
  const std::uint32_t cal = *reinterpret_cast<const volatile std::uint16_t*>(adc::kVrefintCal);
  return vddMillivolts(cal, reading);
}

std::uint32_t milliseconds() { return g_milliseconds; }

void sleepOneTick() { __asm volatile("wfi"); }

void enableCycleCounter() {
  reg(core::kDemcr) |= core::kTrcEna;
  reg(core::kDwtCyccnt) = 0;
  reg(core::kDwtCtrl) |= core::kCycCntEna;
}

std::uint32_t cycles() { return reg(core::kDwtCyccnt); }

void Spi1Bus::waitCycles(std::uint32_t n) {
  const std::uint32_t start = cycles();
  while (cycles() - start < n) {
  }
}

void Usart3::begin(std::uint32_t clockHz, std::uint32_t baud) {
  reg(rcc::kAhb1Enr) |= rcc::kGpioDEn;
  reg(rcc::kApb1Enr) |= rcc::kUsart3En;
  alternate(gpio::kD, 8, 7);  // PD8 USART3_TX, AF7
  alternate(gpio::kD, 9, 7);  // PD9 USART3_RX, AF7
  const std::uint32_t pclk1 = clockHz > 50'000'000u ? clockHz / 2 : clockHz;
  // Oversampling by 16: BRR = USARTDIV in 12.4 fixed point = pclk / baud, rounded.
  reg(usart::kUsart3 + usart::kBrr) = (pclk1 + baud / 2) / baud;
  reg(usart::kUsart3 + usart::kCr1) = usart::kUe | usart::kTe | usart::kRe;
}

void Usart3::write(const std::uint8_t* data, std::uint32_t size) {
  for (std::uint32_t i = 0; i < size; ++i) {
    while (!(reg(usart::kUsart3 + usart::kSr) & usart::kTxe)) {
    }
    reg(usart::kUsart3 + usart::kDr) = data[i];
  }
  while (!(reg(usart::kUsart3 + usart::kSr) & usart::kTc)) {
  }
}

void Spi1Bus::begin(std::uint32_t clockHz, bool bringUp) {
  reg(rcc::kAhb1Enr) |= rcc::kGpioAEn | rcc::kGpioDEn;
  reg(rcc::kApb2Enr) |= rcc::kSpi1En;
  reg(spi::kSpi1 + spi::kCr1) = 0;  // off while it is set up again
  alternate(gpio::kA, 5, 5);  // SCK, AF5
  alternate(gpio::kA, 6, 5);  // MISO
  alternate(gpio::kA, 7, 5);  // MOSI
  // MISO pulled up: an absent chip reads 0xFF, never a floating level.
  setBits(gpio::kA + gpio::kPupdr, 3u << (2 * 6), 1u << (2 * 6));
  if (bringUp)  // medium speed on the SPI pins while the wiring is checked
    setBits(gpio::kA + gpio::kOspeedr, 0x3Fu << (2 * 5), 0x15u << (2 * 5));
  deselect();
  setBits(gpio::kD + gpio::kModer, 3u << (2 * kFramChipSelectPin), gpio::kModeOutput << (2 * kFramChipSelectPin));
  // Mode 0, master, software chip select. BR (CR1 bits 5:3, f_PCLK2 / 2^(BR+1))
  // keeps SCK within the FRAM's 40 MHz: / 2 up to 80 MHz (12.5 MHz at 25 MHz),
  // else / 4 (25 MHz at 100 MHz); for bring-up / 64 (under 2 MHz), which
  // long or loose wires carry.
  const std::uint32_t br = bringUp ? 5u : clockHz > 80'000'000u ? 1u : 0u;
  reg(spi::kSpi1 + spi::kCr1) = spi::kMstr | spi::kSsm | spi::kSsi | spi::kSpe | (br << 3);
}

void Spi1Bus::select() { reg(gpio::kD + gpio::kBsrr) = 1u << (16 + kFramChipSelectPin); }

void Spi1Bus::deselect() {
  while (reg(spi::kSpi1 + spi::kSr) & spi::kBsy) {
  }
  reg(gpio::kD + gpio::kBsrr) = 1u << kFramChipSelectPin;
}

void Spi1Bus::transfer(const std::uint8_t* tx, std::uint8_t* rx, std::uint32_t size) {
  volatile std::uint8_t& dr = *reinterpret_cast<volatile std::uint8_t*>(spi::kSpi1 + spi::kDr);
  for (std::uint32_t i = 0; i < size; ++i) {
    while (!(reg(spi::kSpi1 + spi::kSr) & spi::kTxe)) {
    }
    dr = tx ? tx[i] : 0;
    while (!(reg(spi::kSpi1 + spi::kSr) & spi::kRxne)) {
    }
    const std::uint8_t in = dr;
    if (rx) rx[i] = in;
  }
}

}  // namespace aidi::fw::nucleo

extern "C" void SysTick_Handler() { ++aidi::fw::nucleo::g_milliseconds; }
