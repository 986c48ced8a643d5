#include <cstdint>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "output_stage.hpp"
#include "scratch.hpp"

namespace aidi::fw::cm4 {
namespace {

// Every weight is used once, so weights are widened in the loop (two SXTB16
// per word) and only the input, used by every row, is widened beforehand:
// per 4 inputs, [x0 x2] [x1 x3] with the offset added.
void widenInput(const std::int8_t* x, std::int32_t k, std::int32_t offset, std::uint32_t* dst) {
  const std::uint32_t offset2 = pack16(offset, offset);
  std::int32_t i = 0;
  for (; i + 4 <= k; i += 4, dst += 2) {
    const std::uint32_t v = load4(x + i);
    dst[0] = sxtab16(offset2, v);
    dst[1] = sxtab16Ror8(offset2, v);
  }
  if (i < k) {
    const std::uint32_t v = load4Partial(x + i, k - i);
    dst[0] = sxtab16(offset2, v);
    dst[1] = sxtab16Ror8(offset2, v);
  }
}

// (acc0, acc1) += (row 0 . x, row 1 . x) over `blocks` blocks of 8 values:
// per block one LDM of the widened input, one LDRD per row (rows 4-aligned),
// two SXTB16 and two SMLAD per weight word: 20 instructions per 16 MACs
// (the loop unrolled twice).
void dot2Rows8(const std::uint32_t* x, const std::int8_t* w0, const std::int8_t* w1, std::int32_t blocks,
               std::int32_t& acc0, std::int32_t& acc1) {
#if defined(__ARM_FEATURE_DSP)
  register std::int32_t a0 asm("r0") = acc0;
  register std::int32_t a1 asm("r1") = acc1;
  register const std::uint32_t* rx asm("r2") = x;
  register const std::int8_t* r0 asm("r3") = w0;
  register const std::int8_t* r1 asm("r8") = w1;
  register std::int32_t n asm("r12") = blocks;
#define AIDI_FC_ROW(acc, row)                          \
  "ldrd r9, r10, [" row "], #8\n\t"                    \
  "sxtb16 r11, r9\n\t"                                 \
  "smlad " acc ", r4, r11, " acc "\n\t"                \
  "sxtb16 r9, r9, ror #8\n\t"                          \
  "smlad " acc ", r5, r9, " acc "\n\t"                 \
  "sxtb16 r11, r10\n\t"                                \
  "smlad " acc ", r6, r11, " acc "\n\t"                \
  "sxtb16 r10, r10, ror #8\n\t"                        \
  "smlad " acc ", r7, r10, " acc "\n\t"
#define AIDI_FC_BLOCK "ldmia r2!, {r4, r5, r6, r7}\n\t" AIDI_FC_ROW("r0", "r3") AIDI_FC_ROW("r1", "r8")
  // An odd block first (LSRS leaves Z for after it: neither loads, SXTB16 nor
  // SMLAD touch it), then two blocks per iteration.
  __asm volatile("lsrs r12, r12, #1\n\t"
                 "bcc 2f\n\t" AIDI_FC_BLOCK
                 "beq 3f\n"
                 "2:\n\t" AIDI_FC_BLOCK AIDI_FC_BLOCK
                 "subs r12, r12, #1\n\t"
                 "bne 2b\n"
                 "3:\n"
                 : "+r"(a0), "+r"(a1), "+r"(rx), "+r"(r0), "+r"(r1), "+r"(n)
                 :
                 : "r4", "r5", "r6", "r7", "r9", "r10", "r11", "cc", "memory");
#undef AIDI_FC_BLOCK
#undef AIDI_FC_ROW
  acc0 = a0;
  acc1 = a1;
#else
  for (std::int32_t i = 0; i < 4 * blocks; i += 2) {
    const std::uint32_t u0 = load4(w0 + 2 * i), u1 = load4(w1 + 2 * i);
    acc0 = smlad(x[i + 1], sxtb16Ror8(u0), smlad(x[i], sxtb16(u0), acc0));
    acc1 = smlad(x[i + 1], sxtb16Ror8(u1), smlad(x[i], sxtb16(u1), acc1));
  }
#endif
}

// One row; k need not be a multiple of 4 (the padding weights are zero).
std::int32_t dotRow(const std::uint32_t* x, const std::int8_t* w, std::int32_t k, std::int32_t acc) {
  std::int32_t i = 0;
  for (; i + 4 <= k; i += 4, x += 2) {
    const std::uint32_t u = load4(w + i);
    acc = smlad(x[1], sxtb16Ror8(u), smlad(x[0], sxtb16(u), acc));
  }
  if (i < k) {
    const std::uint32_t u = load4Partial(w + i, k - i);
    acc = smlad(x[1], sxtb16Ror8(u), smlad(x[0], sxtb16(u), acc));
  }
  return acc;
}

template <class Stage>
void fullyConnected(const Stage& stage, const PerChannelQuant& q, std::int32_t k, const std::int8_t* weights,
                    const std::int32_t* bias, std::int32_t outFeatures, std::int8_t* output) {
  const std::int32_t* const multiplier = q.multiplier;
  const std::int32_t* const shift = q.shift;
  const std::int32_t blocks = k / 8, rest = k - 8 * blocks;
  // Rows two at a time where LDRD can read them (word-aligned), else one at a time.
  const bool aligned = ((reinterpret_cast<std::uintptr_t>(weights) | static_cast<std::uintptr_t>(k)) & 3) == 0;
  std::int32_t o = 0;
  for (; aligned && blocks > 0 && o + 2 <= outFeatures; o += 2) {
    const std::int8_t* w = weights + o * k;
    std::int32_t a0 = bias ? bias[o] : 0, a1 = bias ? bias[o + 1] : 0;
    dot2Rows8(g_inputScratch, w, w + k, blocks, a0, a1);
    if (rest > 0) {
      a0 = dotRow(g_inputScratch + 4 * blocks, w + 8 * blocks, rest, a0);
      a1 = dotRow(g_inputScratch + 4 * blocks, w + k + 8 * blocks, rest, a1);
    }
    const std::int8_t y0 = stage(a0, multiplier[o], shift[o]);
    output[o + 1] = stage(a1, multiplier[o + 1], shift[o + 1]);
    output[o] = y0;
  }
  for (; o < outFeatures; ++o)
    output[o] = stage(dotRow(g_inputScratch, weights + o * k, k, bias ? bias[o] : 0), multiplier[o], shift[o]);
}

}  // namespace

void fully_connected_s8(const ConvParams& p, const PerChannelQuant& q, std::int32_t inFeatures,
                        const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
                        std::int32_t outFeatures, std::int8_t* output) {
  AIDI_KERNEL_ASSERT(fullyConnectedCallValid(q, inFeatures, input, weights, outFeatures, output));
  if (inFeatures > 2 * kMaxPairK) {
    ref::fully_connected_s8(p, q, inFeatures, input, weights, bias, outFeatures, output);
    return;
  }
  widenInput(input, inFeatures, p.inputOffset, g_inputScratch);
  withOutputStage(p, q, outFeatures, [&](const auto& stage) {
    fullyConnected(stage, q, inFeatures, weights, bias, outFeatures, output);
  });
}

}  // namespace aidi::fw::cm4
