#include "aidi/kernels/ref.hpp"

namespace aidi::fw::ref {

void pointwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output) {
  AIDI_KERNEL_ASSERT(pointwiseCallValid(q, in, input, weights, out, output));
  const std::int32_t pixels = out.h * out.w;
  for (std::int32_t px = 0; px < pixels; ++px) {
    const std::int8_t* x = input + px * in.c;
    for (std::int32_t oc = 0; oc < out.c; ++oc) {
      std::int32_t acc = bias ? bias[oc] : 0;
      const std::int8_t* w = weights + oc * in.c;
      for (std::int32_t ic = 0; ic < in.c; ++ic) acc += (x[ic] + p.inputOffset) * w[ic];
      const std::int32_t y = requantize(acc, q.multiplier[oc], q.shift[oc]) + p.outputOffset;
      output[px * out.c + oc] = clampToInt8(y, p.actMin, p.actMax);
    }
  }
}

}  // namespace aidi::fw::ref
