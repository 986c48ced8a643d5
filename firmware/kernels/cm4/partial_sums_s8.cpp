#include <cstdint>

#include "aidi/kernels/cm4.hpp"
#include "simd.hpp"

namespace aidi::fw::cm4 {

namespace {

// Widens `n` input values (+ offset) into int16 pairs in SXTB16 order:
// per group of four, [x0, x2] then [x1, x3]; a tail of fewer than four is
// zero above (its weights are too, so it adds nothing).
std::int32_t widenInputs(const std::int8_t* x, std::int32_t n, std::uint32_t offset2, std::uint32_t* out) {
  std::int32_t words = 0;
  for (std::int32_t i = 0; i < n; i += 4) {
    const std::uint32_t v = n - i >= 4 ? load4(x + i) : load4Partial(x + i, n - i);
    // Padding bytes carry 0 + offset; the weights beside them are 0.
    out[words++] = sxtab16(offset2, v);
    out[words++] = sxtab16Ror8(offset2, v);
  }
  return words;
}

// The sum of the widened inputs times `n` weights.
std::int32_t dotWidened(const std::uint32_t* xw, const std::int8_t* w, std::int32_t n) {
  std::int32_t sum = 0;
  std::int32_t i = 0;
  for (; i + 4 <= n; i += 4, xw += 2) {
    const std::uint32_t v = load4(w + i);
    sum = smlad(xw[0], sxtb16(v), sum);
    sum = smlad(xw[1], sxtb16Ror8(v), sum);
  }
  if (i < n) {
    const std::uint32_t v = load4Partial(w + i, n - i);
    sum = smlad(xw[0], sxtb16(v), sum);
    sum = smlad(xw[1], sxtb16Ror8(v), sum);
  }
  return sum;
}

}  // namespace

// For each output pixel and each tap of its window: the tap's input channels
// [first, end) widened once, then a dot product of SMLADs per output channel.
// Bit-exact with ref::conv2d_accumulate_s32 (int32 sums are exact).
void conv2d_accumulate_s32(const ConvParams& p, const Shape& in, const std::int8_t* input, const std::int8_t* weights,
                           const Shape& out, std::int32_t firstChannel, std::int32_t endChannel, std::int32_t* acc) {
  constexpr std::int32_t kChunk = 32;  // channels widened at a time (64 bytes of stack)
  std::uint32_t widened[kChunk / 2];
  const std::uint32_t offset2 = pack16(p.inputOffset, p.inputOffset);
  const std::int32_t tapStride = in.c;
  for (std::int32_t oy = 0; oy < out.h; ++oy) {
    for (std::int32_t ox = 0; ox < out.w; ++ox) {
      std::int32_t* sums = acc + (oy * out.w + ox) * out.c;
      for (std::int32_t ky = 0; ky < p.kernelH; ++ky) {
        const std::int32_t iy = oy * p.strideH - p.padTop + ky;
        if (iy < 0 || iy >= in.h) continue;
        for (std::int32_t kx = 0; kx < p.kernelW; ++kx) {
          const std::int32_t ix = ox * p.strideW - p.padLeft + kx;
          if (ix < 0 || ix >= in.w) continue;
          const std::int8_t* x = input + (iy * in.w + ix) * in.c;
          const std::int32_t tap = ky * p.kernelW + kx;
          for (std::int32_t c0 = firstChannel; c0 < endChannel; c0 += kChunk) {
            const std::int32_t n = endChannel - c0 < kChunk ? endChannel - c0 : kChunk;
            (void)widenInputs(x + c0, n, offset2, widened);
            const std::int8_t* w = weights + tap * tapStride + c0;
            const std::int32_t ocStride = p.kernelH * p.kernelW * tapStride;
            for (std::int32_t oc = 0; oc < out.c; ++oc, w += ocStride) sums[oc] += dotWidened(widened, w, n);
          }
        }
      }
    }
  }
}

}  // namespace aidi::fw::cm4
