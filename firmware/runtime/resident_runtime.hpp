// The aidi policy's engine: activations stay in SRAM (the plain inference's
// arena) and NVM receives only what must survive a power failure, just in
// time. Before each band of output rows the engine asks the energy monitor
// how many cycles the stored energy still allows:
//   - enough to finish the inference (planner's estimate, corrected online by
//     what rows really cost since the last wake-up): go on;
//   - getting low: sleep, powered and with SRAM kept, until the energy for
//     (half) the rest is stored, or until the capacitor drains to the
//     checkpoint reserve (a second threshold), whichever comes first;
//   - at the reserve: write the rows of every live tensor not yet in NVM,
//     commit the progress (layer, row), then sleep for energy (or, where the
//     device cannot sleep, run on into the brown-out).
// So under a positive harvest nothing is written before the end, a tensor
// produced and consumed between checkpoints never touches NVM, and the device
// never waits for the full charge to V_on that a brown-out imposes.
//
// After a boot SRAM is not trusted: rows of live tensors are read back from
// NVM when a computation first needs them. Every tensor has its own NVM
// region and is written with the same bytes on re-execution, so a power
// failure at any write leaves a state the last commit describes.
//
// A boot that ends without a commit makes the next boots more careful: the
// reserve is multiplied by the number of boots since the last commit.
//
// With fixed bands (setFixedBandRows, the resident-tile policy) the same
// engine runs a static schedule instead: every band of rows is persisted
// and committed, whatever the energy; the study compares the two to credit
// the engine and the decisions apart.
#pragma once

#include <cstdint>

#include "aidi_decision.hpp"
#include "arena_plan.hpp"
#include "intermittent_runtime.hpp"
#include "kernel_set.hpp"
#include "model_view.hpp"
#include "nvm.hpp"
#include "progress_record.hpp"
#include "scheduler_policy.hpp"

namespace aidi::fw {

class EnergyMonitor {
 public:
  // CPU cycles of work the stored energy still allows before the brown-out,
  // as the device senses it (SensedEnergyMonitor: from its ADC).
  virtual std::uint32_t cyclesLeft() = 0;
  // The device's own cycle counter, which measures what work really costs
  // (wraps at 2^32); 0 where there is none (the cost model is then taken as is).
  virtual std::uint32_t cyclesNow() { return 0; }
  // Sleeps, powered and with SRAM kept, until the stored energy allows
  // `cycles` cycles of work or the capacitor is full, or until it falls to
  // `floor` cycles (a second comparator threshold; 0: sleep on into the
  // brown-out). False when the device cannot sleep; after true,
  // cyclesLeft() reports the energy now stored.
  virtual bool sleepUntil(std::uint32_t cycles, std::uint32_t floor) {
    (void)cycles;
    (void)floor;
    return false;
  }
  // What waiting for energy would bring: the harvest the device measured
  // and its draws asleep and shut down, and the energy at V_on (fills
  // everything of WaitState but `left` and `wakeCost`). False where the
  // board cannot tell or cannot shut down.
  virtual bool waitOutlook(WaitState& w) {
    (void)w;
    return false;
  }
  // Shuts the board down until the capacitor reaches V_on, when it wakes
  // with a cold boot: returns only where that is not possible.
  virtual void shutDown() {}
  // The board is about to brown out on purpose (brownOutToWait): a wait
  // whose harvest it cannot measure.
  virtual void brownOutComing() {}
  // The next sleepUntil also ends after `seconds` (the real-time clock's
  // alarm), where the board has one.
  virtual void limitNextSleep(float seconds) { (void)seconds; }

 protected:
  ~EnergyMonitor() = default;
};

// Under continuous power, or where no monitor exists: only the end commits.
struct UnlimitedEnergy final : EnergyMonitor {
  std::uint32_t cyclesLeft() override { return 0xFFFFFFFFu; }
};

inline constexpr std::int32_t kMaxResidentRows = 64;  // rows tracked per tensor

class ResidentRuntime {
 public:
  // `arena` holds plan.bytes bytes (planArena); `layout` from planNvm.
  ResidentRuntime(const ModelView& model, const KernelSet& kernels, const ArenaPlan& plan, const NvmLayout& layout,
                  Nvm& nvm, const NvmCosts& nvmCosts, std::int8_t* arena, EnergyMonitor& monitor);

  // Rows computed by one kernel call at most (host sweeps use 1, so every
  // row is a step where power can be lost).
  void setMaxBandRows(std::int32_t rows) { m_maxBandRows = rows < 1 ? 1 : rows; }
  // A static schedule instead of the energy decisions (resident-tile): bands
  // of `rows` output rows, each persisted and committed; no energy is
  // measured, nothing sleeps. 0: the aidi decisions.
  void setFixedBandRows(std::int32_t rows) { m_fixedBandRows = rows < 0 ? 0 : rows; }
  // Continuous operation: more inferences follow this one, so energy stored
  // beyond this one's need is not wasted (shutDownToWait).
  void setMoreWorkFollows(bool more) { m_moreWork = more; }

  // False when a tensor has more rows than kMaxResidentRows.
  bool supported() const { return m_supported; }

  RunStatus restore();
  RunStatus start(const std::uint8_t* image, std::uint32_t inference, JobObserver* observer = nullptr);
  RunStatus resume(JobObserver* observer = nullptr);
  int result(std::int8_t* logits, int maxLogits);
  const Progress& progress() const { return m_progress; }

 private:
  RunStatus resumeFixedBands(JobObserver* observer);
  bool live(std::uint16_t tensor, std::uint16_t layer) const;
  std::uint32_t rowBytes(std::uint16_t tensor) const;
  std::uint64_t unsavedBytes(std::uint16_t layer, std::uint32_t& tensors) const;
  // Instead of sleeping powered: shut down when the measured harvest says a
  // cold boot at V_on comes sooner (shutDownToWait). A shut-down board wakes
  // only at V_on, so energy kept above the reserve would only add cold boots:
  // above it (`atReserve` false) the choice is to run on down to it; at it,
  // checkpoint and shut down, or, where that reaches V_on sooner
  // (brownOutToWait), checkpoint and run on into the brown-out. Before the harvest is measured, narrows `want`
  // and `floor` so that the sleep that measures it is short.
  enum class WaitChoice : std::uint8_t { Sleep, RunOn, Failed };
  // `lostRow`: the work a brown-out would cut off.
  WaitChoice chooseWait(std::uint16_t layer, std::int32_t row, std::uint32_t left, bool atReserve,
                        std::uint64_t lostRow, std::uint32_t& want, std::uint32_t& floor, JobObserver* observer);
  bool ensureRows(std::uint16_t tensor, std::int32_t first, std::int32_t last);
  // Output rows [first, last) of `layer`, in one kernel call.
  void computeRows(std::uint16_t layer, std::int32_t first, std::int32_t last);
  // Persists the unsaved rows of the tensors live at (layer, row) and commits.
  bool checkpoint(std::uint16_t layer, std::uint16_t row, JobObserver* observer);
  // Sleeps powered for energy with the NVM asleep too (its standby draw
  // would dwarf the MCU's); false when the energy fell to `floor` instead.
  bool sleepForEnergy(std::uint32_t want, std::uint32_t floor);
  void resetTracking();
  // Writing the output tensor and committing "done".
  std::uint64_t finalCommitCycles() const;

  const ModelView& m_model;
  const KernelSet& m_kernels;
  const ArenaPlan& m_plan;
  const NvmLayout& m_layout;
  Nvm& m_nvm;
  ProgressRecord m_record;
  std::int8_t* m_arena;
  EnergyMonitor& m_monitor;
  NvmCosts m_nvmCosts;
  std::uint64_t m_commitCycles;
  Progress m_progress{};
  bool m_active = false;
  std::uint64_t m_reloadCycles = 0;  // rows read back from NVM since this boot's restore
  bool m_moreWork = false;
  // Checkpointed and spending the rest into a brown-out (brownOutToWait):
  // the rows run on while the energy lasts, without waiting.
  bool m_runningIntoBrownOut = false;
  std::uint32_t m_bootCycles = 0;  // the device's counter when restore() ran: its start-up's cost
  bool m_supported = true;
  std::int32_t m_maxBandRows;
  std::int32_t m_fixedBandRows = 0;
  std::int32_t m_first[kMaxTensors], m_last[kMaxTensors];
  std::uint64_t m_resident[kMaxTensors];   // bit r: row r is valid in the arena
  std::uint16_t m_produced[kMaxTensors];   // rows [0, produced) computed
  std::uint16_t m_persisted[kMaxTensors];  // rows [0, persisted) in NVM
};

}  // namespace aidi::fw
