#include "aidi/kernels/cm4.hpp"
#include "simd.hpp"

namespace aidi::fw::cm4 {
namespace {

// One tap of four channels: one load of inputs, one of weights. The
// compiler barrier keeps GCC from hoisting the loads of all nine unrolled
// taps to the top, which spills them and the accumulators to the stack.
inline void tap4(const std::int8_t* x, const std::int8_t* w, std::uint32_t offset2, std::int32_t& a0,
                 std::int32_t& a1, std::int32_t& a2, std::int32_t& a3) {
  __asm volatile("" ::: "memory");
  const std::uint32_t v = load4(x), u = load4(w);
  const std::uint32_t x02 = sxtab16(offset2, v), x13 = sxtab16Ror8(offset2, v);
  const std::uint32_t w02 = sxtb16(u), w13 = sxtb16Ror8(u);
  a0 = smlabb(x02, w02, a0);
  a2 = smlatt(x02, w02, a2);
  a1 = smlabb(x13, w13, a1);
  a3 = smlatt(x13, w13, a3);
}

}  // namespace

// Four channels at a time (NHWC keeps them adjacent): one load brings four
// inputs, one four weights; SMLABB/SMLATT accumulate each channel's lane.
// The in-image window is computed once per pixel, so the tap loops carry no
// bounds checks.
void depthwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output) {
  const std::uint32_t offset2 = pack16(p.inputOffset, p.inputOffset);
  const std::int32_t inputOffset = p.inputOffset;
  const OutputStage stage{p.outputOffset, p.actMin, p.actMax};
  // Everything the loops read, in locals: an int8 store may alias any
  // memory, so fields read through the references would be reloaded after
  // every output byte.
  const std::int32_t channels = in.c, inH = in.h, inW = in.w, outH = out.h, outW = out.w;
  const std::int32_t kernelH = p.kernelH, kernelW = p.kernelW, strideH = p.strideH, strideW = p.strideW;
  const std::int32_t padTop = p.padTop, padLeft = p.padLeft;
  const std::int32_t* const multiplier = q.multiplier;
  const std::int32_t* const shift = q.shift;
  for (std::int32_t oy = 0; oy < outH; ++oy) {
    const std::int32_t y0 = oy * strideH - padTop;
    const std::int32_t kyBegin = y0 < 0 ? -y0 : 0;
    const std::int32_t kyEnd = (inH - y0) < kernelH ? (inH - y0) : kernelH;
    for (std::int32_t ox = 0; ox < outW; ++ox) {
      const std::int32_t x0 = ox * strideW - padLeft;
      const std::int32_t kxBegin = x0 < 0 ? -x0 : 0;
      const std::int32_t kxEnd = (inW - x0) < kernelW ? (inW - x0) : kernelW;
      std::int8_t* y = output + (oy * outW + ox) * channels;
      std::int32_t c = 0;
      // A 3x3 window wholly inside the image (most pixels): the nine taps
      // unrolled, their offsets constant, no loop bookkeeping.
      const bool interior3x3 = kernelH == 3 && kernelW == 3 && kyBegin == 0 && kxBegin == 0 && kyEnd == 3 && kxEnd == 3;
      for (; interior3x3 && c + 4 <= channels; c += 4) {
        std::int32_t a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0;
        std::int32_t a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
        const std::int8_t* x = input + (y0 * inW + x0) * channels + c;
        const std::int8_t* w = weights + c;
        const std::int32_t row = inW * channels, wrow = 3 * channels;
        for (int ky = 0; ky < 3; ++ky, x += row, w += wrow) {
          tap4(x, w, offset2, a0, a1, a2, a3);
          tap4(x + channels, w + channels, offset2, a0, a1, a2, a3);
          tap4(x + 2 * channels, w + 2 * channels, offset2, a0, a1, a2, a3);
        }
        y[c] = stage(a0, multiplier[c], shift[c]);
        y[c + 1] = stage(a1, multiplier[c + 1], shift[c + 1]);
        y[c + 2] = stage(a2, multiplier[c + 2], shift[c + 2]);
        y[c + 3] = stage(a3, multiplier[c + 3], shift[c + 3]);
      }
      for (; c + 4 <= channels; c += 4) {
        std::int32_t a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0;
        std::int32_t a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
        for (std::int32_t ky = kyBegin; ky < kyEnd; ++ky) {
          const std::int8_t* xrow = input + ((y0 + ky) * inW + x0) * channels + c;
          const std::int8_t* wrow = weights + ky * kernelW * channels + c;
          for (std::int32_t kx = kxBegin; kx < kxEnd; ++kx)
            tap4(xrow + kx * channels, wrow + kx * channels, offset2, a0, a1, a2, a3);
        }
        const std::int8_t v0 = stage(a0, multiplier[c], shift[c]);
        const std::int8_t v1 = stage(a1, multiplier[c + 1], shift[c + 1]);
        const std::int8_t v2 = stage(a2, multiplier[c + 2], shift[c + 2]);
        const std::int8_t v3 = stage(a3, multiplier[c + 3], shift[c + 3]);
        y[c] = v0;
        y[c + 1] = v1;
        y[c + 2] = v2;
        y[c + 3] = v3;
      }
      for (; c < channels; ++c) {
        std::int32_t acc = bias ? bias[c] : 0;
        for (std::int32_t ky = kyBegin; ky < kyEnd; ++ky)
          for (std::int32_t kx = kxBegin; kx < kxEnd; ++kx)
            acc += (input[((y0 + ky) * inW + x0 + kx) * channels + c] + inputOffset) *
                   weights[(ky * kernelW + kx) * channels + c];
        y[c] = stage(acc, multiplier[c], shift[c]);
      }
    }
  }
}

}  // namespace aidi::fw::cm4
