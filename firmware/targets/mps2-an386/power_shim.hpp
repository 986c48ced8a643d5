// The power shim of the virtual board: how QEMU gets intermittent power.
//
// At every boot, before the application runs, the shim asks the bench for
// this power cycle's on-time on UART1 ('R'), receives it ('B' + u32 LE, in
// Timer0 ticks), arms Timer0 and returns. When Timer0 expires the shim
// reports 'X'; the bench, which granted the budget at the cycles per
// instruction it expected, answers 'B' + more ticks if the capacitor still
// holds energy, or 'P' if it is at V_off: the brown-out, and the shim
// resets the board (SYSRESETREQ: QEMU re-applies the cold-SRAM loader, NVM
// is kept). An
// application that finishes reports 'D' + u32 LE ticks left; one that wants
// to wait for energy without losing SRAM sleeps ('S', see powerShimSleep). With -icount shift=0 one Timer0
// tick is 40 instructions, exactly and reproducibly.
#pragma once

#include <cstdint>

namespace aidi::fw::mps2 {

inline constexpr std::uint8_t kShimReady = 'R';
inline constexpr std::uint8_t kShimBudget = 'B';
inline constexpr std::uint8_t kShimPowerFail = 'P';
inline constexpr std::uint8_t kShimExpired = 'X';
inline constexpr std::uint8_t kShimDone = 'D';
inline constexpr std::uint8_t kShimSleep = 'S';
inline constexpr std::uint8_t kShimAdc = 'A';
inline constexpr std::uint8_t kShimAdcValue = 'V';
inline constexpr std::uint8_t kShimSlept = 'W';
inline constexpr std::uint8_t kShimShutDown = 'O';
inline constexpr std::uint8_t kShimRtc = 'T';
inline constexpr std::uint8_t kShimNextRequest = 'Q';
inline constexpr std::uint8_t kShimRequest = 'N';
inline constexpr std::uint32_t kNoMoreRequests = 0xFFFFFFFFu;
inline constexpr std::uint32_t kPowerGoing = 0xFFFFFFFEu;  // browned out while waiting
inline constexpr std::uint32_t kContinuousTicks = 0xFFFFFFFFu;

// Blocks until the bench sends this cycle's budget, then arms the brown-out.
// The start-up calls it at reset (aidi_reset_hook), before .data and .bss
// exist: every instruction after it, the C start-up's included, is charged.
// A budget of 0 means continuous power (no brown-out): Timer0 then counts
// down from kContinuousTicks without an interrupt, so 'D' still reports the
// ticks left and the bench knows how long the device ran.
void powerShimBoot();
// Sleeps (Timer0 stopped, the device drawing its sleep power) until the
// comparator sees the capacitor rise to `wakeMillivolts` (or the capacitor
// is full) or fall to `floorMillivolts` (its second threshold: time to
// checkpoint), or until `alarmRtcTicks` pass (0: no alarm). Sends 'S' +
// u32 wake mV + u32 ticks left + u32 floor mV + u32 alarm, receives 'W' +
// u32 RTC ticks slept (32,768 Hz), then 'B' + the new budget and arms it;
// returns it in ticks. With a
// floor of 0, falling to V_off while asleep is a brown-out: the bench grants
// one tick and it follows as usual.
std::uint32_t powerShimSleep(std::uint32_t wakeMillivolts, std::uint32_t floorMillivolts, std::uint32_t alarmRtcTicks);
// One ADC conversion of the capacitor's voltage (the board profile's
// resolution, full scale, noise and conversion time; the bench charges the
// conversion). Sends 'A' + u32 ticks left, receives 'V' + u16 LE code, then
// 'B' + the budget from here on, and arms it.
std::uint32_t powerShimReadAdc();
// The last sleep's length by the real-time clock, in its ticks.
std::uint32_t powerShimLastSleepRtcTicks();
// The real-time clock now (32,768 Hz, wrapping; it runs asleep and shut
// down): sends 'T' + u32 ticks left, receives 'T' + u32 ticks, then 'B' +
// the budget from here on, and arms it.
std::uint32_t powerShimRtc();
// Continuous operation: reports request `done` finished (0: none) and waits,
// asleep, for the next request. Sends 'Q' + u32 ticks left + u32 done,
// receives 'N' + u32 request id (kNoMoreRequests: the run's window is over),
// then 'B' + the budget from here on. Waiting may brown the board out
// (kPowerGoing): this does not return, and the next boot asks again.
std::uint32_t powerShimNextRequest(std::uint32_t done);
// Shuts the board down to wait for energy: sends 'O' + u32 ticks left and
// resets (SRAM lost, NVM kept); the bench charges the capacitor at the
// board's shutdown power to V_on, and the next boot follows as after a
// brown-out.
[[noreturn]] void powerShimShutDown();
// Tells the bench the application finished; the core then sleeps.
[[noreturn]] void powerShimDone();
// Timer0 ticks left in this budget: the bench's brown-out, which no device
// can know (it includes the harvest to come). Read only by the oracle
// monitor the study compares against (RunConfig::sensing).
std::uint32_t powerShimTicksLeft();
// Instructions executed on this power cycle's budgets so far (40 per Timer0
// tick; sleeps and telemetry frames excluded): the device's cycle counter.
std::uint32_t powerShimCyclesSinceBoot();

// Holds the budget's timer while the bench observes the device (a telemetry
// frame is sent): observation is not the runtime, so it costs no policy any
// energy or time on the virtual board, whichever reports more; the bench
// counts its instructions apart. Returns what powerShimResumeBudget restores.
std::uint32_t powerShimHoldBudget();
void powerShimResumeBudget(std::uint32_t held);

}  // namespace aidi::fw::mps2

// Marker calls of the bench's counting plugin (insn_window): the window from
// the first to the second holds what the device runs on its energy budget,
// so its cycle-approximate count measures the device's cycles per
// instruction. They cost a call each and do nothing.
extern "C" void aidi_powered_begin();
extern "C" void aidi_powered_end();
