#include "scheduler_policy.hpp"

namespace aidi::fw {
namespace {
// Cycles per 8 MACs of the Cortex-M4 kernels, requantization included, as the
// kernel benchmark measures them on the virtual board (tests/bench/kernel_bench):
// per MAC, pointwise ~1.2 (more for few input channels), 3x3 conv ~1.1 (~3.9
// with one input channel), depthwise ~3.4, fully connected ~1.4-1.7. Rounded
// up: a job planned too large never finishes.
std::uint64_t cyclesPer8Macs(const LayerInfo& l, const Shape& in) {
  switch (l.op) {
    case ModelOp::DepthwiseConv2d: return 28;
    case ModelOp::Conv2d:
      if (l.kernelH == 1 && l.kernelW == 1) return in.c < 32 ? 14 : 10;
      return in.c < 4 ? 32 : 10;
    default: return 14;
  }
}
// Every kernel call widens its layer's weights into the kernels' scratch once
// (depthwise also sums them per channel): cycles per weight byte.
std::uint64_t callCyclesPerWeightByte(const LayerInfo& l) {
  switch (l.op) {
    case ModelOp::DepthwiseConv2d: return 5;
    case ModelOp::Conv2d: return 2;
    default: return 0;  // fully connected reads its weights in place
  }
}
constexpr std::uint64_t kCyclesPerOutput = 20;
// The fixed-tile policy's tile: chosen offline, blind to the energy budget.
constexpr std::uint16_t kFixedTileRows = 4;
// Boot, restore and commit cost reserved from each power cycle.
constexpr std::uint64_t kReservedCycles = 20'000;
}  // namespace

const char* toString(SchedulerPolicy policy) {
  switch (policy) {
    case SchedulerPolicy::Layer: return "layer";
    case SchedulerPolicy::FixedTile: return "fixed-tile";
    case SchedulerPolicy::Loop: return "loop";
    case SchedulerPolicy::Aidi: return "aidi";
  }
  return "invalid";
}

std::uint64_t estimateRowCycles(const ModelView& model, std::uint16_t index, std::uint32_t nvmCyclesPerByte) {
  const LayerInfo l = model.layer(index);
  const Shape in = model.tensor(l.input0).shape, out = model.tensor(l.output).shape;
  std::uint64_t macsPerRow = 0;
  if (l.op == ModelOp::Conv2d) macsPerRow = std::uint64_t(out.w) * out.c * l.kernelH * l.kernelW * in.c;
  if (l.op == ModelOp::DepthwiseConv2d) macsPerRow = std::uint64_t(out.w) * out.c * l.kernelH * l.kernelW;
  if (l.op == ModelOp::FullyConnected) macsPerRow = std::uint64_t(in.size()) * out.c;
  const std::uint64_t outputs = std::uint64_t(out.w) * out.c;
  // Element-wise add requantizes two inputs per output (~145 cycles measured
  // on the virtual board); pooling reads the whole window per output.
  if (l.op == ModelOp::Add) macsPerRow = outputs * 50;
  if (l.op == ModelOp::AvgPool || l.op == ModelOp::MaxPool) macsPerRow = outputs * l.kernelH * l.kernelW;
  // Input rows read per output row (stride rows, more for a fresh tile) and the row written.
  const std::uint64_t nvmBytes = std::uint64_t(in.w) * in.c * (l.strideH ? l.strideH : 1) + outputs;
  // A row computed on its own is one kernel call: it carries the call's cost.
  const std::uint64_t callCycles = std::uint64_t(l.weightsSize) * callCyclesPerWeightByte(l);
  return macsPerRow * cyclesPer8Macs(l, in) / 8 + callCycles + outputs * kCyclesPerOutput +
         nvmBytes * nvmCyclesPerByte;
}

bool planJobs(const ModelView& model, SchedulerPolicy policy, std::uint64_t cyclesPerPowerCycle,
              std::uint32_t nvmCyclesPerByte, JobPlan& plan) {
  if (model.layerCount() > kMaxLayers) return false;
  for (std::uint16_t i = 0; i < model.layerCount(); ++i) {
    const std::uint16_t rows = static_cast<std::uint16_t>(model.tensor(model.layer(i).output).shape.h);
    std::uint16_t perJob = rows;
    switch (policy) {
      case SchedulerPolicy::Layer: perJob = rows; break;
      case SchedulerPolicy::FixedTile: perJob = rows < kFixedTileRows ? rows : kFixedTileRows; break;
      case SchedulerPolicy::Loop: perJob = 1; break;
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
