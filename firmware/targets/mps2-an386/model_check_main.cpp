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
#include "cmsdk_uart.hpp"
#include "plain_inference.hpp"
#include "systick.hpp"

extern "C" const std::uint8_t aidi_model_start[], aidi_model_end[];
extern "C" const std::uint8_t aidi_subset_start[], aidi_subset_end[];

namespace {

using namespace aidi;

constexpr fw::mps2::CmsdkUart kTelemetryUart{fw::mps2::kUart0Base};
constexpr std::size_t kArenaBytes = 192 * 1024;
alignas(8) std::int8_t g_arena[kArenaBytes];
fw::ArenaPlan g_plan;

proto::FrameWriter g_writer{1};

template <class M>
void send(const M& message) {
  std::uint8_t wire[proto::kMaxEncodedFrame];
  kTelemetryUart.write(wire, g_writer.write(message, wire, sizeof wire));
}

void sendError(std::uint16_t code, std::uint32_t detail, const char* text) {
  proto::DeviceError error{};
  error.code = code;
  error.detail = detail;
  error.textLength = static_cast<std::uint8_t>(std::strlen(text));
  std::memcpy(error.text, text, error.textLength);
  send(error);
}

std::uint32_t le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

int main() {
  kTelemetryUart.enable();
  fw::mps2::startSysTick();
  kTelemetryUart.writeByte(proto::kDelimiter);

  fw::ModelView model;
  const auto status = model.parse(aidi_model_start, static_cast<std::size_t>(aidi_model_end - aidi_model_start));
  if (status != fw::ModelStatus::Ok) {
    sendError(1, static_cast<std::uint32_t>(status), fw::toString(status));
    for (;;) __asm volatile("wfi");
  }
  if (!fw::planArena(model, g_plan) || g_plan.bytes > kArenaBytes) {
    sendError(2, g_plan.bytes, "activation arena too small");
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
    send(result);
  }
  proto::Log done{};
  done.level = proto::LogLevel::Info;
  std::memcpy(done.text, "done", 4);
  done.textLength = 4;
  send(done);
  for (;;) __asm volatile("wfi");
}
