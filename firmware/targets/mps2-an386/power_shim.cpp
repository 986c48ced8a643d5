#include "power_shim.hpp"

#include "board.hpp"
#include "cmsdk_uart.hpp"
#include "systick.hpp"

extern "C" __attribute__((noinline, used)) void aidi_powered_begin() { __asm volatile("" ::: "memory"); }
extern "C" __attribute__((noinline, used)) void aidi_powered_end() { __asm volatile("" ::: "memory"); }

namespace aidi::fw::mps2 {
namespace {
constexpr CmsdkUart kShimUart{kUart1Base};
constexpr std::uintptr_t kTimerCtrl = kTimer0Base + 0x0;
constexpr std::uintptr_t kTimerValue = kTimer0Base + 0x4;
constexpr std::uintptr_t kTimerReload = kTimer0Base + 0x8;
constexpr std::uintptr_t kTimerIntClear = kTimer0Base + 0xC;
constexpr std::uintptr_t kNvicIser0 = 0xE000E100u;
constexpr std::uintptr_t kNvicIpr0 = 0xE000E400u;
constexpr std::uint32_t kTimer0Irq = 8;
// Written at reset, before the start-up zeroes .bss.
__attribute__((section(".noinit"))) std::uint32_t g_budgetTicks;
// Ticks run on the budgets armed earlier in this power cycle (before a
// sleep or an ADC reading re-armed Timer0): the device's cycle counter.
__attribute__((section(".noinit"))) std::uint32_t g_earlierTicks;
__attribute__((section(".noinit"))) std::uint32_t g_sleptRtcTicks;

std::uint8_t readByte() {
  std::uint8_t b;
  while (!kShimUart.tryReadByte(b)) __asm volatile("wfi");  // SysTick wakes us every ms
  return b;
}

// Waits for 'B' + u32 LE ticks from the bench, SysTick waking the polling.
std::uint32_t receiveBudget() {
  startSysTick();  // keeps icount/sleep=off from stalling while we poll (DESIGN.md)
  while (readByte() != kShimBudget) {
  }
  std::uint32_t ticks = 0;
  for (int i = 0; i < 4; ++i) ticks |= static_cast<std::uint32_t>(readByte()) << (8 * i);
  // Polling is over: stop SysTick so no interrupt steals the cycle's instructions.
  stopSysTick();
  return ticks;
}

// Arms Timer0 with this cycle's budget (0: continuous power, measure only).
void armBudget(std::uint32_t ticks) {
  reg(kTimerCtrl) = 0;
  if (ticks == 0) {
    // Continuous power: Timer0 only measures (no interrupt), so the done
    // report still tells the bench how long the device ran.
    g_budgetTicks = kContinuousTicks;
    reg(kTimerValue) = kContinuousTicks;
    reg(kTimerReload) = kContinuousTicks;
    reg(kTimerCtrl) = 0x1;
    aidi_powered_begin();
    return;
  }
  g_budgetTicks = ticks;
  reg(kTimerIntClear) = 1;
  reg(kTimerValue) = ticks;
  reg(kTimerReload) = ticks;
  // The lowest priority, so SysTick can wake the expiry handler's polling.
  *reinterpret_cast<volatile std::uint8_t*>(kNvicIpr0 + kTimer0Irq) = 0xE0;
  reg(kNvicIser0) = 1u << kTimer0Irq;
  reg(kTimerCtrl) = 0x1 | 0x8;  // enable, interrupt enable
  aidi_powered_begin();
}

void writeWord(std::uint32_t word) {
  for (int i = 0; i < 4; ++i) kShimUart.writeByte(static_cast<std::uint8_t>(word >> (8 * i)));
}

// Ends the stretch on the current budget: Timer0 stops, its ticks join the
// counter; returns the ticks left (the bench's bookkeeping).
std::uint32_t endStretch() {
  aidi_powered_end();
  const std::uint32_t left = reg(kTimerValue);
  reg(kTimerCtrl) = 0;
  g_earlierTicks += g_budgetTicks - left;
  return left;
}

// After a request: skips to the bench's `tag`, reads its little-endian
// value of `bytes` bytes, then the budget from here on, and arms it.
std::uint32_t awaitReply(std::uint8_t tag, int bytes) {
  startSysTick();
  while (readByte() != tag) {
  }
  std::uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<std::uint32_t>(readByte()) << (8 * i);
  armBudget(receiveBudget());
  return value;
}

}  // namespace

void powerShimBoot() {
  g_earlierTicks = 0;
  kShimUart.enable();
  kShimUart.writeByte(kShimReady);
  armBudget(receiveBudget());
}

std::uint32_t powerShimSleep(std::uint32_t wakeMillivolts, std::uint32_t floorMillivolts, std::uint32_t alarmRtcTicks) {
  const std::uint32_t left = endStretch();  // asleep: the active budget is not being spent
  kShimUart.writeByte(kShimSleep);
  writeWord(wakeMillivolts);
  writeWord(left);
  writeWord(floorMillivolts);
  writeWord(alarmRtcTicks);
  g_sleptRtcTicks = awaitReply(kShimSlept, 4);
  return g_budgetTicks;
}

std::uint32_t powerShimReadAdc() {
  const std::uint32_t left = endStretch();
  kShimUart.writeByte(kShimAdc);
  writeWord(left);
  return awaitReply(kShimAdcValue, 2);
}

std::uint32_t powerShimNextRequest(std::uint32_t done) {
  const std::uint32_t left = endStretch();
  kShimUart.writeByte(kShimNextRequest);
  writeWord(left);
  writeWord(done);
  const std::uint32_t request = awaitReply(kShimRequest, 4);
  if (request == kPowerGoing)
    for (;;) __asm volatile("nop");  // the last tick runs out: the brown-out follows
  return request;
}

std::uint32_t powerShimTicksLeft() { return reg(kTimerValue); }

std::uint32_t powerShimLastSleepRtcTicks() { return g_sleptRtcTicks; }

std::uint32_t powerShimRtc() {
  const std::uint32_t left = endStretch();
  kShimUart.writeByte(kShimRtc);
  writeWord(left);
  return awaitReply(kShimRtc, 4);
}

void powerShimShutDown() {
  const std::uint32_t left = endStretch();
  kShimUart.writeByte(kShimShutDown);
  writeWord(left);
  // SRAM is lost: a system reset, as after a brown-out; the bench answers
  // the next boot's request once the capacitor is back at V_on.
  __asm volatile("dsb" ::: "memory");
  reg(0xE000ED0Cu) = 0x05FA0004u;  // AIRCR: VECTKEY | SYSRESETREQ
  for (;;) __asm volatile("cpsid i\n wfi");
}

std::uint32_t powerShimHoldBudget() {
  const std::uint32_t control = reg(kTimerCtrl);
  reg(kTimerCtrl) = control & ~1u;  // the count stops, the interrupt stays armed
  return control;
}

void powerShimResumeBudget(std::uint32_t held) { reg(kTimerCtrl) = held; }

std::uint32_t powerShimCyclesSinceBoot() { return (g_earlierTicks + g_budgetTicks - reg(kTimerValue)) * 40u; }

void powerShimDone() {
  aidi_powered_end();
  const std::uint32_t left = reg(kTimerValue);
  reg(kTimerCtrl) = 0;
  kShimUart.writeByte(kShimDone);
  for (int i = 0; i < 4; ++i) kShimUart.writeByte(static_cast<std::uint8_t>(left >> (8 * i)));
  for (;;) __asm volatile("cpsid i\n wfi");
}

}  // namespace aidi::fw::mps2

// The budget is spent: the bench, which granted it in instructions at the
// cycles per instruction it expected, says whether the capacitor really is
// at V_off ('P': the brown-out) or still holds energy ('B' + more budget:
// the device ran cheaper instructions than expected, and goes on).
extern "C" void Timer0_Handler() {
  using namespace aidi::fw::mps2;
  aidi_powered_end();
  reg(kTimer0Base + 0x0) = 0;
  reg(kTimer0Base + 0xC) = 1;
  g_earlierTicks += g_budgetTicks;
  g_budgetTicks = 0;
  constexpr CmsdkUart shim{kUart1Base};
  shim.writeByte(kShimExpired);
  startSysTick();  // preempts this handler (its priority is the lowest): the polling's wake-up
  for (;;) {
    const std::uint8_t b = readByte();
    if (b == kShimPowerFail) break;
    if (b != kShimBudget) continue;
    std::uint32_t ticks = 0;
    for (int i = 0; i < 4; ++i) ticks |= static_cast<std::uint32_t>(readByte()) << (8 * i);
    stopSysTick();
    armBudget(ticks);
    return;
  }
  // The power is gone: a system reset (SYSRESETREQ) restarts the board the way
  // QEMU's own reset does, re-applying the cold-SRAM loader and keeping the NVM.
  __asm volatile("dsb" ::: "memory");
  reg(0xE000ED0Cu) = 0x05FA0004u;  // AIRCR: VECTKEY | SYSRESETREQ
  for (;;) __asm volatile("cpsid i\n wfi");
}

// Runs before the C start-up (startup.cpp): nothing here may rely on .data,
// .bss or constructors.
extern "C" void aidi_reset_hook() { aidi::fw::mps2::powerShimBoot(); }
