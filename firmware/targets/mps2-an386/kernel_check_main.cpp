// Test firmware: the Cortex-M4 kernels against the reference kernels on the
// device itself, with the real DSP instructions, on random shapes, data and
// quantization. Reports one log frame per kernel ("pointwise 400/400") or an
// error frame at the first mismatch; ends with "done".
#include <cstdint>
#include <cstring>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "aidi/proto/messages.hpp"
#include "systick.hpp"
#include "telemetry_uart.hpp"

namespace {

using namespace aidi;
using fw::ConvParams;
using fw::Shape;

fw::mps2::TelemetryUart g_telemetry{1};
constexpr int kCases = 200;

std::uint32_t g_state = 12345;
std::uint32_t next() {
  g_state ^= g_state << 13;
  g_state ^= g_state >> 17;
  g_state ^= g_state << 5;
  return g_state;
}
std::int32_t uniform(std::int32_t lo, std::int32_t hi) {
  return lo + static_cast<std::int32_t>(next() % static_cast<std::uint32_t>(hi - lo + 1));
}

alignas(4) std::int8_t g_x[16 * 16 * 64];
alignas(4) std::int8_t g_w[5 * 5 * 32 * 32];
alignas(4) std::int8_t g_want[16 * 16 * 64], g_got[16 * 16 * 64];
std::int32_t g_bias[64], g_mult[64], g_shift[64];

void fill(std::int8_t* p, std::int32_t n) {
  for (std::int32_t i = 0; i < n; ++i) p[i] = static_cast<std::int8_t>(next());
}
// A third of the layers have some shift >= 0 (the stage's left-shift form);
// the rest shift right only, as trained layers do (its right-shift form).
void quant(std::int32_t n) {
  const bool someLeft = next() % 3 == 0;
  for (std::int32_t i = 0; i < n; ++i) {
    g_bias[i] = uniform(-20000, 20000);
    g_mult[i] = static_cast<std::int32_t>((1u << 30) + (next() % (1u << 30)));
    g_shift[i] = someLeft ? uniform(-12, 1) : (next() % 16 == 0 ? -31 : uniform(-12, -1));
  }
}
ConvParams params(std::int32_t k, std::int32_t stride, std::int32_t pad) {
  ConvParams p;
  p.kernelH = p.kernelW = k;
  p.strideH = p.strideW = stride;
  p.padTop = p.padLeft = pad;
  p.inputOffset = uniform(-127, 128);
  p.outputOffset = uniform(-128, 127);
  const bool fullRange = next() % 2 == 0;  // int8's range, or a narrower one (ReLU6)
  p.actMin = fullRange ? -128 : uniform(-128, -50);
  p.actMax = fullRange ? 127 : uniform(50, 127);
  return p;
}
std::int32_t outSize(std::int32_t in, std::int32_t k, std::int32_t s, std::int32_t pad) { return (in + 2 * pad - k) / s + 1; }

// Appends text or a decimal number to a fixed buffer (no printf: it would
// pull in the heap).
struct Text {
  char* out;
  std::uint8_t& length;
  std::uint8_t capacity;
  Text& operator<<(const char* s) {
    while (*s && length < capacity) out[length++] = *s++;
    return *this;
  }
  Text& operator<<(int v) {
    char digits[12];
    int n = 0;
    do digits[n++] = static_cast<char>('0' + v % 10);
    while ((v /= 10) > 0);
    while (n > 0 && length < capacity) out[length++] = digits[--n];
    return *this;
  }
};

void report(const char* kernel, int passed, int failedCase) {
  if (failedCase >= 0) {
    proto::DeviceError e{};
    e.code = 3;
    e.detail = static_cast<std::uint32_t>(failedCase);
    Text{e.text, e.textLength, proto::kMaxErrorText} << kernel << " differs from reference";
    g_telemetry.send(e);
    return;
  }
  proto::Log log{};
  log.level = proto::LogLevel::Info;
  Text{log.text, log.textLength, proto::kMaxLogText} << kernel << " " << passed << "/" << kCases;
  g_telemetry.send(log);
}

template <class Run>
void check(const char* kernel, Run run) {
  for (int i = 0; i < kCases; ++i) {
    const std::int32_t n = run();
    if (std::memcmp(g_want, g_got, static_cast<std::size_t>(n)) != 0) {
      report(kernel, i, i);
      return;
    }
  }
  report(kernel, kCases, -1);
}

}  // namespace

int main() {
  g_telemetry.begin();
  fw::mps2::startSysTick();

  check("pointwise", [] {
    const Shape in{uniform(1, 9), uniform(1, 9), uniform(1, 64)};
    const Shape out{in.h, in.w, uniform(1, 32)};
    const ConvParams p = params(1, 1, 0);
    fill(g_x, in.size());
    fill(g_w, in.c * out.c);
    quant(out.c);
    fw::ref::pointwise_conv2d_s8(p, {g_mult, g_shift}, in, g_x, g_w, g_bias, out, g_want);
    fw::cm4::pointwise_conv2d_s8(p, {g_mult, g_shift}, in, g_x, g_w, g_bias, out, g_got);
    return out.size();
  });
  check("conv", [] {
    const std::int32_t k = uniform(1, 5), stride = uniform(1, 2), pad = uniform(0, k / 2);
    const Shape in{uniform(k, 12), uniform(k, 12), uniform(1, 16)};
    const Shape out{outSize(in.h, k, stride, pad), outSize(in.w, k, stride, pad), uniform(1, 24)};
    const ConvParams p = params(k, stride, pad);
    fill(g_x, in.size());
    fill(g_w, k * k * in.c * out.c);
    quant(out.c);
    fw::ref::conv2d_s8(p, {g_mult, g_shift}, in, g_x, g_w, g_bias, out, g_want);
    fw::cm4::conv2d_s8(p, {g_mult, g_shift}, in, g_x, g_w, g_bias, out, g_got);
    return out.size();
  });
  check("depthwise", [] {
    const std::int32_t k = uniform(1, 5), stride = uniform(1, 2), pad = uniform(0, k / 2);
    const Shape in{uniform(k, 14), uniform(k, 14), uniform(1, 48)};
    const Shape out{outSize(in.h, k, stride, pad), outSize(in.w, k, stride, pad), in.c};
    const ConvParams p = params(k, stride, pad);
    fill(g_x, in.size());
    fill(g_w, k * k * in.c);
    quant(in.c);
    fw::ref::depthwise_conv2d_s8(p, {g_mult, g_shift}, in, g_x, g_w, g_bias, out, g_want);
    fw::cm4::depthwise_conv2d_s8(p, {g_mult, g_shift}, in, g_x, g_w, g_bias, out, g_got);
    return out.size();
  });
  check("fully_connected", [] {
    const std::int32_t inF = uniform(1, 1024), outF = uniform(1, 24);
    const ConvParams p = params(1, 1, 0);
    fill(g_x, inF);
    fill(g_w, inF * outF);
    quant(outF);
    fw::ref::fully_connected_s8(p, {g_mult, g_shift}, inF, g_x, g_w, g_bias, outF, g_want);
    fw::cm4::fully_connected_s8(p, {g_mult, g_shift}, inF, g_x, g_w, g_bias, outF, g_got);
    return outF;
  });
  check("add", [] {
    fw::AddParams p;
    p.input1Offset = uniform(-127, 128);
    p.input2Offset = uniform(-127, 128);
    p.outputOffset = uniform(-128, 127);
    p.leftShift = next() % 5 == 0 ? uniform(0, 22) : 20;
    p.input1Multiplier = static_cast<std::int32_t>((1u << 30) + (next() % (1u << 30)));
    p.input2Multiplier = static_cast<std::int32_t>((1u << 30) + (next() % (1u << 30)));
    p.outputMultiplier = static_cast<std::int32_t>((1u << 30) + (next() % (1u << 30)));
    const bool someLeft = next() % 4 == 0;
    p.input1Shift = someLeft ? uniform(-3, 1) : uniform(-6, 0);
    p.input2Shift = someLeft ? uniform(-3, 1) : uniform(-6, 0);
    // Exported adds shift the sum right by 15-25; small shifts expose the inputs' rounding.
    p.outputShift = someLeft ? uniform(-25, 0) : (next() % 3 == 0 ? uniform(-4, -1) : uniform(-25, -15));
    const bool fullRange = next() % 2 == 0;
    p.actMin = fullRange ? -128 : uniform(-128, -50);
    p.actMax = fullRange ? 127 : uniform(50, 127);
    const std::int32_t n = uniform(1, 2000);
    fill(g_x, n);
    fill(g_w, n);
    fw::ref::add_s8(p, n, g_x, g_w, g_want);
    fw::cm4::add_s8(p, n, g_x, g_w, g_got);
    return n;
  });
  check("pool", [] {
    fw::PoolParams p;
    const bool global = next() % 3 == 0;
    const std::int32_t k = global ? uniform(1, 16) : uniform(1, 4);
    p.kernelH = p.kernelW = k;
    p.strideH = p.strideW = global ? 1 : uniform(1, 2);
    p.padTop = p.padLeft = global ? 0 : uniform(0, k / 2);
    const bool fullRange = next() % 2 == 0;
    p.actMin = fullRange ? -128 : uniform(-128, -50);
    p.actMax = fullRange ? 127 : uniform(50, 127);
    const Shape in{global ? k : uniform(k, 12), global ? k : uniform(k, 12), uniform(1, 48)};
    const Shape out{outSize(in.h, k, p.strideH, p.padTop), outSize(in.w, k, p.strideW, p.padLeft), in.c};
    fill(g_x, in.size());
    const bool average = next() % 2 == 0;
    (average ? fw::ref::avg_pool_s8 : fw::ref::max_pool_s8)(p, in, g_x, out, g_want);
    (average ? fw::cm4::avg_pool_s8 : fw::cm4::max_pool_s8)(p, in, g_x, out, g_got);
    return out.size();
  });
  g_telemetry.sendLog("done");
  for (;;) __asm volatile("wfi");
}
