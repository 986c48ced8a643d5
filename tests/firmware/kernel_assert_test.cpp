// In debug builds every kernel, reference and Cortex-M4, refuses a call whose
// shapes disagree or whose buffers are missing before touching memory. This
// suite links the kernels compiled without NDEBUG (aidi_kernels_debug).
#include <gtest/gtest.h>

#include <vector>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"

using namespace aidi::fw;

namespace {

struct Buffers {
  std::vector<std::int8_t> x = std::vector<std::int8_t>(4096), w = std::vector<std::int8_t>(4096),
                           y = std::vector<std::int8_t>(4096);
  std::vector<std::int32_t> bias = std::vector<std::int32_t>(64), m = std::vector<std::int32_t>(64, 1 << 30),
                            s = std::vector<std::int32_t>(64, -1);
  PerChannelQuant q() const { return {m.data(), s.data()}; }
};

ConvParams conv3x3(int pad) {
  ConvParams p;
  p.kernelH = p.kernelW = 3;
  p.padTop = p.padLeft = pad;
  return p;
}

}  // namespace

TEST(KernelAssertDeathTest, ValidCallsPass) {
  Buffers b;
  const Shape in{6, 6, 8}, out{6, 6, 8};
  ref::conv2d_s8(conv3x3(1), b.q(), in, b.x.data(), b.w.data(), b.bias.data(), out, b.y.data());
  cm4::conv2d_s8(conv3x3(1), b.q(), in, b.x.data(), b.w.data(), b.bias.data(), out, b.y.data());
  cm4::depthwise_conv2d_s8(conv3x3(1), b.q(), in, b.x.data(), b.w.data(), nullptr, out, b.y.data());
  cm4::pointwise_conv2d_s8(ConvParams{}, b.q(), in, b.x.data(), b.w.data(), nullptr, out, b.y.data());
  cm4::fully_connected_s8(ConvParams{}, b.q(), 64, b.x.data(), b.w.data(), nullptr, 10, b.y.data());
  PoolParams pool;
  pool.kernelH = pool.kernelW = 6;
  cm4::avg_pool_s8(pool, in, b.x.data(), {1, 1, 8}, b.y.data());
  cm4::add_s8(AddParams{}, 0, nullptr, nullptr, nullptr);
  SUCCEED();
}

TEST(KernelAssertDeathTest, ConvolutionsRefuseDisagreeingShapes) {
  Buffers b;
  // Padding as large as the kernel: the first window lies wholly outside.
  EXPECT_DEATH(ref::conv2d_s8(conv3x3(3), b.q(), {6, 6, 8}, b.x.data(), b.w.data(), nullptr, {6, 6, 8}, b.y.data()),
               "convCallValid");
  // More output rows than the input has windows.
  EXPECT_DEATH(cm4::conv2d_s8(conv3x3(1), b.q(), {6, 6, 8}, b.x.data(), b.w.data(), nullptr, {9, 6, 8}, b.y.data()),
               "convCallValid");
  // Depthwise changes no channel count.
  EXPECT_DEATH(cm4::depthwise_conv2d_s8(conv3x3(1), b.q(), {6, 6, 8}, b.x.data(), b.w.data(), nullptr, {6, 6, 16},
                                        b.y.data()),
               "depthwiseCallValid");
  EXPECT_DEATH(ref::depthwise_conv2d_s8(conv3x3(1), b.q(), {6, 6, 8}, b.x.data(), b.w.data(), nullptr, {6, 6, 16},
                                        b.y.data()),
               "depthwiseCallValid");
  // A 1x1 convolution keeps the pixels.
  EXPECT_DEATH(cm4::pointwise_conv2d_s8(ConvParams{}, b.q(), {4, 4, 8}, b.x.data(), b.w.data(), nullptr, {4, 5, 8},
                                        b.y.data()),
               "pointwiseCallValid");
  EXPECT_DEATH(ref::pointwise_conv2d_s8(ConvParams{}, b.q(), {4, 4, 8}, b.x.data(), b.w.data(), nullptr, {4, 5, 8},
                                        b.y.data()),
               "pointwiseCallValid");
}

TEST(KernelAssertDeathTest, MissingBuffersAndQuantizationAreRefused) {
  Buffers b;
  EXPECT_DEATH(cm4::fully_connected_s8(ConvParams{}, b.q(), 64, b.x.data(), nullptr, nullptr, 10, b.y.data()),
               "fullyConnectedCallValid");
  EXPECT_DEATH(ref::fully_connected_s8(ConvParams{}, {nullptr, nullptr}, 64, b.x.data(), b.w.data(), nullptr, 10,
                                       b.y.data()),
               "fullyConnectedCallValid");
  EXPECT_DEATH(cm4::add_s8(AddParams{}, 16, b.x.data(), nullptr, b.y.data()), "addCallValid");
  EXPECT_DEATH(ref::add_s8(AddParams{}, -1, b.x.data(), b.w.data(), b.y.data()), "addCallValid");
}

TEST(KernelAssertDeathTest, PoolingRefusesWindowsPastTheInput) {
  Buffers b;
  PoolParams p;
  p.kernelH = p.kernelW = 2;
  p.strideH = p.strideW = 2;
  // A 4x4 input has two 2x2 windows per side, not three.
  EXPECT_DEATH(cm4::avg_pool_s8(p, {4, 4, 8}, b.x.data(), {3, 3, 8}, b.y.data()), "poolCallValid");
  EXPECT_DEATH(ref::max_pool_s8(p, {4, 4, 8}, b.x.data(), {2, 2, 16}, b.y.data()), "poolCallValid");
}
