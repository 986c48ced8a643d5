#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "output_stage.hpp"
#include "pair_matmul.hpp"

namespace aidi::fw::cm4 {
namespace {

// Four channels at a time (NHWC keeps them adjacent): one load brings a tap's
// four inputs, SXTAB16 widens them with the offset into [c0 c2] [c1 c3], and
// SMLABB/SMLATT accumulate each channel's lane against weights widened once
// per call into the same lanes: per channel group, per tap, 2 words.

// Widens the weights of channel groups [g0, g1) (whole groups of 4).
void widenWeights(const std::int8_t* weights, std::int32_t taps, std::int32_t channels, std::int32_t g0,
                  std::int32_t g1, std::uint32_t* dst) {
  for (std::int32_t g = g0; g < g1; ++g)
    for (std::int32_t t = 0; t < taps; ++t, dst += 2) {
      const std::uint32_t u = load4(weights + t * channels + 4 * g);
      dst[0] = sxtb16(u);
      dst[1] = sxtb16Ror8(u);
    }
}

inline void tap4(const std::int8_t* x, const std::uint32_t* w, std::uint32_t offset2, std::int32_t acc[4]) {
  const std::uint32_t v = load4(x);
  const std::uint32_t x02 = sxtab16(offset2, v), x13 = sxtab16Ror8(offset2, v);
  acc[0] = smlabb(x02, w[0], acc[0]);
  acc[2] = smlatt(x02, w[0], acc[2]);
  acc[1] = smlabb(x13, w[1], acc[1]);
  acc[3] = smlatt(x13, w[1], acc[3]);
}

// The nine taps of a 3x3 window wholly inside the image: x is the top-left
// tap, `channels` the distance between taps, `row` between window rows.
inline void window3x3(const std::int8_t* x, std::int32_t channels, std::int32_t row, const std::uint32_t* w,
                      std::uint32_t offset2, std::int32_t acc[4]) {
#if defined(__ARM_FEATURE_DSP)
  register std::int32_t a0 asm("r0") = acc[0];
  register std::int32_t a1 asm("r1") = acc[1];
  register std::int32_t a2 asm("r2") = acc[2];
  register std::int32_t a3 asm("r3") = acc[3];
  register const std::int8_t* rx asm("r4") = x;
  register std::int32_t c1 asm("r5") = channels;
  register std::int32_t c2 asm("r6") = 2 * channels;
  register std::int32_t rRow asm("r8") = row;
  register const std::uint32_t* rw asm("r9") = w;
  register std::uint32_t off asm("r10") = offset2;
  register std::uint32_t v asm("r11"), x02 asm("r12"), w02 asm("r7");
#define AIDI_DW_TAP(address)                 \
  "ldr r11, " address "\n\t"                 \
  "ldrd r7, lr, [%[w]], #8\n\t"              \
  "sxtab16 r12, %[off], r11\n\t"             \
  "sxtab16 r11, %[off], r11, ror #8\n\t"     \
  "smlabb %[a0], r12, r7, %[a0]\n\t"         \
  "smlatt %[a2], r12, r7, %[a2]\n\t"         \
  "smlabb %[a1], r11, lr, %[a1]\n\t"         \
  "smlatt %[a3], r11, lr, %[a3]\n\t"
#define AIDI_DW_ROW AIDI_DW_TAP("[%[x]]") AIDI_DW_TAP("[%[x], %[c1]]") AIDI_DW_TAP("[%[x], %[c2]]")
  __asm volatile(AIDI_DW_ROW "add %[x], %[x], %[row]\n\t" AIDI_DW_ROW "add %[x], %[x], %[row]\n\t" AIDI_DW_ROW
                 : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(rx), [w] "+r"(rw),
                   "=&r"(v), "=&r"(x02), "=&r"(w02)
                 : [c1] "r"(c1), [c2] "r"(c2), [row] "r"(rRow), [off] "r"(off)
                 : "memory", "lr");
#undef AIDI_DW_ROW
#undef AIDI_DW_TAP
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
#else
  for (int ky = 0; ky < 3; ++ky, x += row)
    for (int kx = 0; kx < 3; ++kx, w += 2) tap4(x + kx * channels, w, offset2, acc);
#endif
}

template <class Stage>
void depthwise(const Stage& stage, const ConvParams& p, const PerChannelQuant& q, const Shape& in,
               const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
               std::int8_t* output) {
  // Everything the loops read, in locals (see OutputStage).
  const std::int32_t channels = in.c, inH = in.h, inW = in.w, outH = out.h, outW = out.w;
  const std::int32_t kernelH = p.kernelH, kernelW = p.kernelW, strideH = p.strideH, strideW = p.strideW;
  const std::int32_t padTop = p.padTop, padLeft = p.padLeft, inputOffset = p.inputOffset;
  const std::uint32_t offset2 = pack16(inputOffset, inputOffset);
  const std::int32_t* const multiplier = q.multiplier;
  const std::int32_t* const shift = q.shift;
  const std::int32_t taps = kernelH * kernelW, groups = channels / 4, row = inW * channels;
  const bool is3x3 = kernelH == 3 && kernelW == 3;
  // Channel groups whose widened weights fit the scratch, a chunk at a time.
  const std::int32_t chunkGroups = kWeightScratchWords / (2 * taps);
  std::int32_t g0 = 0;
  do {
    const std::int32_t g1 = groups - g0 < chunkGroups ? groups : g0 + chunkGroups;
    widenWeights(weights, taps, channels, g0, g1, g_weightScratch);
    const bool lastChunk = g1 == groups;
    for (std::int32_t oy = 0; oy < outH; ++oy) {
      const std::int32_t y0 = oy * strideH - padTop;
      const std::int32_t kyBegin = y0 < 0 ? -y0 : 0;
      const std::int32_t kyEnd = (inH - y0) < kernelH ? (inH - y0) : kernelH;
      for (std::int32_t ox = 0; ox < outW; ++ox) {
        const std::int32_t x0 = ox * strideW - padLeft;
        const std::int32_t kxBegin = x0 < 0 ? -x0 : 0;
        const std::int32_t kxEnd = (inW - x0) < kernelW ? (inW - x0) : kernelW;
        const bool interior3x3 = is3x3 && kyBegin == 0 && kxBegin == 0 && kyEnd == 3 && kxEnd == 3;
        const std::int8_t* const window = input + (y0 * inW + x0) * channels;
        std::int8_t* const y = output + (oy * outW + ox) * channels;
        const std::uint32_t* w = g_weightScratch;
        for (std::int32_t c = 4 * g0; c < 4 * g1; c += 4, w += 2 * taps) {
          std::int32_t acc[4];
          for (int i = 0; i < 4; ++i) acc[i] = bias ? bias[c + i] : 0;
          if (interior3x3) {
            window3x3(window + c, channels, row, w, offset2, acc);
          } else {
            for (std::int32_t ky = kyBegin; ky < kyEnd; ++ky)
              for (std::int32_t kx = kxBegin; kx < kxEnd; ++kx)
                tap4(window + (ky * inW + kx) * channels + c, w + 2 * (ky * kernelW + kx), offset2, acc);
          }
          const std::int8_t v0 = stage(acc[0], multiplier[c], shift[c]);
          const std::int8_t v1 = stage(acc[1], multiplier[c + 1], shift[c + 1]);
          const std::int8_t v2 = stage(acc[2], multiplier[c + 2], shift[c + 2]);
          const std::int8_t v3 = stage(acc[3], multiplier[c + 3], shift[c + 3]);
          y[c] = v0;
          y[c + 1] = v1;
          y[c + 2] = v2;
          y[c + 3] = v3;
        }
        // Channels past the last whole group, one at a time, once.
        for (std::int32_t c = 4 * groups; lastChunk && c < channels; ++c) {
          std::int32_t acc = bias ? bias[c] : 0;
          for (std::int32_t ky = kyBegin; ky < kyEnd; ++ky)
            for (std::int32_t kx = kxBegin; kx < kxEnd; ++kx)
              acc += (window[(ky * inW + kx) * channels + c] + inputOffset) * weights[(ky * kernelW + kx) * channels + c];
          y[c] = stage(acc, multiplier[c], shift[c]);
        }
      }
    }
    g0 = g1;
  } while (g0 < groups);
}

}  // namespace

void depthwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output) {
  if (2 * p.kernelH * p.kernelW > kWeightScratchWords) {  // one group's widened taps must fit
    ref::depthwise_conv2d_s8(p, q, in, input, weights, bias, out, output);
    return;
  }
  withOutputStage(p, q, in.c, [&](const auto& stage) { depthwise(stage, p, q, in, input, weights, bias, out, output); });
}

}  // namespace aidi::fw::cm4
