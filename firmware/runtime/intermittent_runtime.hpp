// The intermittent execution engine: one inference as a sequence of jobs,
// each computing a band of output rows of one layer from inputs in NVM and
// committing that band and the progress record to NVM. Every tensor has its
// own NVM region, so a job never overwrites what it reads and re-executing it
// after any power failure writes the same bytes. SRAM holds only the job's
// working buffers and is never trusted across a boot: after a restart the
// runtime reads everything it needs from NVM.
#pragma once

#include <cstdint>

#include "kernel_set.hpp"
#include "model_view.hpp"
#include "nvm.hpp"
#include "plain_inference.hpp"
#include "progress_record.hpp"
#include "scheduler_policy.hpp"

namespace aidi::fw {

// Where things live in NVM: the progress record, the job plan of the
// inference in progress, then every tensor.
struct NvmLayout {
  std::uint32_t planOffset = 0;
  std::uint32_t tensorOffset[kMaxTensors];
  std::uint32_t bytes = 0;
};

// False when the model's tensors do not fit `nvmBytes`.
bool planNvm(const ModelView& model, std::uint32_t nvmBytes, NvmLayout& layout);

// SRAM the runtime needs for the largest job of `plan` (inputs and output band).
std::uint32_t scratchBytesNeeded(const ModelView& model, const JobPlan& plan);

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

class IntermittentRuntime {
 public:
  // `plan` is used for inferences started by this runtime; a restored
  // inference keeps the plan it started with (read back from NVM), so a
  // layer is never cut differently halfway through.
  //
  // With `adaptJobs`, a job that did not complete within a whole power cycle
  // (a boot that restored it ended without a commit) is split: the next boot
  // cuts the rest of that layer into jobs of half the rows (or fewer), down to
  // one row. The `layer` policy does not adapt: it reports "did not finish".
  IntermittentRuntime(const ModelView& model, const KernelSet& kernels, const JobPlan& plan, const NvmLayout& layout,
                      Nvm& nvm, std::int8_t* scratch, std::uint32_t scratchBytes, bool adaptJobs = false);

  // Reads the progress record after a boot. Idle when NVM holds none.
  RunStatus restore();
  // Begins inference `inference` on a 28x28 image: input to NVM, progress to layer 0.
  RunStatus start(const std::uint8_t* image, std::uint32_t inference, JobObserver* observer = nullptr);
  // Runs jobs from the restored progress until done or a power failure.
  RunStatus resume(JobObserver* observer = nullptr);
  // After Done: the output tensor from NVM; returns the first index of the maximum.
  int result(std::int8_t* logits, int maxLogits);
  const Progress& progress() const { return m_progress; }
  bool scratchFits() const { return m_scratchBytes >= scratchBytesNeeded(m_model, m_plan); }
  const JobPlan& plan() const { return m_plan; }

 private:
  bool runJob(std::uint16_t layer, std::uint16_t job, std::uint32_t& nvmBytes);
  std::uint16_t rowsPerJob(std::uint16_t layer) const;
  std::uint16_t jobsIn(std::uint16_t layer) const;

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
  bool m_adapt;
};

}  // namespace aidi::fw
