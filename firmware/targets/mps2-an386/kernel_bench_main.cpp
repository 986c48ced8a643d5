// Benchmark firmware: runs each benchmark shape once with the Cortex-M4
// kernels and once with the reference (naive) kernels, each call between the
// markers aidi_bench_start()/aidi_bench_stop() whose executed instructions the
// insn_window QEMU plugin counts. SysTick stays off so no interrupt handler
// lands in a window. Window 0 is empty (the markers' own cost).
#include <cstdint>
#include <cstring>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "aidi/proto/messages.hpp"
#include "bench_markers.hpp"
#include "board.hpp"
#include "cmsdk_uart.hpp"


namespace {

using namespace aidi::fw;

constexpr mps2::CmsdkUart kTelemetryUart{mps2::kUart0Base};

alignas(4) std::int8_t g_input[28 * 28 * 48];
alignas(4) std::int8_t g_weights[1024 * 128];
alignas(4) std::int8_t g_output[28 * 28 * 16];
std::int32_t g_bias[128], g_mult[128], g_shift[128];

std::uint32_t g_state = 2463534242u;
std::uint32_t next() {
  g_state ^= g_state << 13;
  g_state ^= g_state >> 17;
  g_state ^= g_state << 5;
  return g_state;
}

void randomize() {
  for (auto& v : g_input) v = static_cast<std::int8_t>(next());
  for (auto& v : g_weights) v = static_cast<std::int8_t>(next());
  for (int i = 0; i < 128; ++i) {
    g_bias[i] = static_cast<std::int32_t>(next() % 20000) - 10000;
    g_mult[i] = static_cast<std::int32_t>((1u << 30) + next() % (1u << 30));
    g_shift[i] = -static_cast<std::int32_t>(7 + next() % 4);
  }
}

ConvParams conv(int k, int stride, int pad) {
  ConvParams p;
  p.kernelH = p.kernelW = k;
  p.strideH = p.strideW = stride;
  p.padTop = p.padLeft = pad;
  p.inputOffset = 128;  // input zero point -128, as the benchmark table states
  p.outputOffset = -5;
  return p;
}

}  // namespace

int main() {
  kTelemetryUart.enable();
  randomize();
  const PerChannelQuant q{g_mult, g_shift};
  measureWindow([] {});  // window 0: the markers alone

  // The seven shapes of the kernels issue, each with cm4 then ref kernels.
  const ConvParams pw = conv(1, 1, 0);
  measureWindow([&] { cm4::pointwise_conv2d_s8(pw, q, {14, 14, 32}, g_input, g_weights, g_bias, {14, 14, 64}, g_output); });
  measureWindow([&] { ref::pointwise_conv2d_s8(pw, q, {14, 14, 32}, g_input, g_weights, g_bias, {14, 14, 64}, g_output); });
  const ConvParams c3 = conv(3, 1, 1);
  measureWindow([&] { cm4::conv2d_s8(c3, q, {28, 28, 1}, g_input, g_weights, g_bias, {28, 28, 16}, g_output); });
  measureWindow([&] { ref::conv2d_s8(c3, q, {28, 28, 1}, g_input, g_weights, g_bias, {28, 28, 16}, g_output); });
  measureWindow([&] { cm4::conv2d_s8(c3, q, {14, 14, 16}, g_input, g_weights, g_bias, {14, 14, 32}, g_output); });
  measureWindow([&] { ref::conv2d_s8(c3, q, {14, 14, 16}, g_input, g_weights, g_bias, {14, 14, 32}, g_output); });
  measureWindow([&] { cm4::depthwise_conv2d_s8(c3, q, {14, 14, 96}, g_input, g_weights, g_bias, {14, 14, 96}, g_output); });
  measureWindow([&] { ref::depthwise_conv2d_s8(c3, q, {14, 14, 96}, g_input, g_weights, g_bias, {14, 14, 96}, g_output); });
  const ConvParams dws2 = conv(3, 2, 0);  // SAME for 28 -> 14: pad top/left 0, bottom/right 1
  measureWindow([&] { cm4::depthwise_conv2d_s8(dws2, q, {28, 28, 48}, g_input, g_weights, g_bias, {14, 14, 48}, g_output); });
  measureWindow([&] { ref::depthwise_conv2d_s8(dws2, q, {28, 28, 48}, g_input, g_weights, g_bias, {14, 14, 48}, g_output); });
  measureWindow([&] { cm4::fully_connected_s8(pw, q, 256, g_input, g_weights, g_bias, 10, g_output); });
  measureWindow([&] { ref::fully_connected_s8(pw, q, 256, g_input, g_weights, g_bias, 10, g_output); });
  measureWindow([&] { cm4::fully_connected_s8(pw, q, 1024, g_input, g_weights, g_bias, 128, g_output); });
  measureWindow([&] { ref::fully_connected_s8(pw, q, 1024, g_input, g_weights, g_bias, 128, g_output); });

  // Beyond the table: the residual add of MCUNet blocks (14x14x24),
  // with the parameters exported adds have (left shift 20, right shifts).
  AddParams add;
  add.input1Offset = 128;
  add.input2Offset = 3;
  add.outputOffset = -7;
  add.leftShift = 20;
  add.input1Multiplier = 1518500250;
  add.input1Shift = -1;
  add.input2Multiplier = 1073741824;
  add.input2Shift = -1;
  add.outputMultiplier = 1431655765;
  add.outputShift = -18;
  measureWindow([&] { cm4::add_s8(add, 14 * 14 * 24, g_input, g_input + 4704, g_output); });
  measureWindow([&] { ref::add_s8(add, 14 * 14 * 24, g_input, g_input + 4704, g_output); });

  aidi::proto::FrameWriter writer(1);
  aidi::proto::Log done{};
  std::memcpy(done.text, "done", 4);
  done.textLength = 4;
  std::uint8_t wire[aidi::proto::kMaxEncodedFrame];
  kTelemetryUart.write(wire, writer.write(done, wire, sizeof wire));
  for (;;) __asm volatile("wfi");
}
