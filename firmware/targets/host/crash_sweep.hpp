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
  std::uint64_t brownOutsAsleep = 0;    // sleepSweep: brown-outs injected while the device slept
  std::uint64_t shutdowns = 0;          // sleepSweep: waits the device chose to spend shut down
  std::uint64_t intendedBrownOuts = 0;  // sleepSweep: waits it chose to spend browned out (checkpoint, run on)
};

// How much of the failing write lands: half of it; a prefix of seeded
// random length (one per failure point); or every prefix length in turn
// (a failure point per byte of every write: exhaustive, for small models).
struct Tearing {
  enum Kind { Half, Random, EveryByte } kind = Half;
  std::uint32_t seed = 0;
};

// `stride` > 1 tries every stride-th write index (1: all of them).
SweepResult crashSweep(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy,
                       std::uint64_t cyclesPerPowerCycle, const std::uint8_t* image, std::uint64_t stride = 1,
                       Tearing tearing = {});

// The aidi policy's resident engine between writes: power lost right after
// its N-th energy check (no write after it reaches NVM), for N = 0, stride,
// 2 stride, ... over a whole inference; then boots until done. For the job
// engines every step boundary is a write index, which crashSweep covers.
SweepResult stepSweep(const ModelView& model, const KernelSet& kernels, const std::uint8_t* image,
                      std::uint64_t stride = 1);

// The aidi policy's sleep path: an energy monitor that reads a seeded
// random level before every decision (so the runtime runs, sleeps at its
// floor, checkpoints at its reserve and goes for the finish), and a sleep
// that reaches its target, falls to the floor (the runtime then
// checkpoints), or browns out asleep. Schedule i browns out at the i-th
// sleep of the first boot (i = 0, stride, ...; the next write is torn at a
// random length and the board restarts), later boots sleep with seeded
// outcomes; each schedule must end with the plain inference's logits.
SweepResult sleepSweep(const ModelView& model, const KernelSet& kernels, const std::uint8_t* image,
                       std::uint32_t seed, std::uint64_t stride = 1);

// Random schedules: up to `failures` power failures at random write indices
// in one inference (seeded), each tearing its write at a random length;
// returns points tried and divergences likewise.
SweepResult randomFailureSweep(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy,
                               std::uint64_t cyclesPerPowerCycle, const std::uint8_t* image, int schedules,
                               int failures, std::uint32_t seed);

}  // namespace aidi::fw::host
