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
#include "plain_inference.hpp"
#include "systick.hpp"
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

}  // namespace

int main() {
  g_telemetry.begin();
  fw::mps2::startSysTick();

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
  const std::uint8_t* images = aidi_subset_start + 20 + count;
  for (std::uint32_t i = 0; i < count; ++i) {
    proto::InferenceResult result{};
    result.inference = i;
    result.sample = i;
    result.predicted = static_cast<std::uint8_t>(fw::runPlainInference(
        model, g_plan, fw::cm4Kernels(), images + i * 784u, g_arena, result.logits, proto::kMaxLogits));
    result.logitCount = static_cast<std::uint8_t>(model.tensor(model.outputTensor()).shape.size());
    result.logitsCrc = proto::Crc32c::calculate(result.logits, result.logitCount);
    result.powerCycles = 1;
    g_telemetry.send(result);
  }
  g_telemetry.sendLog("done");
  for (;;) __asm volatile("wfi");
}
