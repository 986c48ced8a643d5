// The STM32F412ZG registers this board support uses, from ST's reference
// manual RM0402 (memory map, RCC, PWR, FLASH, GPIO, USART, SPI chapters) and
// the Cortex-M4 core (SysTick, DWT). Only what the firmware touches.
#pragma once

#include <cstdint>

namespace aidi::fw::f412 {

inline volatile std::uint32_t& reg(std::uint32_t address) { return *reinterpret_cast<volatile std::uint32_t*>(address); }

// Memory map.
inline constexpr std::uint32_t kFlashBase = 0x08000000, kFlashBytes = 1024 * 1024;
inline constexpr std::uint32_t kSramBase = 0x20000000, kSramBytes = 256 * 1024;

namespace rcc {
inline constexpr std::uint32_t kBase = 0x40023800;
inline constexpr std::uint32_t kCr = kBase + 0x00, kPllCfgr = kBase + 0x04, kCfgr = kBase + 0x08;
inline constexpr std::uint32_t kAhb1Enr = kBase + 0x30, kApb1Enr = kBase + 0x40, kApb2Enr = kBase + 0x44;
inline constexpr std::uint32_t kCsr = kBase + 0x74;
// CR
inline constexpr std::uint32_t kHsiOn = 1u << 0, kHsiRdy = 1u << 1, kPllOn = 1u << 24, kPllRdy = 1u << 25;
// CFGR: system clock switch (SW, SWS), AHB/APB prescalers (PPRE1 bits 12:10: 100 = /2)
inline constexpr std::uint32_t kSwPll = 2u, kSwsMask = 3u << 2, kSwsPll = 2u << 2;
inline constexpr std::uint32_t kPpre1Div2 = 4u << 10;
// Enables
inline constexpr std::uint32_t kGpioAEn = 1u << 0, kGpioDEn = 1u << 3;
inline constexpr std::uint32_t kUsart3En = 1u << 18, kPwrEn = 1u << 28;
inline constexpr std::uint32_t kSpi1En = 1u << 12, kAdc1En = 1u << 8;  // APB2
// CSR reset flags (cleared by RMVF)
inline constexpr std::uint32_t kRmvf = 1u << 24, kBorRstF = 1u << 25, kPinRstF = 1u << 26, kPorRstF = 1u << 27,
                               kSftRstF = 1u << 28, kIwdgRstF = 1u << 29, kWwdgRstF = 1u << 30, kLpwrRstF = 1u << 31;
}  // namespace rcc

namespace flash {
inline constexpr std::uint32_t kAcr = 0x40023C00, kOptcr = 0x40023C14;
inline constexpr std::uint32_t kPrftEn = 1u << 8, kIcEn = 1u << 9, kDcEn = 1u << 10;
}  // namespace flash

namespace pwr {
inline constexpr std::uint32_t kCr = 0x40007000, kCsr = 0x40007004;
inline constexpr std::uint32_t kPvdE = 1u << 4, kPlsShift = 5, kVosShift = 14;
inline constexpr std::uint32_t kPvdO = 1u << 2;  // CSR: VDD below the PVD threshold
inline constexpr std::uint32_t kVosRdy = 1u << 14;  // CSR: the regulator reached the scale asked for
}  // namespace pwr

namespace gpio {
inline constexpr std::uint32_t kA = 0x40020000, kD = 0x40020C00;
inline constexpr std::uint32_t kModer = 0x00, kOspeedr = 0x08, kPupdr = 0x0C, kIdr = 0x10, kBsrr = 0x18,
                               kAfrl = 0x20, kAfrh = 0x24;
inline constexpr std::uint32_t kModeOutput = 1, kModeAlternate = 2;
}  // namespace gpio

namespace usart {
inline constexpr std::uint32_t kUsart3 = 0x40004800;
inline constexpr std::uint32_t kSr = 0x00, kDr = 0x04, kBrr = 0x08, kCr1 = 0x0C;
inline constexpr std::uint32_t kTxe = 1u << 7, kTc = 1u << 6, kRxne = 1u << 5;
inline constexpr std::uint32_t kUe = 1u << 13, kTe = 1u << 3, kRe = 1u << 2;
}  // namespace usart

namespace spi {
inline constexpr std::uint32_t kSpi1 = 0x40013000;
inline constexpr std::uint32_t kCr1 = 0x00, kSr = 0x08, kDr = 0x0C;
inline constexpr std::uint32_t kMstr = 1u << 2, kSpe = 1u << 6, kSsi = 1u << 8, kSsm = 1u << 9;  // BR bits 5:3 = 0: f/2
inline constexpr std::uint32_t kRxne = 1u << 0, kTxe = 1u << 1, kBsy = 1u << 7;
}  // namespace spi

namespace adc {  // ADC1 and the common registers (RM0402 chapter 12)
inline constexpr std::uint32_t kAdc1 = 0x40012000, kCcr = 0x40012304;
inline constexpr std::uint32_t kSr = 0x00, kCr2 = 0x08, kSmpr1 = 0x0C, kSqr1 = 0x2C, kSqr3 = 0x34, kDr = 0x4C;
inline constexpr std::uint32_t kEoc = 1u << 1, kAdon = 1u << 0, kSwStart = 1u << 30, kTsVrefE = 1u << 23;
inline constexpr std::uint32_t kVrefintChannel = 17;
inline constexpr std::uint32_t kVrefintCal = 0x1FFF7A2A;  // 16-bit factory calibration
}  // namespace adc

namespace systick {
inline constexpr std::uint32_t kCtrl = 0xE000E010, kLoad = 0xE000E014, kVal = 0xE000E018;
inline constexpr std::uint32_t kEnable = 1u << 0, kTickInt = 1u << 1, kCoreClock = 1u << 2;
}  // namespace systick

namespace iwdg {  // independent watchdog, clocked by the 32 kHz LSI
inline constexpr std::uint32_t kKr = 0x40003000, kPr = 0x40003004, kRlr = 0x40003008;
inline constexpr std::uint32_t kUnlock = 0x5555, kStart = 0xCCCC, kFeed = 0xAAAA;
}  // namespace iwdg

namespace core {
inline constexpr std::uint32_t kDemcr = 0xE000EDFC, kDwtCtrl = 0xE0001000, kDwtCyccnt = 0xE0001004;
inline constexpr std::uint32_t kTrcEna = 1u << 24, kCycCntEna = 1u << 0;
inline constexpr std::uint32_t kAircr = 0xE000ED0C, kCpacr = 0xE000ED88, kVtor = 0xE000ED08;
}  // namespace core

}  // namespace aidi::fw::f412
