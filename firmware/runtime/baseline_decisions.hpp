// The decisions of the published runtimes that choose a job engine's tiles
// (docs/baselines.md): iNAS's offline search against the capacitor's energy
// budget, and DynBal's re-balancing at every boot from the work the last
// power cycle did. Both weigh the same cost model as every planner here
// (scheduler_policy.cpp: the kernels' cycles and the board's NVM costs).
#pragma once

#include <cstdint>

#include "model_view.hpp"
#include "nvm.hpp"
#include "scheduler_policy.hpp"

namespace aidi::fw {

// Cycles the job engine spends on a tile of `rows` output rows of layer
// `index` beyond the rows' own estimate: the input rows the windows of
// neighbouring tiles share (fetched again by every tile: DynBal's "data
// reuse"), and the read commands.
std::uint64_t tileFetchOverhead(const ModelView& model, std::uint16_t index, const NvmCosts& costs);
// The NVM cycles of fetching a tile's inputs (what a power failure inside
// the tile throws away: DynBal's "data refetch").
std::uint64_t tileFetchCycles(const ModelView& model, std::uint16_t index, std::uint16_t rows, const NvmCosts& costs);

// iNAS (Mendis et al., TECS 2021), its intermittent execution design: per
// layer the tile rows (one preservation per tile) that minimise the layer's
// estimated cycles under intermittent power -- compute, the tiles' input
// fetches and preservations, and the expected re-execution (a tile cut by
// every power failure, half lost on average) -- subject to its atomicity
// constraint: a tile and its preservation fit one power cycle's energy
// (`cyclesPerPowerCycle`, less the boot's reserve), and its spatial one: a
// tile's buffers fit the device's job scratch (`scratchBytes`). A layer
// where even one row does not fit gets one row. False when the model has
// too many layers.
bool searchInasPlan(const ModelView& model, std::uint64_t cyclesPerPowerCycle, const NvmCosts& costs,
                    std::uint32_t preservationBytes, std::uint32_t scratchBytes, JobPlan& plan);

// DynBal (Yen et al., TECS 2023): the tile of layer `index` it picks when a
// power cycle does `powerCycleWork` cycles of work, by ternary search over
// [1, maxRows] of its usage span (unimodal in the rows): data reuse (every
// tile fetches its window's shared rows again) plus data refetch (every
// power failure fetches the cut tile's inputs again). `staticRows` when
// the work is unknown (0: no power cycle measured yet).
std::uint16_t balanceTile(const ModelView& model, std::uint16_t index, std::uint16_t staticRows, std::uint16_t maxRows,
                          std::uint64_t powerCycleWork, const NvmCosts& costs);

}  // namespace aidi::fw
