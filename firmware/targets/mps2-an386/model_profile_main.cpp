// Benchmark firmware: every layer of the embedded model with the Cortex-M4
// kernels, each in its own marker window (see bench_markers.hpp), twice: the
// whole layer in one kernel call, then one output row (the middle one) in one
// call, as the resident runtime computes a row near the end of its energy.
// The input is the subset's first image run through the layers before, so
// the data is a real inference's. A last window holds the whole inference
// with the reference kernels, the naive baseline. SysTick stays off (no
// interrupt in a window).
#include <cstdint>

#include "bench_markers.hpp"
#include "plain_inference.hpp"
#include "row_window.hpp"
#include "telemetry_uart.hpp"

extern "C" const std::uint8_t aidi_model_start[], aidi_model_end[];
extern "C" const std::uint8_t aidi_subset_start[], aidi_subset_end[];

namespace {

using namespace aidi;

fw::mps2::TelemetryUart g_telemetry{1};
constexpr std::size_t kArenaBytes = 192 * 1024;
alignas(8) std::int8_t g_arena[kArenaBytes];
fw::ArenaPlan g_plan;

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

// Output row `row` of layer `index`, alone, in one kernel call.
void runRow(const fw::ModelView& model, std::uint16_t index, std::int32_t row) {
  const fw::LayerInfo l = model.layer(index);
  const fw::Shape in = model.tensor(l.input0).shape, out = model.tensor(l.output).shape;
  const fw::RowWindow w = fw::inputRows(l, in, row, row + 1);
  const std::int32_t inRow = in.w * in.c, outRow = out.w * out.c;
  const fw::TensorSlice inSlice{fw::Shape{w.last - w.first, in.w, in.c},
                                g_arena + g_plan.offset[l.input0] + w.first * inRow};
  const fw::TensorSlice outSlice{fw::Shape{1, out.w, out.c}, g_arena + g_plan.offset[l.output] + row * outRow};
  if (l.op == fw::ModelOp::Add) {
    const fw::TensorSlice in2{fw::Shape{1, out.w, out.c}, g_arena + g_plan.offset[l.input1] + row * outRow};
    fw::executeLayer(model, fw::cm4Kernels(), l, inSlice, &in2, 0, outSlice);
  } else {
    fw::executeLayer(model, fw::cm4Kernels(), l, inSlice, nullptr, w.padTop, outSlice);
  }
}

}  // namespace

int main() {
  g_telemetry.begin();
  fw::ModelView model;
  const auto status = model.parse(aidi_model_start, static_cast<std::size_t>(aidi_model_end - aidi_model_start));
  if (status != fw::ModelStatus::Ok) {
    g_telemetry.sendError(1, static_cast<std::uint32_t>(status), fw::toString(status));
    for (;;) __asm volatile("wfi");
  }
  if (!fw::planArena(model, g_plan) || g_plan.bytes > kArenaBytes) {
    g_telemetry.sendError(2, g_plan.bytes, "activation arena too small");
    for (;;) __asm volatile("wfi");
  }
  const std::uint32_t count = le32(aidi_subset_start + 8);
  const std::uint8_t* image = aidi_subset_start + 20 + count;
  const fw::TensorInfo input = model.tensor(model.inputTensor());
  std::int8_t* x = g_arena + g_plan.offset[model.inputTensor()];
  for (std::int32_t i = 0; i < input.shape.size(); ++i) x[i] = static_cast<std::int8_t>(image[i] + input.zeroPoint);

  measureWindow([] {});  // window 0: the markers alone
  for (std::uint16_t l = 0; l < model.layerCount(); ++l) {
    measureWindow([&] { fw::runLayer(model, g_plan, fw::cm4Kernels(), l, g_arena); });
    const std::int32_t rows = model.tensor(model.layer(l).output).shape.h;
    measureWindow([&] { runRow(model, l, rows / 2); });
  }
  std::int8_t logits[16];
  measureWindow([&] { fw::runPlainInference(model, g_plan, fw::referenceKernels(), image, g_arena, logits, 16); });
  g_telemetry.sendLog("done");
  for (;;) __asm volatile("wfi");
}
