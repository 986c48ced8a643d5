// The `aidi` policy's energy decision, taken between bands of rows: go on,
// go for the finish, sleep powered for energy, or checkpoint and then sleep.
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

// The headroom above the reserve below which the device sleeps (for the
// runtime's wake-up check).
inline std::uint64_t sleepHeadroom(const EnergyState& s) { return s.nextRow + s.reserve / 2; }

}  // namespace aidi::fw
