#include "aidi/kernels/ref.hpp"
#include "conv_taps.hpp"

namespace aidi::fw::ref {

void conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
               const std::int8_t* weights, const std::int32_t* bias, const Shape& out, std::int8_t* output) {
  AIDI_KERNEL_ASSERT(convCallValid(p, q, in, input, weights, out, output));
  for (std::int32_t oy = 0; oy < out.h; ++oy) {
    for (std::int32_t ox = 0; ox < out.w; ++ox) {
      for (std::int32_t oc = 0; oc < out.c; ++oc) {
        const std::int32_t acc = (bias ? bias[oc] : 0) + convTapSum(p, in, input, weights, oy, ox, oc, 0, in.c);
        const std::int32_t y = requantize(acc, q.multiplier[oc], q.shift[oc]) + p.outputOffset;
        output[(oy * out.w + ox) * out.c + oc] = clampToInt8(y, p.actMin, p.actMax);
      }
    }
  }
}

}  // namespace aidi::fw::ref
