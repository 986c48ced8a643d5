// How an inference is cut into jobs: for each layer, the output rows one job
// computes and commits. The policies are the rows of proto::kPolicies
// (aidi/proto/policies.hpp); the job engine's tiling per policy is here:
//   layer      one job per layer (cannot finish a layer longer than a power cycle)
//   fixed-tile a fixed tile of four output rows per job, chosen offline without
//              the energy budget (iNAS-like static tiling)
//   loop       one output row per job: progress kept at every iteration of the
//              row loop (fine-grained loop continuation, SONIC/HAWAII-like)
//   aidi       (on the job engine, e.g. the host crash sweep) rows per job from
//              the energy one power cycle offers
//   resident-tile  runs on the resident engine (its tile: kFixedTileRows)
//   hawaii, stateful, dynbal  the static tile of fixed-tile (their rows are
//              preserved one by one; dynbal re-balances the tile at boot)
//   inas       iNAS's offline search (baseline_decisions.hpp)
#pragma once

#include <cstdint>

#include "aidi/proto/policies.hpp"
#include "model_view.hpp"
#include "nvm.hpp"

namespace aidi::fw {

using SchedulerPolicy = proto::Policy;

inline const char* toString(SchedulerPolicy policy) { return proto::policyName(policy); }

inline constexpr std::uint16_t kMaxLayers = 64;

// Boot, restore and commit cost every planner reserves from a power cycle.
inline constexpr std::uint64_t kReservedCycles = 20'000;

// The output rows of layer `index`: what every engine cuts into jobs.
inline std::uint16_t outputRowsOf(const ModelView& model, std::uint16_t index) {
  return static_cast<std::uint16_t>(model.tensor(model.layer(index).output).shape.h);
}

// The static tile of fixed-tile (job engine) and resident-tile (resident
// engine): output rows per commit, chosen offline, blind to the energy.
inline constexpr std::uint16_t kFixedTileRows = 4;

struct JobPlan {
  std::uint16_t rowsPerJob[kMaxLayers];
  std::uint16_t jobs[kMaxLayers];
};

// Estimated CPU cycles of one output row of layer `index` computed alone, in
// its own kernel call (the planner's cost model of the kernels, plus NVM
// traffic at `nvmCyclesPerByte`).
std::uint64_t estimateRowCycles(const ModelView& model, std::uint16_t index, std::uint32_t nvmCyclesPerByte);

// The part of estimateRowCycles every kernel call pays once, however many
// rows it computes (weights widened into the kernels' scratch): a band of n
// rows costs n * (row - call) + call.
std::uint64_t estimateCallCycles(const ModelView& model, std::uint16_t index);

// Plans the jobs of every layer. `cyclesPerPowerCycle` is the energy of one
// power cycle in CPU cycles (for aidi and inas; ignored by the others);
// `scratchBytes` the SRAM for job buffers (inas's search keeps within it).
// False when the model has more than kMaxLayers layers.
bool planJobs(const ModelView& model, SchedulerPolicy policy, std::uint64_t cyclesPerPowerCycle, const NvmCosts& costs,
              JobPlan& plan, std::uint32_t scratchBytes = 0xFFFFFFFFu);

}  // namespace aidi::fw
