#include "scheduler_policy.hpp"

#include "baseline_decisions.hpp"
#include "progress_record.hpp"

namespace aidi::fw {
namespace {
// Cycles of the Cortex-M4 kernels, modelled on how they work and fitted to
// the per-layer profile of the kernel benchmark (tests/bench/kernel_bench:
// "row" beside "row model", within about 10 % for every layer of the zoo).
// In 32 bits: the runtime evaluates these at every boot, and 64-bit division
// is a library call on the Cortex-M4 (a row of any zoo layer is < 2^24 cycles).
// Per kernel call: the layer's weights widened into the kernels' scratch
// (depthwise also sums each channel's taps into its bias).
std::uint32_t kernelCallCycles(const LayerInfo& l) {
  switch (l.op) {
    case ModelOp::Conv2d: return l.weightsSize * 17 / 10 + 200;
    case ModelOp::DepthwiseConv2d: return l.weightsSize * 42 / 10 + 200;
    default: return 50;
  }
}
// Per output row, beyond the call:
// - conv / pointwise: 2x2 tiles of 13 cycles per 4 input values plus 46 for
//   the tile's output stage and stores; inputs widened per pixel pair; an
//   im2col gather per pixel;
// - depthwise 3x3: ~122 cycles per pixel and group of 4 channels, and a
//   window copy for the two border pixels;
// - fully connected ~1.33 per MAC; add ~35 per element; pooling ~2 per
//   window value and channel.
std::uint32_t kernelRowCycles(const LayerInfo& l, const Shape& in, const Shape& out) {
  const std::uint32_t pixels = std::uint32_t(out.w), pixelPairs = (pixels + 1) / 2;
  const std::uint32_t outputs = pixels * std::uint32_t(out.c), taps = std::uint32_t(l.kernelH) * l.kernelW;
  switch (l.op) {
    case ModelOp::Conv2d: {
      const std::uint32_t k = taps * std::uint32_t(in.c), groups = (k + 3) / 4;
      const std::uint32_t tiles = pixelPairs * ((std::uint32_t(out.c) + 1) / 2);
      const std::uint32_t gather = taps == 1 ? 0 : pixels * (16 * taps + 2 * k + 60);
      return tiles * (13 * groups + 46) + pixelPairs * groups * 10 + gather;
    }
    case ModelOp::DepthwiseConv2d: {
      const std::uint32_t groups = (std::uint32_t(out.c) + 3) / 4;
      return pixels * groups * 122 + 2 * taps * (groups * 2 + 10);
    }
    case ModelOp::FullyConnected:
      return std::uint32_t(in.size()) * out.c * 4 / 3 + std::uint32_t(out.c) * 30 + std::uint32_t(in.size()) * 3 / 2 + 250;
    case ModelOp::Add: return outputs * 35;
    case ModelOp::AvgPool:
    case ModelOp::MaxPool: return outputs * (taps * 2 + 22);
  }
  return 0;
}
}  // namespace

// Estimates are rounded up by a tenth: a job planned too large never finishes.
std::uint64_t estimateRowCycles(const ModelView& model, std::uint16_t index, std::uint32_t nvmCyclesPerByte) {
  const LayerInfo l = model.layer(index);
  const Shape in = model.tensor(l.input0).shape, out = model.tensor(l.output).shape;
  const std::uint32_t outputs = std::uint32_t(out.w) * out.c;
  // Input rows read per output row (stride rows, more for a fresh tile) and the row written.
  const std::uint32_t nvmBytes = std::uint32_t(in.w) * in.c * (l.strideH ? l.strideH : 1) + outputs;
  const std::uint32_t kernel = kernelRowCycles(l, in, out) + kernelCallCycles(l);
  return std::uint64_t{kernel + kernel / 10} + std::uint64_t{nvmBytes} * nvmCyclesPerByte;
}

std::uint64_t estimateCallCycles(const ModelView& model, std::uint16_t index) {
  const std::uint32_t call = kernelCallCycles(model.layer(index));
  return call + call / 10;
}

bool planJobs(const ModelView& model, SchedulerPolicy policy, std::uint64_t cyclesPerPowerCycle, const NvmCosts& costs,
              JobPlan& plan, std::uint32_t scratchBytes) {
  if (model.layerCount() > kMaxLayers) return false;
  if (policy == SchedulerPolicy::Inas) return searchInasPlan(model, cyclesPerPowerCycle, costs, sizeof(Progress), scratchBytes, plan);
  const std::uint32_t nvmCyclesPerByte = costs.cyclesPerByte;
  for (std::uint16_t i = 0; i < model.layerCount(); ++i) {
    const std::uint16_t rows = outputRowsOf(model, i);
    std::uint16_t perJob = rows;
    switch (policy) {
      case SchedulerPolicy::Layer: perJob = rows; break;
      case SchedulerPolicy::FixedTile:
      case SchedulerPolicy::ResidentTile:
      case SchedulerPolicy::Hawaii:
      case SchedulerPolicy::Stateful:
      case SchedulerPolicy::DynBal: perJob = rows < kFixedTileRows ? rows : kFixedTileRows; break;
      case SchedulerPolicy::Loop:
      case SchedulerPolicy::Sonic: perJob = 1; break;
      case SchedulerPolicy::Inas: break;  // searched above
      case SchedulerPolicy::Aidi: {
        // Aim for a few jobs per power cycle: a lost job then costs at most
        // a third of a cycle, and the commits stay few.
        const std::uint64_t usable = cyclesPerPowerCycle > kReservedCycles ? cyclesPerPowerCycle - kReservedCycles : 1;
        const std::uint64_t rowCycles = estimateRowCycles(model, i, nvmCyclesPerByte);
        const std::uint64_t fit = rowCycles ? (usable / 3) / rowCycles : rows;
        perJob = static_cast<std::uint16_t>(fit < 1 ? 1 : (fit > rows ? rows : fit));
        break;
      }
    }
    plan.rowsPerJob[i] = perJob;
    plan.jobs[i] = static_cast<std::uint16_t>((rows + perJob - 1) / perJob);
  }
  return true;
}

}  // namespace aidi::fw
