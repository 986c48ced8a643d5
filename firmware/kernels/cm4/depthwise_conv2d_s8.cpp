#include <algorithm>
#include <cstddef>
#include <cstring>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "output_stage.hpp"
#include "scratch.hpp"

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

// Any kernel size and output stage, from channel group `firstGroup` on (the
// 3x3 fast path leaves it only the channels past its last whole group).
template <class Stage>
void depthwiseGeneric(const Stage& stage, const ConvParams& p, const PerChannelQuant& q, const Shape& in,
                      const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
                      const Shape& out, std::int8_t* output, std::int32_t firstGroup = 0) {
  // Everything the loops read, in locals (see output_stage.hpp).
  const std::int32_t channels = in.c, inH = in.h, inW = in.w, outH = out.h, outW = out.w;
  const std::int32_t kernelH = p.kernelH, kernelW = p.kernelW, strideH = p.strideH, strideW = p.strideW;
  const std::int32_t padTop = p.padTop, padLeft = p.padLeft, inputOffset = p.inputOffset;
  const std::uint32_t offset2 = pack16(inputOffset, inputOffset);
  const std::int32_t* const multiplier = q.multiplier;
  const std::int32_t* const shift = q.shift;
  const std::int32_t taps = kernelH * kernelW, groups = channels / 4;
  // Channel groups whose widened weights fit the scratch, a chunk at a time.
  const std::int32_t chunkGroups = kWeightScratchWords / (2 * taps);
  std::int32_t g0 = firstGroup;
  do {
    const std::int32_t g1 = groups - g0 < chunkGroups ? groups : g0 + chunkGroups;
    if (g1 > g0) {
      forgetTable();
      widenWeights(weights, taps, channels, g0, g1, g_weightScratch);
    }
    const bool lastChunk = g1 == groups;
    for (std::int32_t oy = 0; oy < outH; ++oy) {
      const std::int32_t y0 = oy * strideH - padTop;
      const std::int32_t kyBegin = y0 < 0 ? -y0 : 0;
      const std::int32_t kyEnd = (inH - y0) < kernelH ? (inH - y0) : kernelH;
      for (std::int32_t ox = 0; ox < outW; ++ox) {
        const std::int32_t x0 = ox * strideW - padLeft;
        const std::int32_t kxBegin = x0 < 0 ? -x0 : 0;
        const std::int32_t kxEnd = (inW - x0) < kernelW ? (inW - x0) : kernelW;
        const std::int8_t* const window = input + (y0 * inW + x0) * channels;
        std::int8_t* const y = output + (oy * outW + ox) * channels;
        const std::uint32_t* w = g_weightScratch;
        for (std::int32_t c = 4 * g0; c < 4 * g1; c += 4, w += 2 * taps) {
          std::int32_t acc[4];
          for (int i = 0; i < 4; ++i) acc[i] = bias ? bias[c + i] : 0;
          for (std::int32_t ky = kyBegin; ky < kyEnd; ++ky)
            for (std::int32_t kx = kxBegin; kx < kxEnd; ++kx)
              tap4(window + (ky * inW + kx) * channels + c, w + 2 * (ky * kernelW + kx), offset2, acc);
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


// The 3x3 fast path: one assembly loop per output pixel runs through the
// channel groups, reading per group a table built once per call:
//   [bias' x4] [9 taps x (w02, w13)] [multiplier x4] [~shift x4]   (30 words)
// or, where some channel shifts left (ShiftOutputStage<_, true>),
//   [bias' x4] [9 taps x (w02, w13)] [left x4] [multiplier x4] [doubling x4] [right x4]   (38 words)
// bias' = bias + input offset x (sum of the channel's 9 weights), so inputs
// are widened by a plain SXTB16 (no offset). That is exact for border pixels
// too, whose missing taps are filled with the input zero point (x + offset = 0)
// in a window copy.
template <bool kLeftShifts>
constexpr std::int32_t kTableWords = kLeftShifts ? 38 : 30;
constexpr std::int32_t kTapsWords = 4 + 18;  // bias' and taps, before the output stage's words

template <bool kLeftShifts>
void buildTable3x3(const std::int8_t* weights, const std::int32_t* bias, const PerChannelQuant& q,
                   std::int32_t inputOffset, std::int32_t channels, std::int32_t g0, std::int32_t g1,
                   std::uint32_t* dst) {
  for (std::int32_t g = g0; g < g1; ++g, dst += kTableWords<kLeftShifts>) {
    const std::int32_t c = 4 * g;
    std::uint32_t* const stage = dst + kTapsWords;
    for (int i = 0; i < 4; ++i) {
      std::int32_t sum = 0;
      for (int t = 0; t < 9; ++t) sum += weights[t * channels + c + i];
      dst[i] = static_cast<std::uint32_t>((bias ? bias[c + i] : 0) + inputOffset * sum);
      if constexpr (kLeftShifts) {
        const ShiftParts parts = shiftParts(q.shift[c + i]);
        stage[i] = static_cast<std::uint32_t>(parts.left);
        stage[4 + i] = static_cast<std::uint32_t>(q.multiplier[c + i]);
        stage[8 + i] = static_cast<std::uint32_t>(parts.doubling);
        stage[12 + i] = static_cast<std::uint32_t>(parts.right);
      } else {
        stage[i] = static_cast<std::uint32_t>(q.multiplier[c + i]);
        stage[4 + i] = static_cast<std::uint32_t>(~q.shift[c + i]);
      }
    }
    for (int t = 0; t < 9; ++t) {
      const std::uint32_t u = load4(weights + t * channels + c);
      dst[4 + 2 * t] = sxtb16(u);
      dst[5 + 2 * t] = sxtb16Ror8(u);
    }
  }
}

// One output pixel, channel groups from `x` (top-left tap of the first group)
// to `xEnd`; output word at x + toOutput.
struct Pixel3x3 {
  const std::int8_t* x;
  const std::int8_t* xEnd;
  std::int32_t channelStride, rowStride;  // between taps and between window rows
  std::ptrdiff_t toOutput;
  std::uint32_t lo4, hi4;  // the activation range, in four bytes (for SSUB8 + SEL)
};

template <bool kNarrow, bool kLeftShifts>
void pixel3x3(const ShiftOutputStage<kNarrow, kLeftShifts>& stage, const Pixel3x3& px, const std::uint32_t* table) {
#if defined(__ARM_FEATURE_DSP)
  register const std::uint32_t* rTable asm("r4") = table;
  register const std::int8_t* rX asm("r5") = px.x;
  register std::int32_t rC asm("r6") = px.channelStride;
  register std::int32_t rC2 asm("r8") = 2 * px.channelStride;
  register std::int32_t rRow asm("r9") = px.rowStride;
  const std::int8_t* const xEnd = px.xEnd;
  const std::ptrdiff_t toOutput = px.toOutput;
  const std::int32_t offsetTerm = stage.offsetTerm;
  const std::uint32_t lo4 = px.lo4, hi4 = px.hi4;
#define AIDI_DW_TAP(address)             \
  "ldr r11, " address "\n\t"             \
  "ldrd r7, lr, [r4], #8\n\t"            \
  "sxtb16 r12, r11\n\t"                  \
  "sxtb16 r11, r11, ror #8\n\t"          \
  "smlabb r0, r12, r7, r0\n\t"           \
  "smlatt r2, r12, r7, r2\n\t"           \
  "smlabb r1, r11, lr, r1\n\t"           \
  "smlatt r3, r11, lr, r3\n\t"
#define AIDI_DW_ROW(base) AIDI_DW_TAP("[" base "]") AIDI_DW_TAP("[" base ", r6]") AIDI_DW_TAP("[" base ", r8]")
#define AIDI_DW_REQUANT(acc, reg) "add " acc ", " acc ", r10\n\t" "ssat " acc ", #8, " acc ", asr #1\n\t"
  __asm volatile(
      "1:\n\t"
      "ldmia r4!, {r0, r1, r2, r3}\n\t"  // bias'
      AIDI_DW_ROW("r5") "add r10, r5, r9\n\t" AIDI_DW_ROW("r10") "add r10, r10, r9\n\t" AIDI_DW_ROW("r10")
      ".if %c[left]\n\t"
      "ldmia r4!, {r7, r11, r12, lr}\n\t"  // left shifts, multipliers, doublings: x = smmulr(acc << l, m) << d
      "lsl r0, r0, r7\n\t"
      "lsl r1, r1, r11\n\t"
      "lsl r2, r2, r12\n\t"
      "lsl r3, r3, lr\n\t"
      "ldmia r4!, {r7, r11, r12, lr}\n\t"
      "smmulr r0, r0, r7\n\t"
      "smmulr r1, r1, r11\n\t"
      "smmulr r2, r2, r12\n\t"
      "smmulr r3, r3, lr\n\t"
      "ldmia r4!, {r7, r11, r12, lr}\n\t"
      "lsl r0, r0, r7\n\t"
      "lsl r1, r1, r11\n\t"
      "lsl r2, r2, r12\n\t"
      "lsl r3, r3, lr\n\t"
      ".else\n\t"
      "ldmia r4!, {r7, r11, r12, lr}\n\t"  // multipliers: x = smmulr(2 acc, m)
      "lsls r0, r0, #1\n\t"
      "smmulr r0, r0, r7\n\t"
      "lsls r1, r1, #1\n\t"
      "smmulr r1, r1, r11\n\t"
      "lsls r2, r2, #1\n\t"
      "smmulr r2, r2, r12\n\t"
      "lsls r3, r3, #1\n\t"
      "smmulr r3, r3, lr\n\t"
      ".endif\n\t"
      "ldmia r4!, {r7, r11, r12, lr}\n\t"  // right shifts: (x + (x >> 31)) >> r
      "add r0, r0, r0, asr #31\n\t"
      "asr r0, r0, r7\n\t"
      "add r1, r1, r1, asr #31\n\t"
      "asr r1, r1, r11\n\t"
      "add r2, r2, r2, asr #31\n\t"
      "asr r2, r2, r12\n\t"
      "add r3, r3, r3, asr #31\n\t"
      "asr r3, r3, lr\n\t"
      "ldr r10, %[offsetTerm]\n\t"
      AIDI_DW_REQUANT("r0", "r10") AIDI_DW_REQUANT("r1", "r10") AIDI_DW_REQUANT("r2", "r10")
      AIDI_DW_REQUANT("r3", "r10")
      "bfi r0, r1, #8, #8\n\t"
      "bfi r0, r2, #16, #8\n\t"
      "bfi r0, r3, #24, #8\n\t"
      ".if %c[narrow]\n\t"  // byte-wise max(lo), min(hi)
      "ldr r11, %[lo4]\n\t"
      "ssub8 r12, r0, r11\n\t"
      "sel r0, r0, r11\n\t"
      "ldr r11, %[hi4]\n\t"
      "ssub8 r12, r11, r0\n\t"
      "sel r0, r0, r11\n\t"
      ".endif\n\t"
      "ldr r10, %[toOutput]\n\t"
      "str r0, [r5, r10]\n\t"
      "adds r5, r5, #4\n\t"
      "ldr r10, %[xEnd]\n\t"
      "cmp r5, r10\n\t"
      "bne 1b\n\t"
      : [table] "+r"(rTable), [x] "+r"(rX)
      : "r"(rC), "r"(rC2), "r"(rRow), [offsetTerm] "m"(offsetTerm), [lo4] "m"(lo4), [hi4] "m"(hi4),
        [toOutput] "m"(toOutput), [xEnd] "m"(xEnd), [narrow] "i"(kNarrow ? 1 : 0), [left] "i"(kLeftShifts ? 1 : 0)
      : "r0", "r1", "r2", "r3", "r7", "r10", "r11", "r12", "lr", "cc", "memory");
#undef AIDI_DW_REQUANT
#undef AIDI_DW_ROW
#undef AIDI_DW_TAP
#else
  for (const std::int8_t* x = px.x; x != px.xEnd; x += 4, table += kTableWords<kLeftShifts>) {
    std::int32_t acc[4] = {static_cast<std::int32_t>(table[0]), static_cast<std::int32_t>(table[1]),
                           static_cast<std::int32_t>(table[2]), static_cast<std::int32_t>(table[3])};
    for (int ky = 0; ky < 3; ++ky)
      for (int kx = 0; kx < 3; ++kx)
        tap4(x + ky * px.rowStride + kx * px.channelStride, table + 4 + 2 * (3 * ky + kx), 0, acc);
    std::uint32_t word = 0;
    const std::uint32_t* const words = table + kTapsWords;
    for (int i = 0; i < 4; ++i) {
      // The channel's multiplier and shift, back from the table's form.
      std::int32_t multiplier, shift;
      if constexpr (kLeftShifts) {
        multiplier = static_cast<std::int32_t>(words[4 + i]);
        shift = words[8 + i] ? static_cast<std::int32_t>(words[i]) - 1 : ~static_cast<std::int32_t>(words[12 + i]);
      } else {
        multiplier = static_cast<std::int32_t>(words[i]);
        shift = ~static_cast<std::int32_t>(words[4 + i]);
      }
      const std::int8_t v = stage(acc[i], multiplier, shift);
      word |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(v)) << (8 * i);
    }
    std::memcpy(const_cast<std::int8_t*>(x) + px.toOutput, &word, 4);
  }
#endif
}

template <bool kNarrow, bool kLeftShifts>
void depthwise3x3(const ShiftOutputStage<kNarrow, kLeftShifts>& stage, const ConvParams& p, const PerChannelQuant& q,
                  const Shape& in, const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
                  const Shape& out, std::int8_t* output) {
  const std::int32_t channels = in.c, inH = in.h, inW = in.w, outH = out.h, outW = out.w;
  const std::int32_t strideH = p.strideH, strideW = p.strideW, padTop = p.padTop, padLeft = p.padLeft;
  const std::int32_t inputOffset = p.inputOffset, groups = channels / 4;
  const std::uint32_t zeroPoint4 = replicate4(-inputOffset);
  // Border windows are copied with their missing taps as the zero point;
  // the copy (in g_inputScratch) holds 9 taps of a chunk's channels.
  constexpr std::int32_t chunkGroups = std::min(kWeightScratchWords / kTableWords<kLeftShifts>, kMaxPairK / 9);
  auto* const windowCopy = reinterpret_cast<std::int8_t*>(g_inputScratch);
  Pixel3x3 px{};
  px.lo4 = replicate4(stage.lo);
  px.hi4 = replicate4(stage.hi);
  for (std::int32_t g0 = 0; g0 < groups; g0 += chunkGroups) {
    const std::int32_t g1 = groups - g0 < chunkGroups ? groups : g0 + chunkGroups;
    const std::int32_t c0 = 4 * g0, chunkChannels = 4 * (g1 - g0);
    if (!tableIsBuilt({weights, bias, q.multiplier, q.shift, 9, channels, c0, inputOffset}))
      buildTable3x3<kLeftShifts>(weights, bias, q, inputOffset, channels, g0, g1, g_weightScratch);
    for (std::int32_t oy = 0; oy < outH; ++oy) {
      const std::int32_t y0 = oy * strideH - padTop;
      for (std::int32_t ox = 0; ox < outW; ++ox) {
        const std::int32_t x0 = ox * strideW - padLeft;
        std::int8_t* const y = output + (oy * outW + ox) * channels + c0;
        if (y0 >= 0 && x0 >= 0 && y0 + 3 <= inH && x0 + 3 <= inW) {
          px.x = input + (y0 * inW + x0) * channels + c0;
          px.channelStride = channels;
          px.rowStride = inW * channels;
        } else {
          for (std::int32_t t = 0; t < 9; ++t) {
            const std::int32_t iy = y0 + t / 3, ix = x0 + t % 3;
            std::int8_t* dst = windowCopy + t * chunkChannels;
            if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) {
              for (std::int32_t c = 0; c < chunkChannels; c += 4) std::memcpy(dst + c, &zeroPoint4, 4);
            } else {
              std::memcpy(dst, input + (iy * inW + ix) * channels + c0, static_cast<std::size_t>(chunkChannels));
            }
          }
          px.x = windowCopy;
          px.channelStride = chunkChannels;
          px.rowStride = 3 * chunkChannels;
        }
        px.xEnd = px.x + chunkChannels;
        px.toOutput = y - px.x;
        pixel3x3(stage, px, g_weightScratch);
      }
    }
  }
  if (channels % 4 != 0) depthwiseGeneric(stage, p, q, in, input, weights, bias, out, output, groups);
}

// The 3x3 fast path, or the generic one for other kernel sizes.
template <bool kNarrow, bool kLeftShifts>
void depthwise(const ShiftOutputStage<kNarrow, kLeftShifts>& stage, const ConvParams& p, const PerChannelQuant& q,
               const Shape& in, const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
               const Shape& out, std::int8_t* output) {
  if (p.kernelH == 3 && p.kernelW == 3)
    depthwise3x3(stage, p, q, in, input, weights, bias, out, output);
  else
    depthwiseGeneric(stage, p, q, in, input, weights, bias, out, output);
}

}  // namespace

void depthwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output) {
  AIDI_KERNEL_ASSERT(depthwiseCallValid(p, q, in, input, weights, out, output));
  if (2 * p.kernelH * p.kernelW > kWeightScratchWords) {  // one group's widened taps must fit
    ref::depthwise_conv2d_s8(p, q, in, input, weights, bias, out, output);
    return;
  }
  withOutputStage(p, q, in.c, [&](const auto& stage) { depthwise(stage, p, q, in, input, weights, bias, out, output); });
}

}  // namespace aidi::fw::cm4
