// The Cortex-M4 kernels against the reference kernels, byte for byte, on
// random shapes, data and quantization (including odd channel and pixel
// counts, strides, padding and extreme offsets). Runs natively with the
// portable stand-ins for the DSP instructions; the device runs the same code
// with the real instructions in model_on_device_test.
#include <gtest/gtest.h>

#include <random>
#include <tuple>
#include <vector>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "../../firmware/kernels/cm4/output_stage.hpp"

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
  // Multipliers in [2^30, 2^31), shifts giving output steps like real layers:
  // a third of the layers have some shift >= 0 (the stage's left-shift form),
  // the rest shift right only, as trained layers do (its right-shift form).
  void quant(std::size_t n, std::vector<std::int32_t>& m, std::vector<std::int32_t>& s) {
    m.resize(n);
    s.resize(n);
    const bool someLeft = uniform(0, 2) == 0;
    for (std::size_t i = 0; i < n; ++i) {
      m[i] = static_cast<std::int32_t>((1u << 30) + (rng() % (1u << 30)));
      s[i] = someLeft ? uniform(-12, 1) : (uniform(0, 15) == 0 ? -31 : uniform(-12, -1));
    }
  }
  ConvParams conv(int k, int stride, int pad) {
    ConvParams p;
    p.kernelH = p.kernelW = k;
    p.strideH = p.strideW = stride;
    p.padTop = p.padLeft = pad;
    p.inputOffset = uniform(-127, 128);
    p.outputOffset = uniform(-128, 127);
    const bool fullRange = uniform(0, 1) == 0;  // int8's range, or a narrower one (ReLU6)
    p.actMin = fullRange ? -128 : uniform(-128, -50);
    p.actMax = fullRange ? 127 : uniform(50, 127);
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

TEST(Cm4OutputStage, RightShiftStageEqualsTheReferenceForEveryRightShift) {
  std::mt19937 rng(5);
  for (int i = 0; i < 1'000'000; ++i) {
    const auto acc = static_cast<std::int32_t>(static_cast<std::int32_t>(rng()) >> (rng() % 12 + 2));  // |acc| < 2^30
    const auto m = static_cast<std::int32_t>((1u << 30) + (rng() % (1u << 30)));
    const std::int32_t shift = -1 - static_cast<std::int32_t>(rng() % 31);
    const std::int32_t zeroPoint = static_cast<std::int32_t>(rng() % 256) - 128;
    const std::int32_t lo = i % 2 ? -128 : -100, hi = i % 2 ? 127 : 6;
    const std::int8_t want = clampToInt8(requantize(acc, m, shift) + zeroPoint, lo, hi);
    if (i % 2) {
      ASSERT_EQ(cm4::RightShiftOutputStage<false>({2 * zeroPoint + 1, lo, hi})(acc, m, shift), want) << acc << " " << m << " " << shift;
    } else {
      ASSERT_EQ(cm4::RightShiftOutputStage<true>({2 * zeroPoint + 1, lo, hi})(acc, m, shift), want) << acc << " " << m << " " << shift;
    }
  }
  // Exact halves at every right shift.
  for (std::int32_t acc = -4096; acc <= 4096; ++acc)
    for (std::int32_t shift = -5; shift <= -1; ++shift)
      ASSERT_EQ(cm4::RightShiftOutputStage<false>({-9, -128, 127})(acc, 1 << 30, shift),
                clampToInt8(requantize(acc, 1 << 30, shift) - 5, -128, 127))
          << acc << " " << shift;
}

TEST(Cm4OutputStage, LeftShiftFormEqualsTheReferenceForEveryShift) {
  std::mt19937 rng(7);
  for (int i = 0; i < 1'000'000; ++i) {
    const std::int32_t shift = static_cast<std::int32_t>(rng() % 40) - 31;  // -31 .. 8
    // |acc << max(shift, 0)| < 2^30, the domain of requantizeFast.
    const std::int32_t headroom = 2 + (shift > 0 ? shift : 0);
    const auto acc = static_cast<std::int32_t>(static_cast<std::int32_t>(rng()) >> (rng() % 12 + headroom));
    const auto m = static_cast<std::int32_t>((1u << 30) + (rng() % (1u << 30)));
    const std::int32_t zeroPoint = static_cast<std::int32_t>(rng() % 256) - 128;
    const std::int32_t lo = i % 2 ? -128 : -100, hi = i % 2 ? 127 : 6;
    const std::int8_t want = clampToInt8(requantize(acc, m, shift) + zeroPoint, lo, hi);
    if (i % 2) {
      ASSERT_EQ((cm4::ShiftOutputStage<false, true>{2 * zeroPoint + 1, lo, hi})(acc, m, shift), want)
          << acc << " " << m << " " << shift;
    } else {
      ASSERT_EQ((cm4::ShiftOutputStage<true, true>{2 * zeroPoint + 1, lo, hi})(acc, m, shift), want)
          << acc << " " << m << " " << shift;
    }
  }
  // Small results near zero at shift 0 and 1, where the doubling and the
  // sign step meet: every accumulator with multiplier one half.
  for (std::int32_t acc = -4096; acc <= 4096; ++acc)
    for (std::int32_t shift = -3; shift <= 2; ++shift)
      ASSERT_EQ((cm4::ShiftOutputStage<false, true>{-9, -128, 127})(acc, 1 << 30, shift),
                clampToInt8(requantize(acc, 1 << 30, shift) - 5, -128, 127))
          << acc << " " << shift;
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

// A convolution summed in passes over groups of input channels, then
// requantized, gives the one-call kernel's output (SONIC's partial sums);
// so does a fully connected layer as the 1x1 case; the Cortex-M4 kernel's
// sums equal the reference's after every pass.
TEST(PartialSums, PassesOverChannelGroupsEqualTheWholeKernel) {
  for (unsigned seed = 0; seed < 200; ++seed) {
    Case t(seed);
    const bool fullyConnected = seed % 4 == 3;
    const int k = fullyConnected ? 1 : t.uniform(1, 5), stride = fullyConnected ? 1 : t.uniform(1, 2);
    const int pad = t.uniform(0, k / 2);
    const Shape in = fullyConnected ? Shape{1, 1, t.uniform(1, 200)} : Shape{t.uniform(k, 10), t.uniform(k, 10), t.uniform(1, 40)};
    const Shape out{outSize(in.h, k, stride, pad), outSize(in.w, k, stride, pad), t.uniform(1, 24)};
    ConvParams p = t.conv(k, stride, pad);
    auto x = t.bytes(in.size()), w = t.bytes(static_cast<std::size_t>(k * k * in.c * out.c));
    auto b = t.biases(out.c);
    std::vector<std::int32_t> m, s;
    t.quant(out.c, m, s);
    std::vector<std::int8_t> want(out.size()), got(out.size());
    if (fullyConnected) ref::fully_connected_s8(p, {m.data(), s.data()}, in.c, x.data(), w.data(), b.data(), out.c, want.data());
    else ref::conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, want.data());
    std::vector<std::int32_t> acc(out.size());
    for (int i = 0; i < out.h * out.w; ++i)
      for (int oc = 0; oc < out.c; ++oc) acc[i * out.c + oc] = b[oc];
    std::vector<std::int32_t> accCm4 = acc;
    for (int c0 = 0; c0 < in.c;) {
      // Groups of up to 40 channels: the Cortex-M4 kernel's chunks of 32 and their tails.
      const int c1 = std::min(in.c, c0 + (seed % 2 ? t.uniform(1, 9) : t.uniform(1, 40)));
      ref::conv2d_accumulate_s32(p, in, x.data(), w.data(), out, c0, c1, acc.data());
      cm4::conv2d_accumulate_s32(p, in, x.data(), w.data(), out, c0, c1, accCm4.data());
      ASSERT_EQ(accCm4, acc) << "seed " << seed << " channels " << c0 << ".." << c1;
      c0 = c1;
    }
    ref::requantize_s32(p, {m.data(), s.data()}, out.h * out.w, out.c, acc.data(), got.data());
    ASSERT_EQ(got, want) << "seed " << seed << " k " << k << " in.c " << in.c;
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

// Layers whose widened weights exceed the kernels' scratch are computed a
// chunk of channels at a time; inputs past the scratch fall back to the
// reference kernels. Both must stay exact.
TEST(Cm4Kernels, LargeLayersAcrossWeightChunksEqualReference) {
  for (unsigned seed = 0; seed < 12; ++seed) {
    Case t(1000 + seed);
    std::vector<std::int32_t> m, s;
    {  // pointwise: up to 300 x 70 weights, several chunks
      const Shape in{t.uniform(1, 5), t.uniform(1, 5), t.uniform(100, 300)};
      const Shape out{in.h, in.w, t.uniform(20, 70)};
      ConvParams p = t.conv(1, 1, 0);
      auto x = t.bytes(in.size()), w = t.bytes(static_cast<std::size_t>(in.c * out.c));
      auto b = t.biases(out.c);
      t.quant(out.c, m, s);
      std::vector<std::int8_t> want(out.size()), got(out.size());
      ref::pointwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, want.data());
      cm4::pointwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, got.data());
      ASSERT_EQ(got, want) << "pointwise seed " << seed;
    }
    {  // conv: windows of 3x3 up to 140 channels (k up to 1260: past the im2col limit too)
      const Shape in{t.uniform(3, 6), t.uniform(3, 6), t.uniform(60, 140)};
      const Shape out{in.h, in.w, t.uniform(5, 12)};
      ConvParams p = t.conv(3, 1, 1);
      auto x = t.bytes(in.size()), w = t.bytes(static_cast<std::size_t>(9 * in.c * out.c));
      auto b = t.biases(out.c);
      t.quant(out.c, m, s);
      std::vector<std::int8_t> want(out.size()), got(out.size());
      ref::conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, want.data());
      cm4::conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, got.data());
      ASSERT_EQ(got, want) << "conv seed " << seed;
    }
    {  // depthwise 5x5 over up to 400 channels: several chunks of 160
      const Shape in{t.uniform(5, 8), t.uniform(5, 8), t.uniform(150, 400)};
      const Shape out{in.h, in.w, in.c};
      ConvParams p = t.conv(5, 1, 2);
      auto x = t.bytes(in.size()), w = t.bytes(static_cast<std::size_t>(25 * in.c));
      auto b = t.biases(in.c);
      t.quant(in.c, m, s);
      std::vector<std::int8_t> want(out.size()), got(out.size());
      ref::depthwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, want.data());
      cm4::depthwise_conv2d_s8(p, {m.data(), s.data()}, in, x.data(), w.data(), b.data(), out, got.data());
      ASSERT_EQ(got, want) << "depthwise seed " << seed;
    }
    {  // fully connected up to 2600 inputs (past the widened-input scratch)
      const int inF = t.uniform(1000, 2600), outF = t.uniform(1, 20);
      ConvParams p = t.conv(1, 1, 0);
      auto x = t.bytes(static_cast<std::size_t>(inF)), w = t.bytes(static_cast<std::size_t>(inF * outF));
      auto b = t.biases(outF);
      t.quant(outF, m, s);
      std::vector<std::int8_t> want(outF), got(outF);
      ref::fully_connected_s8(p, {m.data(), s.data()}, inF, x.data(), w.data(), b.data(), outF, want.data());
      cm4::fully_connected_s8(p, {m.data(), s.data()}, inF, x.data(), w.data(), b.data(), outF, got.data());
      ASSERT_EQ(got, want) << "fully connected seed " << seed;
    }
  }
}

// Adds as exported models have them (every shift right, left shift 20) take
// the fast path; other shifts fall back to the reference. Both exact.
TEST(Cm4Kernels, AddEqualsReference) {
  for (unsigned seed = 0; seed < 300; ++seed) {
    Case t(seed);
    AddParams p;
    p.input1Offset = t.uniform(-127, 128);
    p.input2Offset = t.uniform(-127, 128);
    p.outputOffset = t.uniform(-128, 127);
    p.leftShift = seed % 5 == 0 ? t.uniform(0, 22) : 20;
    const auto multiplier = [&] { return static_cast<std::int32_t>((1u << 30) + (t.rng() % (1u << 30))); };
    p.input1Multiplier = multiplier();
    p.input2Multiplier = multiplier();
    p.outputMultiplier = multiplier();
    const bool someLeft = seed % 4 == 0;
    p.input1Shift = someLeft ? t.uniform(-3, 1) : t.uniform(-6, 0);
    p.input2Shift = someLeft ? t.uniform(-3, 1) : t.uniform(-6, 0);
    // Exported adds shift the sum right by 15-25; small shifts expose the inputs' rounding.
    p.outputShift = someLeft ? t.uniform(-25, 0) : (seed % 3 == 0 ? t.uniform(-4, -1) : t.uniform(-25, -15));
    const bool fullRange = seed % 2 == 0;
    p.actMin = fullRange ? -128 : t.uniform(-128, -50);
    p.actMax = fullRange ? 127 : t.uniform(50, 127);
    const int n = t.uniform(1, 2000);
    auto a = t.bytes(static_cast<std::size_t>(n)), b = t.bytes(static_cast<std::size_t>(n));
    std::vector<std::int8_t> want(static_cast<std::size_t>(n)), got(static_cast<std::size_t>(n));
    ref::add_s8(p, n, a.data(), b.data(), want.data());
    cm4::add_s8(p, n, a.data(), b.data(), got.data());
    ASSERT_EQ(got, want) << "seed " << seed;
  }
}

TEST(Cm4Kernels, PoolingEqualsReference) {
  for (unsigned seed = 0; seed < 300; ++seed) {
    Case t(seed);
    PoolParams p;
    // A third are global pools (MCUNet's head), some past the 16-bit sums (16x16).
    const bool global = seed % 3 == 0;
    const int k = global ? (seed % 2 ? 16 : t.uniform(1, 8)) : t.uniform(1, 4);
    p.kernelH = p.kernelW = k;
    p.strideH = p.strideW = global ? 1 : t.uniform(1, 2);
    p.padTop = p.padLeft = global ? 0 : t.uniform(0, k / 2);
    const bool fullRange = seed % 2 == 0;
    p.actMin = fullRange ? -128 : t.uniform(-128, -50);
    p.actMax = fullRange ? 127 : t.uniform(50, 127);
    const Shape in{global ? k : t.uniform(k, 12), global ? k : t.uniform(k, 12), t.uniform(1, 50)};
    const Shape out{outSize(in.h, k, p.strideH, p.padTop), outSize(in.w, k, p.strideW, p.padLeft), in.c};
    auto x = t.bytes(in.size());
    std::vector<std::int8_t> want(out.size()), got(out.size());
    ref::avg_pool_s8(p, in, x.data(), out, want.data());
    cm4::avg_pool_s8(p, in, x.data(), out, got.data());
    ASSERT_EQ(got, want) << "average, seed " << seed;
    ref::max_pool_s8(p, in, x.data(), out, want.data());
    cm4::max_pool_s8(p, in, x.data(), out, got.data());
    ASSERT_EQ(got, want) << "max, seed " << seed;
  }
  // The extremes of the 16-bit sums: 255 taps of -128 and of 127.
  PoolParams p;
  p.kernelH = 15;
  p.kernelW = 17;
  for (const std::int8_t v : {std::int8_t{-128}, std::int8_t{127}}) {
    const Shape in{15, 17, 8}, out{1, 1, 8};
    std::vector<std::int8_t> x(in.size(), v), want(8), got(8);
    ref::avg_pool_s8(p, in, x.data(), out, want.data());
    cm4::avg_pool_s8(p, in, x.data(), out, got.data());
    EXPECT_EQ(got, want) << int(v);
  }
}

// With constant weights declared, consecutive calls of a layer reuse its
// widened weights; calls of another layer (other weights, other chunk) must
// rebuild them. Every call still equals the reference.
TEST(Cm4Kernels, ConstantWeightsReuseTheTableOnlyForTheSameLayer) {
  Case t(77);
  struct Layer {
    Shape in, out;
    ConvParams p;
    std::vector<std::int8_t> w;
    std::vector<std::int32_t> b, m, s;
  };
  std::vector<Layer> layers;
  for (const auto& [inC, outC, depthwise] : {std::tuple{24, 40, false}, std::tuple{40, 40, true},
                                             std::tuple{200, 64, false}}) {
    Layer l;
    l.in = {5, 6, inC};
    l.out = {5, 6, outC};
    l.p = t.conv(depthwise ? 3 : 1, 1, depthwise ? 1 : 0);
    l.p.actMin = -128;
    l.p.actMax = 127;
    l.w = t.bytes(static_cast<std::size_t>(depthwise ? 9 * inC : inC * outC));
    l.b = t.biases(outC);
    l.m.assign(outC, 1 << 30);
    l.s.assign(outC, -3);
    layers.push_back(std::move(l));
  }
  cm4::useConstantWeights(true);
  // Rows one call at a time, layers interleaved: 0, 0, 1, 1, 2, 2, 0, 2, 1 ...
  const int order[] = {0, 0, 1, 1, 2, 2, 0, 2, 1, 1, 0};
  for (const int i : order) {
    const Layer& l = layers[i];
    auto x = t.bytes(l.in.size());
    std::vector<std::int8_t> want(l.out.size()), got(l.out.size());
    const PerChannelQuant q{l.m.data(), l.s.data()};
    if (l.p.kernelH == 3) {
      ref::depthwise_conv2d_s8(l.p, q, l.in, x.data(), l.w.data(), l.b.data(), l.out, want.data());
      cm4::depthwise_conv2d_s8(l.p, q, l.in, x.data(), l.w.data(), l.b.data(), l.out, got.data());
    } else {
      ref::pointwise_conv2d_s8(l.p, q, l.in, x.data(), l.w.data(), l.b.data(), l.out, want.data());
      cm4::pointwise_conv2d_s8(l.p, q, l.in, x.data(), l.w.data(), l.b.data(), l.out, got.data());
    }
    ASSERT_EQ(got, want) << "layer " << i;
  }
  cm4::useConstantWeights(false);
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
