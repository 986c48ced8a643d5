#include "baseline_decisions.hpp"

#include "intermittent_runtime.hpp"

namespace aidi::fw {
namespace {

// Input rows a tile's window shares with the next tile's.
std::uint32_t sharedRows(const LayerInfo& l) {
  if (l.op == ModelOp::Add || l.op == ModelOp::FullyConnected) return 0;
  return l.kernelH > l.strideH ? static_cast<std::uint32_t>(l.kernelH - l.strideH) : 0;
}

std::uint32_t inputRowBytes(const ModelView& model, const LayerInfo& l) {
  const Shape in = model.tensor(l.input0).shape;
  return static_cast<std::uint32_t>(in.w * in.c);
}

}  // namespace

std::uint64_t tileFetchOverhead(const ModelView& model, std::uint16_t index, const NvmCosts& costs) {
  const LayerInfo l = model.layer(index);
  const std::uint64_t commands = l.op == ModelOp::Add ? 2 : 1;
  return std::uint64_t{sharedRows(l)} * inputRowBytes(model, l) * costs.cyclesPerByte +
         commands * costs.readOverheadCycles;
}

std::uint64_t tileFetchCycles(const ModelView& model, std::uint16_t index, std::uint16_t rows, const NvmCosts& costs) {
  const LayerInfo l = model.layer(index);
  if (l.op == ModelOp::FullyConnected)
    return std::uint64_t(model.tensor(l.input0).shape.size()) * costs.cyclesPerByte + costs.readOverheadCycles;
  const std::uint32_t stride = l.op == ModelOp::Add ? 1 : static_cast<std::uint32_t>(l.strideH ? l.strideH : 1);
  const std::uint64_t inputs = l.op == ModelOp::Add ? 2 : 1;
  const std::uint64_t rowsRead = std::uint64_t{rows} * stride + sharedRows(l);
  return rowsRead * inputs * inputRowBytes(model, l) * costs.cyclesPerByte + inputs * costs.readOverheadCycles;
}

bool searchInasPlan(const ModelView& model, std::uint64_t cyclesPerPowerCycle, const NvmCosts& costs,
                    std::uint32_t preservationBytes, std::uint32_t scratchBytes, JobPlan& plan) {
  if (model.layerCount() > kMaxLayers) return false;
  const std::uint64_t usable = cyclesPerPowerCycle > kReservedCycles ? cyclesPerPowerCycle - kReservedCycles : 1;
  // A tile's preservation: its output rows' write command and the progress
  // indicator (the record's three writes: clear, body, check).
  const std::uint64_t preserve = costs.writeOverheadCycles + 2 * costs.write(4) + costs.write(preservationBytes);
  for (std::uint16_t i = 0; i < model.layerCount(); ++i) {
    const std::uint16_t rows = outputRowsOf(model, i);
    // A tile is one kernel call: its rows share the call's own cycles.
    const std::uint64_t call = estimateCallCycles(model, i);
    const std::uint64_t row = estimateRowCycles(model, i, costs.cyclesPerByte) - call;
    const std::uint64_t perTile = tileFetchOverhead(model, i, costs) + preserve + call;
    std::uint16_t best = 1;
    std::uint64_t bestCost = ~std::uint64_t{0};
    for (std::uint16_t t = 1; t <= rows; ++t) {
      const std::uint64_t tile = t * row + perTile;
      // The atomicity and spatial constraints; larger tiles only break them more.
      if (t > 1 && (tile > usable || tileScratchBytes(model, i, t, JobProgress::Record) > scratchBytes)) break;
      const std::uint64_t tiles = (rows + t - 1) / t;
      const std::uint64_t work = rows * row + tiles * perTile;
      // A power cycle completes the whole tiles that fit it; the energy it
      // spent on the tile it could not finish is lost (that tile runs again
      // from its start): the layer costs its work over that efficiency.
      const std::uint64_t perCycle = tile <= usable ? usable / tile : 1;
      const std::uint64_t cost = work / (perCycle * tile) * usable + work % (perCycle * tile) * usable / (perCycle * tile);
      if (cost < bestCost) bestCost = cost, best = t;
    }
    plan.rowsPerJob[i] = best;
    plan.jobs[i] = static_cast<std::uint16_t>((rows + best - 1) / best);
  }
  return true;
}

std::uint16_t balanceTile(const ModelView& model, std::uint16_t index, std::uint16_t staticRows, std::uint16_t maxRows,
                          std::uint64_t powerCycleWork, const NvmCosts& costs) {
  if (maxRows < 1) maxRows = 1;
  if (powerCycleWork == 0) return staticRows < maxRows ? staticRows : maxRows;
  // usageSpan's terms, worked out once: it runs at every boot and layer,
  // on the energy it is meant to save.
  const std::uint16_t total = outputRowsOf(model, index);
  const std::uint64_t reuse = tileFetchOverhead(model, index, costs);
  const std::uint64_t failures100 = total * estimateRowCycles(model, index, costs.cyclesPerByte) * 100 / powerCycleWork;
  const std::uint64_t fetchOne = tileFetchCycles(model, index, 1, costs);
  const std::uint64_t fetchPerRow = tileFetchCycles(model, index, 2, costs) - fetchOne;
  const auto span = [&](std::uint16_t rows) {
    return (total + rows - 1) / rows * reuse + failures100 * (fetchOne + (rows - 1u) * fetchPerRow) / 100;
  };
  // DynBal's convex search: a ternary search, then the best of what is left.
  std::uint16_t lo = 1, hi = maxRows;
  while (hi - lo > 2) {
    const std::uint16_t a = static_cast<std::uint16_t>(lo + (hi - lo) / 3);
    const std::uint16_t b = static_cast<std::uint16_t>(hi - (hi - lo) / 3);
    if (span(a) <= span(b)) hi = b;
    else lo = a;
  }
  std::uint16_t best = lo;
  for (std::uint16_t t = lo; t <= hi; ++t)
    if (span(t) < span(best)) best = t;
  return best;
}

}  // namespace aidi::fw
