// The Cortex-M4 kernels against the reference kernels, byte for byte, on
// random shapes, data and quantization (including odd channel and pixel
// counts, strides, padding and extreme offsets). Runs natively with the
// portable stand-ins for the DSP instructions; the device runs the same code
// with the real instructions in model_on_device_test.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "../../firmware/kernels/cm4/simd.hpp"

using namespace aidi::fw;

namespace {

struct Case {
  std::mt19937 rng;
  explicit Case(unsigned seed) : rng(seed) {}
  int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
  std::vector<std::int8_t> bytes(std::size_t n) {
    std::vector<std::int8_t> v(n);
    for (auto& b : v) b = static_cast<std::int8_t>(uniform(-128, 127));
    return v;
  }
  std::vector<std::int32_t> biases(std::size_t n) {
    std::vector<std::int32_t> v(n);
    for (auto& b : v) b = uniform(-20000, 20000);
    return v;
  }
  // Multipliers in [2^30, 2^31), shifts giving output steps like real layers.
  void quant(std::size_t n, std::vector<std::int32_t>& m, std::vector<std::int32_t>& s) {
    m.resize(n);
    s.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = static_cast<std::int32_t>((1u << 30) + (rng() % (1u << 30)));
      s[i] = uniform(-12, 0);
    }
  }
  ConvParams conv(int k, int stride, int pad) {
    ConvParams p;
    p.kernelH = p.kernelW = k;
    p.strideH = p.strideW = stride;
    p.padTop = p.padLeft = pad;
    p.inputOffset = uniform(-127, 128);
    p.outputOffset = uniform(-128, 127);
    p.actMin = uniform(-128, -50);
    p.actMax = uniform(50, 127);
    return p;
  }
};

int outSize(int in, int k, int s, int pad) { return (in + 2 * pad - k) / s + 1; }

}  // namespace

TEST(Cm4Requantize, EqualsTheReferenceIncludingTies) {
  std::mt19937 rng(3);
  for (int i = 0; i < 2'000'000; ++i) {
    const auto acc = static_cast<std::int32_t>(static_cast<std::int32_t>(rng()) >> (rng() % 12 + 2));  // |acc| < 2^30
    const auto m = static_cast<std::int32_t>((1u << 30) + (rng() % (1u << 30)));
    const std::int32_t shift = -static_cast<std::int32_t>(rng() % 20);
    ASSERT_EQ(cm4::requantizeFast(acc, m, shift), requantize(acc, m, shift)) << acc << " " << m << " " << shift;
  }
  // Exact halves: multiplier 2^30 (one half) makes acc*m/2^31 land on .5 for odd acc.
  for (std::int32_t acc = -4096; acc <= 4096; ++acc)
    for (std::int32_t shift = -4; shift <= 0; ++shift)
      ASSERT_EQ(cm4::requantizeFast(acc, 1 << 30, shift), requantize(acc, 1 << 30, shift)) << acc << " " << shift;
}

TEST(Cm4Kernels, PointwiseEqualsReference) {
  for (unsigned seed = 0; seed < 300; ++seed) {
    Case t(seed);
    const Shape in{t.uniform(1, 9), t.uniform(1, 9), t.uniform(1, 70)};
    const Shape out{in.h, in.w, t.uniform(1, 40)};
    ConvParams p = t.conv(1, 1, 0);
    auto x = t.bytes(in.size()), w = t.bytes(static_cast<std::size_t>(in.c * out.c));
    auto b = t.biases(out.c);
    std::vector<std::int32_t> m, s;
    t.quant(out.c, m, s);
    std::vector<std::int8_t> want(out.size()), got(out.size());
    ref::pointwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, want.data());
    cm4::pointwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, got.data());
    ASSERT_EQ(got, want) << "seed " << seed << " in " << in.h << "x" << in.w << "x" << in.c << " out " << out.c;
  }
}

TEST(Cm4Kernels, ConvEqualsReference) {
  for (unsigned seed = 0; seed < 300; ++seed) {
    Case t(seed);
    const int k = t.uniform(1, 5), stride = t.uniform(1, 2), pad = t.uniform(0, k / 2);
    const Shape in{t.uniform(k, 12), t.uniform(k, 12), t.uniform(1, 20)};
    const Shape out{outSize(in.h, k, stride, pad), outSize(in.w, k, stride, pad), t.uniform(1, 24)};
    ConvParams p = t.conv(k, stride, pad);
    auto x = t.bytes(in.size()), w = t.bytes(static_cast<std::size_t>(k * k * in.c * out.c));
    auto b = t.biases(out.c);
    std::vector<std::int32_t> m, s;
    t.quant(out.c, m, s);
    std::vector<std::int8_t> want(out.size()), got(out.size());
    ref::conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, want.data());
    cm4::conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, got.data());
    ASSERT_EQ(got, want) << "seed " << seed << " k " << k << " stride " << stride << " pad " << pad;
  }
}

TEST(Cm4Kernels, DepthwiseEqualsReference) {
  for (unsigned seed = 0; seed < 300; ++seed) {
    Case t(seed);
    const int k = t.uniform(1, 5), stride = t.uniform(1, 2), pad = t.uniform(0, k / 2);
    const Shape in{t.uniform(k, 14), t.uniform(k, 14), t.uniform(1, 50)};
    const Shape out{outSize(in.h, k, stride, pad), outSize(in.w, k, stride, pad), in.c};
    ConvParams p = t.conv(k, stride, pad);
    auto x = t.bytes(in.size()), w = t.bytes(static_cast<std::size_t>(k * k * in.c));
    auto b = t.biases(in.c);
    std::vector<std::int32_t> m, s;
    t.quant(in.c, m, s);
    std::vector<std::int8_t> want(out.size()), got(out.size());
    ref::depthwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, want.data());
    cm4::depthwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, got.data());
    ASSERT_EQ(got, want) << "seed " << seed << " k " << k << " stride " << stride << " pad " << pad << " c " << in.c;
  }
}

TEST(Cm4Kernels, FullyConnectedEqualsReference) {
  for (unsigned seed = 0; seed < 300; ++seed) {
    Case t(seed);
    const int inF = t.uniform(1, 300), outF = t.uniform(1, 40);
    ConvParams p = t.conv(1, 1, 0);
    auto x = t.bytes(static_cast<std::size_t>(inF)), w = t.bytes(static_cast<std::size_t>(inF * outF));
    auto b = t.biases(outF);
    std::vector<std::int32_t> m, s;
    t.quant(outF, m, s);
    std::vector<std::int8_t> want(outF), got(outF);
    ref::fully_connected_s8(p, {m.data(), s.data()}, inF, x.data(), w.data(), b.data(), outF, want.data());
    cm4::fully_connected_s8(p, {m.data(), s.data()}, inF, x.data(), w.data(), b.data(), outF, got.data());
    ASSERT_EQ(got, want) << "seed " << seed << " in " << inF << " out " << outF;
  }
}

TEST(Cm4Kernels, NullBiasMeansZero) {
  Case t(9);
  const Shape in{3, 3, 8}, out{3, 3, 6};
  ConvParams p = t.conv(1, 1, 0);
  auto x = t.bytes(in.size()), w = t.bytes(48);
  std::vector<std::int32_t> m, s, zeros(6, 0);
  t.quant(6, m, s);
  std::vector<std::int8_t> want(out.size()), got(out.size());
  ref::pointwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), zeros.data(), out, want.data());
  cm4::pointwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), nullptr, out, got.data());
  EXPECT_EQ(got, want);
}
