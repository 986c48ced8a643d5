// The `aidi` policy's energy decision, taken between bands of rows: go on,
// go for the finish, sleep powered for energy, or checkpoint and then sleep;
// and when it must wait, whether to sleep powered or shut down.
// A pure function of what the device measured (energy left from its
// monitor, the rest of the inference from its corrected cost model), kept
// inline so the runtime's instruction counts do not change; the table-driven
// tests in tests/firmware/aidi_decision_test.cpp pin its behaviour.
#pragma once

#include <algorithm>
#include <cstdint>

namespace aidi::fw {

// The decisions run thousands of times an inference: in float, which the
// Cortex-M4 computes in hardware (double is emulated, ~60 instructions an
// operation). Its 24-bit mantissa is ample for cycle counts judged against a
// margin of a few percent.
using Real = float;

// Margin on the estimated rest of the inference before going for the finish.
inline constexpr Real kFinishMargin = 1.03f;
// Remaining work above which a sleep asks for half of it (about 0.5 mJ).
inline constexpr Real kHalvingAboveCycles = 2e6f;

struct EnergyState {
  std::uint32_t left;         // cycles of energy left, as the monitor reads it
  std::uint64_t reserve;      // cycles to persist what must survive a brown-out
  std::uint64_t nextRow;      // the next row at its worst, twice (the check comes between bands)
  Real rest;                  // cycles of the rest of the inference, corrected online
  Real finalCycles;           // the final commit
  bool nothingToSave;         // no unsaved state and no progress since the last commit
  bool fellToFloor;           // the last sleep ended at the floor, not at its target
};

enum class EnergyAction : std::uint8_t {
  Finish,                // the energy suffices to finish: run to the end
  Run,                   // enough for the next band (or nothing to lose): run it
  Sleep,                 // low: sleep powered until `want`, or until the floor (then checkpoint)
  CheckpointThenSleep,   // at the reserve: persist, then sleep until `want`
};

struct EnergyDecision {
  EnergyAction action;
  std::uint32_t want = 0;   // Sleep / CheckpointThenSleep: cycles of energy to wake with
  std::uint32_t floor = 0;  // Sleep: wake early when the energy falls to this (the reserve)
};

inline EnergyDecision decideEnergy(const EnergyState& s) {
  // Enough energy to finish, with a margin for the estimate: go (a
  // misjudgement costs a brown-out and the work since the last commit,
  // never correctness).
  if (static_cast<Real>(s.left) > s.rest * kFinishMargin + s.finalCycles) return {EnergyAction::Finish};
  if (s.nothingToSave) return {EnergyAction::Run};
  // What to sleep for. The last sip of energy is where an estimate error
  // costs time (harvested, never used): ask for just enough to finish when
  // little remains; for half of a long rest otherwise (and look again with a
  // fresher correction), never for less than keeps the device clear of its
  // thresholds when it wakes.
  const std::uint64_t headroom = s.nextRow + s.reserve / 2;
  const Real finish = s.rest * kFinishMargin * 1.01f + s.finalCycles;  // wakes able to finish
  const Real want = s.rest <= kHalvingAboveCycles
                        ? finish
                        : std::min(finish, std::max(s.rest / 2 + s.finalCycles,
                                                    2.0f * static_cast<Real>(s.reserve + headroom)));
  const auto wantCycles = want > 4e9f ? 0xFFFFFFFFu : static_cast<std::uint32_t>(want);
  if (s.left < s.reserve || s.fellToFloor) return {EnergyAction::CheckpointThenSleep, wantCycles, 0};
  if (s.left < s.reserve + headroom)
    return {EnergyAction::Sleep, wantCycles, static_cast<std::uint32_t>(s.reserve)};
  return {EnergyAction::Run};
}

// Waiting for energy: asleep and powered (SRAM kept, the board drawing its
// sleep power), or checkpointed and shut down (drawing almost nothing, SRAM
// lost, woken by a comparator at V_on, then a cold boot and the live rows
// read back). Everything in cycles of energy, as the device measured it.
struct WaitState {
  Real harvest;       // per second arriving, net of leakage (its own measurement); < 0: not measured yet
  Real sleepDraw;     // per second asleep, powered
  Real shutdownDraw;  // per second shut down
  Real left;          // stored above V_off now
  Real atOn;          // stored above V_off at V_on, where a shut-down board wakes
  Real wakeCost;      // of a cold boot: start-up, restore, the live rows read back
  Real want;          // what the wait is for (the decision's sleep target)
  bool moreWork;      // more inferences follow this one (continuous operation)
  bool brownOutAllowed = false;  // the harvest estimate is fresh enough to skip measuring it (brownOutToWait)
  Real brownOutLoss = 0;         // of the work a brown-out cuts off (brownOutToWait)
};

// The longest sleep that measures a harvest not measured yet.
inline constexpr Real kProbeSleepS = 5.0f;

// Shutting down must be this much sooner than sleeping.
inline constexpr Real kShutdownAdvantage = 1.1f;

// Whether to shut down rather than sleep powered, by when each has the
// energy wanted: asleep, at the harvest less the sleep draw; shut down, not
// before V_on (a shut-down board wakes only there), and, for more than one
// charge holds, at the harvest less the shutdown draw with every wake-up
// paid from its charge. When more inferences follow, what a charge to V_on
// brings beyond the want is not wasted: the rates decide. A powered sleep
// that drains what arrives never gets there: shut down. Before the harvest
// is measured, sleep (the sleep measures it).
inline bool shutDownToWait(const WaitState& w) {
  if (w.harvest < 0) return false;
  const Real asleep = w.harvest - w.sleepDraw;
  const Real shut = w.harvest - w.shutdownDraw;
  if (asleep <= 0) return true;  // a powered sleep drains the capacitor: stop drawing
  const Real toOn = w.atOn - w.left;
  if (shut <= 0 || toOn <= w.wakeCost) return false;
  const Real useful = shut * (1.0f - w.wakeCost / toOn);  // per second, a wake-up paid from each charge
  if (w.moreWork) return useful > kShutdownAdvantage * asleep;
  const Real needed = w.want > w.left ? w.want - w.left : 0.0f;
  const Real sleepS = needed / asleep;
  const Real shutS = w.want + w.wakeCost <= w.atOn ? toOn / shut
                                                   : needed / useful;
  return kShutdownAdvantage * shutS < sleepS;
}

// Once shutting down is the choice (after the checkpoint), whether to run
// on into a brown-out instead: the harvester's PMIC cuts the board off at
// V_off and it draws nothing until V_on (no comparator, no MCU in shutdown);
// what is left above V_off goes into rows that are each kept while the
// energy pays for writing them, so the brown-out throws away about the row
// it cuts (`brownOutLoss`). Against a shutdown, which keeps `left` and draws
// meanwhile, for the same energy at hand after the wake:
//   (atOn - left + loss) / h  <  (atOn - left) / (h - shutdownDraw)
//   <=>  loss (h - shutdownDraw) < (atOn - left) shutdownDraw,
// so at a weak harvest, where the shutdown's draw is a share of what
// arrives. A brown-out stops the real-time clock, so it measures no harvest:
// only while the estimate is fresh.
inline bool brownOutToWait(const WaitState& w) {
  if (!w.brownOutAllowed || !(w.harvest > 0) || !(w.atOn > w.left)) return false;
  return w.brownOutLoss * (w.harvest - w.shutdownDraw) < (w.atOn - w.left) * w.shutdownDraw;
}

// The headroom above the reserve below which the device sleeps (for the
// runtime's wake-up check).
inline std::uint64_t sleepHeadroom(const EnergyState& s) { return s.nextRow + s.reserve / 2; }

}  // namespace aidi::fw
