#include "aidi/kernels/ref.hpp"

namespace aidi::fw::ref {

void max_pool_s8(const PoolParams& p, const Shape& in, const std::int8_t* input, const Shape& out,
                 std::int8_t* output) {
  AIDI_KERNEL_ASSERT(poolCallValid(p, in, input, out, output));
  for (std::int32_t oy = 0; oy < out.h; ++oy) {
    for (std::int32_t ox = 0; ox < out.w; ++ox) {
      for (std::int32_t c = 0; c < out.c; ++c) {
        std::int32_t best = -128;
        for (std::int32_t ky = 0; ky < p.kernelH; ++ky) {
          const std::int32_t iy = oy * p.strideH - p.padTop + ky;
          if (iy < 0 || iy >= in.h) continue;
          for (std::int32_t kx = 0; kx < p.kernelW; ++kx) {
            const std::int32_t ix = ox * p.strideW - p.padLeft + kx;
            if (ix < 0 || ix >= in.w) continue;
            const std::int32_t v = input[(iy * in.w + ix) * in.c + c];
            if (v > best) best = v;
          }
        }
        output[(oy * out.w + ox) * out.c + c] = clampToInt8(best, p.actMin, p.actMax);
      }
    }
  }
}

}  // namespace aidi::fw::ref
