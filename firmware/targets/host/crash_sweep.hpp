// Exhaustive crash-consistency sweep on the host target: for one model,
// policy and image, inject a power failure at every NVM write of a complete
// intermittent inference, restart from NVM alone (SRAM filled with garbage)
// and check the final logits equal the plain inference's. The engine of
// `aidi crashtest` and of the runtime's tests.
#pragma once

#include <cstdint>
#include <vector>

#include "kernel_set.hpp"
#include "model_view.hpp"
#include "scheduler_policy.hpp"

namespace aidi::fw::host {

struct SweepResult {
  std::uint64_t writesPerInference = 0;  // NVM writes of a failure-free run
  std::uint64_t pointsTried = 0;
  std::uint64_t divergences = 0;
  std::int64_t firstDivergence = -1;    // failure point (write index) of the first divergence
  std::uint64_t jobs = 0;               // commits of one failure-free inference under this policy
};

// `stride` > 1 tries every stride-th write index (1: all of them).
SweepResult crashSweep(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy,
                       std::uint64_t cyclesPerPowerCycle, const std::uint8_t* image, std::uint64_t stride = 1);

// The aidi policy's resident engine between writes: power lost right after
// its N-th energy check (no write after it reaches NVM), for N = 0, stride,
// 2 stride, ... over a whole inference; then boots until done. For the job
// engines every step boundary is a write index, which crashSweep covers.
SweepResult stepSweep(const ModelView& model, const KernelSet& kernels, const std::uint8_t* image,
                      std::uint64_t stride = 1);

// Random schedules: up to `failures` power failures at random write indices
// in one inference (seeded); returns points tried and divergences likewise.
SweepResult randomFailureSweep(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy,
                               std::uint64_t cyclesPerPowerCycle, const std::uint8_t* image, int schedules,
                               int failures, std::uint32_t seed);

}  // namespace aidi::fw::host
