// The intermittent execution engine: one inference as a sequence of jobs,
// each computing a band of output rows of one layer from inputs in NVM and
// preserving its outputs to NVM. Every tensor has its own NVM region, so a
// job never overwrites what it reads and re-executing it after any power
// failure writes the same bytes. SRAM holds only the job's working buffers
// and is never trusted across a boot: after a restart the runtime reads
// everything it needs from NVM.
//
// How it knows, after a power failure, how far it got is the policy's
// (proto::JobProgress, docs/baselines.md):
//   Record      a job is a tile of rows; a progress record is committed
//               after every tile (layer, fixed-tile, loop, aidi, inas).
//   Footprints  HAWAII: a tile's inputs are fetched once and its rows are
//               preserved one by one, each followed by the layer's footprint
//               (rows done, a versioned word in two copies).
//   States      Stateful: as Footprints, but each row is preserved with a
//               state byte (the inference's generation) in the same write:
//               no progress write per row; recovery searches the states.
//   LoopIndex   SONIC: an output row at a time; a convolution's or fully
//               connected layer's row in passes over kSonicPassChannels input
//               channels, the partial sums double-buffered in NVM (a fully
//               connected layer's updated in place under an undo log), the
//               loop index (row, pass) written after every pass.
// With Footprints, States and LoopIndex the progress record is committed
// once per layer.
#pragma once

#include <cstdint>

#include "aidi/proto/policies.hpp"
#include "kernel_set.hpp"
#include "model_view.hpp"
#include "nvm.hpp"
#include "plain_inference.hpp"
#include "progress_record.hpp"
#include "scheduler_policy.hpp"

namespace aidi::fw {

using JobProgress = proto::JobProgress;

// Where things live in NVM: the progress record, the job plan of the
// inference in progress, the footprints and DynBal's boot mark, then every
// tensor. With States, a layer's output rows each carry a state byte.
// SONIC's pass: input channels added to the partial sums per iteration.
inline constexpr std::int32_t kSonicPassChannels = 8;

struct NvmLayout {
  std::uint32_t planOffset = 0;
  std::uint32_t loopIndexOffset = 0;   // SONIC: two 8-byte copies
  std::uint32_t partialOffset[2] = {};  // SONIC: a row of int32 partial sums, twice
  std::uint32_t undoOffset = 0;         // SONIC: the old sums of a fully connected pass, then its header
  std::uint32_t footprintOffset = 0;  // two 4-byte copies per layer
  std::uint32_t bootMarkOffset = 0;   // DynBal's position at the last boot
  std::uint32_t tensorOffset[kMaxTensors];
  std::uint8_t stateBytes[kMaxTensors];  // per row: 1 with States for a layer's output
  std::uint32_t bytes = 0;
};

// False when the model's tensors do not fit `nvmBytes`.
bool planNvm(const ModelView& model, std::uint32_t nvmBytes, NvmLayout& layout,
             JobProgress progress = JobProgress::Record);

// SRAM the job engine needs for a tile of `rows` rows of layer `index`.
std::uint32_t tileScratchBytes(const ModelView& model, std::uint16_t index, std::uint16_t rows, JobProgress progress);
// SRAM the runtime needs for the largest tile of `plan`.
std::uint32_t scratchBytesNeeded(const ModelView& model, const JobPlan& plan,
                                 JobProgress progress = JobProgress::Record);

// The finished inference's output tensor from NVM into `logits` (capacity
// `maxLogits`); returns the first index of the maximum.
int readResult(const ModelView& model, const NvmLayout& layout, Nvm& nvm, std::int8_t* logits, int maxLogits);

enum class RunStatus : std::uint8_t {
  Done,         // the inference finished; result() is valid
  PowerFailed,  // an NVM write failed: the device is going down
  Idle,         // no inference in progress (after restore on formatted NVM)
};

// Called after each committed job (telemetry, watchdog).
struct JobObserver {
  virtual void onCommit(const Progress& progress, std::uint16_t jobsInLayer, std::uint32_t nvmBytes) = 0;
  // The runtime turns to layer `layer`'s work (reading its inputs, running
  // its rows): the virtual board marks it, so the bench can tell where the
  // energy goes layer by layer.
  virtual void onWork(std::uint16_t layer) { (void)layer; }

 protected:
  ~JobObserver() = default;
};

struct JobEngineOptions {
  JobProgress progress = JobProgress::Record;
  // Record: a job that did not complete within a whole power cycle (a boot
  // that restored it ended without a commit) is split: the next boot cuts
  // the rest of that layer into jobs of half the rows (or fewer), down to
  // one row. The `layer` policy and the published runtimes do not.
  bool splitStalledJobs = false;
  // DynBal: re-balance each layer's tile at every boot from the work the
  // last power cycle did (baseline_decisions.hpp), with these NVM costs.
  bool rebalanceTiles = false;
  NvmCosts costs{};
};

// The job engine's options for a row of the policy table: how it keeps
// progress, whether it splits a stalled job (our own job policies: the
// published runtimes do what their papers do), whether it re-balances.
inline JobEngineOptions jobEngineOptions(const proto::PolicyInfo& policy, const NvmCosts& costs) {
  JobEngineOptions o;
  o.progress = policy.progress;
  o.splitStalledJobs = policy.progress == JobProgress::Record && policy.paper == nullptr &&
                       policy.policy != proto::Policy::Layer;
  o.rebalanceTiles = policy.policy == proto::Policy::DynBal;
  o.costs = costs;
  return o;
}

class IntermittentRuntime {
 public:
  // `plan` is used for inferences started by this runtime; a restored
  // inference keeps the plan it started with (read back from NVM), so a
  // layer is never cut differently halfway through (DynBal re-cuts only
  // the tiles, which preserve row by row).
  IntermittentRuntime(const ModelView& model, const KernelSet& kernels, const JobPlan& plan, const NvmLayout& layout,
                      Nvm& nvm, std::int8_t* scratch, std::uint32_t scratchBytes, const JobEngineOptions& options = {});

  // Reads the progress after a boot. Idle when NVM holds none.
  RunStatus restore();
  // Begins inference `inference` on a 28x28 image: input to NVM, progress to layer 0.
  RunStatus start(const std::uint8_t* image, std::uint32_t inference, JobObserver* observer = nullptr);
  // Runs jobs from the restored progress until done or a power failure.
  RunStatus resume(JobObserver* observer = nullptr);
  // After Done: the output tensor from NVM; returns the first index of the maximum.
  int result(std::int8_t* logits, int maxLogits);
  const Progress& progress() const { return m_progress; }
  bool scratchFits() const { return m_scratchBytes >= scratchBytesNeeded(m_model, m_plan, m_options.progress); }
  const JobPlan& plan() const { return m_plan; }
  // DynBal: the work (estimated cycles) the last power cycle did, as this boot measured it (0: unknown).
  std::uint64_t lastPowerCycleWork() const { return m_lastCycleWork; }

 private:
  bool runJob(std::uint16_t layer, std::uint16_t job, std::uint32_t& nvmBytes);
  RunStatus runRowsPreserved(std::uint16_t layer, JobObserver* observer);
  RunStatus runSonicIteration(std::uint16_t layer, JobObserver* observer);
  void loadLoopIndex(std::uint16_t layer);
  bool writeLoopIndex(std::uint16_t layer, std::uint16_t row, std::uint16_t pass);
  bool undoInterruptedPass();
  RunStatus resumeRowByRow(JobObserver* observer);
  std::uint16_t rowsPerJob(std::uint16_t layer) const;
  std::uint16_t jobsIn(std::uint16_t layer) const;
  std::uint16_t rowsDone(std::uint16_t layer);
  void readRows(std::uint16_t tensor, std::int32_t first, std::int32_t count, std::int8_t* to);
  std::uint32_t rowOffset(std::uint16_t tensor, std::int32_t row) const;
  bool writeFootprint(std::uint16_t layer, std::uint16_t rows);
  void loadFootprint(std::uint16_t layer);
  void enterLayer(std::uint16_t layer, bool afterBoot);
  void measureLastPowerCycle();

  const ModelView& m_model;
  const KernelSet& m_kernels;
  const JobPlan& m_startPlan;  // for inferences this runtime starts
  JobPlan m_plan;              // of the inference in progress
  const NvmLayout& m_layout;
  Nvm& m_nvm;
  ProgressRecord m_record;
  std::int8_t* m_scratch;
  std::uint32_t m_scratchBytes;
  Progress m_progress{};
  bool m_active = false;
  JobEngineOptions m_options;
  // The current layer's footprint: the newer copy's version and which copy it is.
  std::uint8_t m_footprintVersion = 0;
  std::uint8_t m_footprintCopy = 0;
  std::uint64_t m_lastCycleWork = 0;
  // SONIC: the pass of the current row, and the loop index's newer copy.
  std::uint16_t m_pass = 0;
  std::uint8_t m_indexVersion = 0;
  std::uint8_t m_indexCopy = 0;
  bool m_down = false;  // a write failed while restoring: nothing more runs this boot
};

// SONIC's passes over a layer's row: one per group of kSonicPassChannels
// input channels for a convolution or fully connected layer, else one.
std::uint16_t sonicPasses(const ModelView& model, const LayerInfo& l);

}  // namespace aidi::fw
