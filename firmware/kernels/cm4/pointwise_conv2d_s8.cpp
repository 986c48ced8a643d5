#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "output_stage.hpp"
#include "pair_matmul.hpp"

namespace aidi::fw::cm4 {

// A 1x1 convolution is a matrix product: each pixel's channels are one row.
void pointwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output) {
  AIDI_KERNEL_ASSERT(pointwiseCallValid(q, in, input, weights, out, output));
  const std::int32_t inC = in.c, pixels = out.h * out.w;
  if (inC > kMaxPairK) {
    ref::pointwise_conv2d_s8(p, q, in, input, weights, bias, out, output);
    return;
  }
  withOutputStage(p, q, out.c, [&](const auto& stage) {
    pairMatmul(stage, q, p.inputOffset, inC, weights, bias, out.c, pixels, output,
               [&](std::int32_t px, const std::int8_t*& a, const std::int8_t*& b) {
                 a = input + px * inC;
                 b = px + 1 < pixels ? a + inC : a;
               });
  });
}

}  // namespace aidi::fw::cm4
