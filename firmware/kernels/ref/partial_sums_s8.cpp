#include "aidi/kernels/ref.hpp"
#include "conv_taps.hpp"

namespace aidi::fw::ref {

void conv2d_accumulate_s32(const ConvParams& p, const Shape& in, const std::int8_t* input, const std::int8_t* weights,
                           const Shape& out, std::int32_t firstChannel, std::int32_t endChannel, std::int32_t* acc) {
  AIDI_KERNEL_ASSERT(convShapesAgree(p, in, out) && input && weights && acc);
  AIDI_KERNEL_ASSERT(0 <= firstChannel && firstChannel <= endChannel && endChannel <= in.c);
  for (std::int32_t oy = 0; oy < out.h; ++oy) {
    for (std::int32_t ox = 0; ox < out.w; ++ox) {
      for (std::int32_t oc = 0; oc < out.c; ++oc)
        acc[(oy * out.w + ox) * out.c + oc] += convTapSum(p, in, input, weights, oy, ox, oc, firstChannel, endChannel);
    }
  }
}

void requantize_s32(const ConvParams& p, const PerChannelQuant& q, std::int32_t pixels, std::int32_t channels,
                    const std::int32_t* acc, std::int8_t* output) {
  AIDI_KERNEL_ASSERT(acc && output && q.multiplier && q.shift);
  for (std::int32_t i = 0; i < pixels; ++i)
    for (std::int32_t oc = 0; oc < channels; ++oc) {
      const std::int32_t y = requantize(acc[i * channels + oc], q.multiplier[oc], q.shift[oc]) + p.outputOffset;
      output[i * channels + oc] = clampToInt8(y, p.actMin, p.actMax);
    }
}

}  // namespace aidi::fw::ref
