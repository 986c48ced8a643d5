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

// Buffers sized from the shapes below (the 14x14x96 depthwise output once
// overran a 12,544-byte output into the data behind it).
constexpr std::size_t kInputBytes = 28 * 28 * 48;
constexpr std::size_t kWeightBytes = 1024 * 128;
constexpr std::size_t kOutputBytes = 14 * 14 * 96;  // the largest output of the shapes
alignas(4) std::int8_t g_input[kInputBytes];
alignas(4) std::int8_t g_weights[kWeightBytes];
alignas(4) std::int8_t g_output[kOutputBytes];     // the Cortex-M4 kernel's
alignas(4) std::int8_t g_reference[kOutputBytes];  // the reference kernel's, compared after each pair
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

// TFLite allows any per-channel shift; a left shift (shift >= 0, an effective
// scale of 0.5 or more) is rare in trained layers but legal. A quarter of the
// channels get one here, so nearly every group of four channels holds one.
void mixShifts() {
  for (int i = 0; i < 128; ++i)
    g_shift[i] = next() % 4 == 0 ? static_cast<std::int32_t>(next() % 2) : -static_cast<std::int32_t>(7 + next() % 4);
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

[[noreturn]] void failBench(std::uint16_t code, std::uint32_t detail, const char* text) {
  aidi::proto::FrameWriter writer(1);
  aidi::proto::DeviceError e{};
  e.code = code;
  e.detail = detail;
  e.textLength = static_cast<std::uint8_t>(std::strlen(text));
  std::memcpy(e.text, text, e.textLength);
  std::uint8_t wire[aidi::proto::kMaxEncodedFrame];
  kTelemetryUart.write(wire, writer.write(e, wire, sizeof wire));
  for (;;) __asm volatile("wfi");
}

// One benchmark shape: the Cortex-M4 kernel in one window, the reference in
// the next, then their outputs compared byte for byte (a benchmark of a
// wrong kernel is no benchmark). `shape` numbers the pair in errors.
template <class Kernel, class Reference>
void measurePair(std::uint32_t shape, std::size_t outputBytes, Kernel kernel, Reference reference) {
  if (outputBytes > kOutputBytes) failBench(21, shape, "benchmark output larger than its buffer");
  std::memset(g_output, 0x55, outputBytes);
  std::memset(g_reference, 0x2A, outputBytes);
  measureWindow([&] { kernel(g_output); });
  measureWindow([&] { reference(g_reference); });
  for (std::size_t i = 0; i < outputBytes; ++i)
    if (g_output[i] != g_reference[i])
      failBench(20, shape << 24 | static_cast<std::uint32_t>(i), "kernel output differs from the reference");
}

// The seven shapes of the kernels issue, each with cm4 then ref kernels;
// `first` numbers the first pair in errors.
void measureShapes(const PerChannelQuant& q, std::uint32_t first) {
  const ConvParams pw = conv(1, 1, 0);
  measurePair(first, 14 * 14 * 64, [&](std::int8_t* o) { cm4::pointwise_conv2d_s8(pw, q, {14, 14, 32}, g_input, g_weights, g_bias, {14, 14, 64}, o); },
              [&](std::int8_t* o) { ref::pointwise_conv2d_s8(pw, q, {14, 14, 32}, g_input, g_weights, g_bias, {14, 14, 64}, o); });
  const ConvParams c3 = conv(3, 1, 1);
  measurePair(first + 1, 28 * 28 * 16, [&](std::int8_t* o) { cm4::conv2d_s8(c3, q, {28, 28, 1}, g_input, g_weights, g_bias, {28, 28, 16}, o); },
              [&](std::int8_t* o) { ref::conv2d_s8(c3, q, {28, 28, 1}, g_input, g_weights, g_bias, {28, 28, 16}, o); });
  measurePair(first + 2, 14 * 14 * 32, [&](std::int8_t* o) { cm4::conv2d_s8(c3, q, {14, 14, 16}, g_input, g_weights, g_bias, {14, 14, 32}, o); },
              [&](std::int8_t* o) { ref::conv2d_s8(c3, q, {14, 14, 16}, g_input, g_weights, g_bias, {14, 14, 32}, o); });
  measurePair(first + 3, 14 * 14 * 96, [&](std::int8_t* o) { cm4::depthwise_conv2d_s8(c3, q, {14, 14, 96}, g_input, g_weights, g_bias, {14, 14, 96}, o); },
              [&](std::int8_t* o) { ref::depthwise_conv2d_s8(c3, q, {14, 14, 96}, g_input, g_weights, g_bias, {14, 14, 96}, o); });
  const ConvParams dws2 = conv(3, 2, 0);  // SAME for 28 -> 14: pad top/left 0, bottom/right 1
  measurePair(first + 4, 14 * 14 * 48, [&](std::int8_t* o) { cm4::depthwise_conv2d_s8(dws2, q, {28, 28, 48}, g_input, g_weights, g_bias, {14, 14, 48}, o); },
              [&](std::int8_t* o) { ref::depthwise_conv2d_s8(dws2, q, {28, 28, 48}, g_input, g_weights, g_bias, {14, 14, 48}, o); });
  measurePair(first + 5, 10, [&](std::int8_t* o) { cm4::fully_connected_s8(pw, q, 256, g_input, g_weights, g_bias, 10, o); },
              [&](std::int8_t* o) { ref::fully_connected_s8(pw, q, 256, g_input, g_weights, g_bias, 10, o); });
  measurePair(first + 6, 128, [&](std::int8_t* o) { cm4::fully_connected_s8(pw, q, 1024, g_input, g_weights, g_bias, 128, o); },
              [&](std::int8_t* o) { ref::fully_connected_s8(pw, q, 1024, g_input, g_weights, g_bias, 128, o); });
}

}  // namespace

int main() {
  kTelemetryUart.enable();
  randomize();
  const PerChannelQuant q{g_mult, g_shift};
  measureWindow([] {});  // window 0: the markers alone

  measureShapes(q, 1);

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
  measurePair(8, 14 * 14 * 24, [&](std::int8_t* o) { cm4::add_s8(add, 14 * 14 * 24, g_input, g_input + 4704, o); },
              [&](std::int8_t* o) { ref::add_s8(add, 14 * 14 * 24, g_input, g_input + 4704, o); });

  // The seven shapes again, with a quarter of the channels shifting left.
  mixShifts();
  measureShapes(q, 9);

  aidi::proto::FrameWriter writer(1);
  aidi::proto::Log done{};
  std::memcpy(done.text, "done", 4);
  done.textLength = 4;
  std::uint8_t wire[aidi::proto::kMaxEncodedFrame];
  kTelemetryUart.write(wire, writer.write(done, wire, sizeof wire));
  for (;;) __asm volatile("wfi");
}
