// The reference convolution's sum for one output value, over the input
// channels [firstChannel, endChannel) of its window: conv2d_s8 takes every
// channel at once, conv2d_accumulate_s32 a group per pass.
#pragma once

#include <cstdint>

#include "aidi/kernels/params.hpp"

namespace aidi::fw::ref {

inline std::int32_t convTapSum(const ConvParams& p, const Shape& in, const std::int8_t* input,
                               const std::int8_t* weights, std::int32_t oy, std::int32_t ox, std::int32_t oc,
                               std::int32_t firstChannel, std::int32_t endChannel) {
  std::int32_t sum = 0;
  for (std::int32_t ky = 0; ky < p.kernelH; ++ky) {
    const std::int32_t iy = oy * p.strideH - p.padTop + ky;
    if (iy < 0 || iy >= in.h) continue;
    for (std::int32_t kx = 0; kx < p.kernelW; ++kx) {
      const std::int32_t ix = ox * p.strideW - p.padLeft + kx;
      if (ix < 0 || ix >= in.w) continue;
      const std::int8_t* x = input + (iy * in.w + ix) * in.c;
      const std::int8_t* w = weights + ((oc * p.kernelH + ky) * p.kernelW + kx) * in.c;
      for (std::int32_t ic = firstChannel; ic < endChannel; ++ic) sum += (x[ic] + p.inputOffset) * w[ic];
    }
  }
  return sum;
}

}  // namespace aidi::fw::ref
