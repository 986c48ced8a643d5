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
#include "embedded_model.hpp"
#include "plain_inference.hpp"
#include "telemetry_uart.hpp"

namespace {

using namespace aidi;

fw::mps2::TelemetryUart g_telemetry{1};
fw::mps2::EmbeddedModel g_embedded;

}  // namespace

int main() {
  g_telemetry.begin();
  fw::mps2::loadEmbeddedModel(g_embedded, g_telemetry);
  const fw::ModelView& model = g_embedded.model;
  const fw::ArenaPlan& plan = g_embedded.plan;
  std::int8_t* const arena = g_embedded.arena;
  const std::uint8_t* image = g_embedded.images;
  fw::quantizeImage(model, image, 0, static_cast<std::uint32_t>(model.tensor(model.inputTensor()).shape.size()),
                    arena + plan.offset[model.inputTensor()]);

  measureWindow([] {});  // window 0: the markers alone
  for (std::uint16_t l = 0; l < model.layerCount(); ++l) {
    measureWindow([&] { fw::runLayer(model, plan, fw::cm4Kernels(), l, arena); });
    const std::int32_t rows = model.tensor(model.layer(l).output).shape.h;
    measureWindow([&] { fw::runRows(model, plan, fw::cm4Kernels(), l, rows / 2, rows / 2 + 1, arena); });
  }
  std::int8_t logits[16];
  measureWindow([&] { fw::runPlainInference(model, plan, fw::referenceKernels(), image, arena, logits, 16); });
  g_telemetry.sendLog("done");
  for (;;) __asm volatile("wfi");
}
