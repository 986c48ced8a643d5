#include "crash_sweep.hpp"

#include <cstring>
#include <random>

#include "arena_plan.hpp"
#include "failing_nvm.hpp"
#include "intermittent_runtime.hpp"
#include "plain_inference.hpp"

namespace aidi::fw::host {
namespace {

constexpr int kMaxLogits = 64;
constexpr std::uint32_t kNvmBytes = 512 * 1024;

struct Setup {
  JobPlan plan;
  bool adapt;
  NvmLayout layout;
  std::vector<std::int8_t> scratch;
  std::int8_t expected[kMaxLogits];
  int outputs;
};

Setup prepare(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy, std::uint64_t cycles,
              const std::uint8_t* image) {
  Setup s;
  planJobs(model, policy, cycles, 16, s.plan);
  s.adapt = policy != SchedulerPolicy::Layer;
  planNvm(model, kNvmBytes, s.layout);
  s.scratch.resize(scratchBytesNeeded(model, s.plan));
  ArenaPlan arena;
  planArena(model, arena);
  std::vector<std::int8_t> memory(arena.bytes);
  runPlainInference(model, arena, kernels, image, memory.data(), s.expected, kMaxLogits);
  s.outputs = model.tensor(model.outputTensor()).shape.size();
  return s;
}

// Boots until the inference is done. The first boot starts it; every later
// boot restores from NVM with SRAM full of garbage.
bool finishAfterFailures(const ModelView& model, const KernelSet& kernels, Setup& s, FailingNvm& nvm,
                         const std::uint8_t* image, const std::vector<std::int64_t>& failures) {
  std::size_t next = 0;
  for (int boot = 0; boot < 10000; ++boot) {
    std::memset(s.scratch.data(), 0xA5 ^ boot, s.scratch.size());  // SRAM is never trusted
    nvm.failAtWrite(next < failures.size() ? failures[next] : -1);
    IntermittentRuntime runtime(model, kernels, s.plan, s.layout, nvm, s.scratch.data(),
                                static_cast<std::uint32_t>(s.scratch.size()), s.adapt);
    RunStatus status = runtime.restore();
    if (status == RunStatus::Idle || runtime.progress().inference != 1) {
      // No committed progress of this inference yet: the host sends the run again.
      status = runtime.start(image, 1);
    } else if (status != RunStatus::Done) {
      status = runtime.resume();
    }
    if (status == RunStatus::Done) {
      std::int8_t logits[kMaxLogits];
      runtime.result(logits, kMaxLogits);
      return std::memcmp(logits, s.expected, static_cast<std::size_t>(s.outputs)) == 0;
    }
    ++next;
  }
  return false;
}

}  // namespace

SweepResult crashSweep(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy,
                       std::uint64_t cyclesPerPowerCycle, const std::uint8_t* image, std::uint64_t stride) {
  Setup s = prepare(model, kernels, policy, cyclesPerPowerCycle, image);
  SweepResult r;
  for (std::uint16_t i = 0; i < model.layerCount(); ++i) r.jobs += s.plan.jobs[i];
  {
    FailingNvm nvm(kNvmBytes);
    IntermittentRuntime runtime(model, kernels, s.plan, s.layout, nvm, s.scratch.data(),
                                static_cast<std::uint32_t>(s.scratch.size()));
    runtime.start(image, 1);
    r.writesPerInference = nvm.stats().writes;
  }
  for (std::uint64_t k = 0; k < r.writesPerInference; k += stride) {
    FailingNvm nvm(kNvmBytes);
    ++r.pointsTried;
    if (!finishAfterFailures(model, kernels, s, nvm, image, {static_cast<std::int64_t>(k)})) {
      if (r.divergences++ == 0) r.firstDivergence = static_cast<std::int64_t>(k);
    }
  }
  return r;
}

SweepResult randomFailureSweep(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy,
                               std::uint64_t cyclesPerPowerCycle, const std::uint8_t* image, int schedules,
                               int failures, std::uint32_t seed) {
  Setup s = prepare(model, kernels, policy, cyclesPerPowerCycle, image);
  SweepResult r;
  std::mt19937 rng(seed);
  for (int i = 0; i < schedules; ++i) {
    std::vector<std::int64_t> points;
    for (int f = 0; f < failures; ++f) points.push_back(static_cast<std::int64_t>(rng() % 200));
    FailingNvm nvm(kNvmBytes);
    r.pointsTried += points.size();
    if (!finishAfterFailures(model, kernels, s, nvm, image, points)) {
      if (r.divergences++ == 0) r.firstDivergence = i;
    }
  }
  return r;
}

}  // namespace aidi::fw::host
