#include "aidi/kernels/ref.hpp"

namespace aidi::fw::ref {

void depthwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output) {
  AIDI_KERNEL_ASSERT(depthwiseCallValid(p, q, in, input, weights, out, output));
  for (std::int32_t oy = 0; oy < out.h; ++oy) {
    for (std::int32_t ox = 0; ox < out.w; ++ox) {
      for (std::int32_t c = 0; c < out.c; ++c) {
        std::int32_t acc = bias ? bias[c] : 0;
        for (std::int32_t ky = 0; ky < p.kernelH; ++ky) {
          const std::int32_t iy = oy * p.strideH - p.padTop + ky;
          if (iy < 0 || iy >= in.h) continue;
          for (std::int32_t kx = 0; kx < p.kernelW; ++kx) {
            const std::int32_t ix = ox * p.strideW - p.padLeft + kx;
            if (ix < 0 || ix >= in.w) continue;
            acc += (input[(iy * in.w + ix) * in.c + c] + p.inputOffset) * weights[(ky * p.kernelW + kx) * in.c + c];
          }
        }
        const std::int32_t y = requantize(acc, q.multiplier[c], q.shift[c]) + p.outputOffset;
        output[(oy * out.w + ox) * out.c + c] = clampToInt8(y, p.actMin, p.actMax);
      }
    }
  }
}

}  // namespace aidi::fw::ref
