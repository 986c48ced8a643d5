// Test firmware: runs the embedded model on every image of the embedded
// Fashion-MNIST subset under continuous power and reports each prediction and
// its logits in a result frame, so the bench can check the device against the
// exporter sample for sample (tests/firmware/model_on_device_test).
//
// It runs the Cortex-M4 kernels: the DSP instructions themselves are checked
// against the exporter here. The model file and the subset are linked in with
// .incbin (see CMakeLists).
#include <cstdint>
#include <cstring>

#include "aidi/proto/crc32c.hpp"
#include "aidi/proto/messages.hpp"
#include "board.hpp"
#include "embedded_model.hpp"
#include "plain_inference.hpp"
#include "systick.hpp"
#include "telemetry_uart.hpp"

namespace {

using namespace aidi;

fw::mps2::TelemetryUart g_telemetry{1};
fw::mps2::EmbeddedModel g_embedded;

}  // namespace

int main() {
  g_telemetry.begin();
  fw::mps2::startSysTick();

  fw::mps2::loadEmbeddedModel(g_embedded, g_telemetry);
  const fw::ModelView& model = g_embedded.model;
  for (std::uint32_t i = 0; i < g_embedded.imageCount; ++i) {
    proto::InferenceResult result{};
    result.inference = i;
    result.sample = i;
    result.predicted = static_cast<std::uint8_t>(fw::runPlainInference(
        model, g_embedded.plan, fw::cm4Kernels(), g_embedded.images + i * 784u, g_embedded.arena, result.logits,
        proto::kMaxLogits));
    result.logitCount = static_cast<std::uint8_t>(model.tensor(model.outputTensor()).shape.size());
    result.logitsCrc = proto::Crc32c::calculate(result.logits, result.logitCount);
    result.powerCycles = 1;
    g_telemetry.send(result);
  }
  g_telemetry.sendLog("done");
  for (;;) __asm volatile("wfi");
}
