// The matrix core of pointwise and im2col convolution: 2 output pixels x 2
// output channels per tile, from operands widened once to int16 pairs so the
// inner loop is loads and SMLADs only (13 instructions per 16 MACs on the
// device, 12 when unrolled).
//
// Pair layout, per group of 4 k values, 4 words:
//   pixel pair (A, B):    [A0 A2] [A1 A3] [B0 B2] [B1 B3]   (input offset added)
//   channel pair (P, Q):  [P0 P2] [P1 P3] [Q0 Q2] [Q1 Q3]
// k is padded to a multiple of 4 with zero weights.
#pragma once

#include <cstdint>

#include "aidi/kernels/cm4.hpp"
#include "output_stage.hpp"
#include "scratch.hpp"
#include "simd.hpp"

namespace aidi::fw::cm4 {

inline std::int32_t pairGroups(std::int32_t k) { return (k + 3) / 4; }

// Widens rows a and b (k int8 values each) into pair layout, adding `offset`.
inline void widenPair(const std::int8_t* a, const std::int8_t* b, std::int32_t k, std::int32_t offset,
                      std::uint32_t* dst) {
  const std::uint32_t offset2 = pack16(offset, offset);
  std::int32_t i = 0;
  for (; i + 4 <= k; i += 4, dst += 4) {
    const std::uint32_t va = load4(a + i), vb = load4(b + i);
    dst[0] = sxtab16(offset2, va);
    dst[1] = sxtab16Ror8(offset2, va);
    dst[2] = sxtab16(offset2, vb);
    dst[3] = sxtab16Ror8(offset2, vb);
  }
  if (i < k) {  // the last 1-3 values, zero-padded (a padded input meets a zero weight)
    const std::uint32_t va = load4Partial(a + i, k - i), vb = load4Partial(b + i, k - i);
    dst[0] = sxtab16(offset2, va);
    dst[1] = sxtab16Ror8(offset2, va);
    dst[2] = sxtab16(offset2, vb);
    dst[3] = sxtab16Ror8(offset2, vb);
  }
}

// (aP, aQ, bP, bQ) += (A.P, A.Q, B.P, B.Q) over `groups` groups of 4 k values.
inline void mac2x2(const std::uint32_t* x, const std::uint32_t* w, std::int32_t groups, std::int32_t& aP,
                   std::int32_t& aQ, std::int32_t& bP, std::int32_t& bQ) {
#if defined(__ARM_FEATURE_DSP)
  // Fixed registers: LDM needs its list in ascending order.
  register std::int32_t rAP asm("r0") = aP;
  register std::int32_t rAQ asm("r1") = aQ;
  register std::int32_t rBP asm("r2") = bP;
  register std::int32_t rBQ asm("r3") = bQ;
  register const std::uint32_t* rX asm("r10") = x;
  register const std::uint32_t* rW asm("r11") = w;
  register std::int32_t rN asm("r12") = groups;
  register std::uint32_t a02 asm("r4"), a13 asm("r5"), b02 asm("r6"), b13 asm("r7"), w02 asm("r8"), w13 asm("r9");
#define AIDI_MAC2X2_GROUP                     \
  "ldmia %[x]!, {r4, r5, r6, r7}\n\t"         \
  "ldrd r8, r9, [%[w]], #8\n\t"               \
  "smlad %[aP], r4, r8, %[aP]\n\t"            \
  "smlad %[aP], r5, r9, %[aP]\n\t"            \
  "smlad %[bP], r6, r8, %[bP]\n\t"            \
  "smlad %[bP], r7, r9, %[bP]\n\t"            \
  "ldrd r8, r9, [%[w]], #8\n\t"               \
  "smlad %[aQ], r4, r8, %[aQ]\n\t"            \
  "smlad %[aQ], r5, r9, %[aQ]\n\t"            \
  "smlad %[bQ], r6, r8, %[bQ]\n\t"            \
  "smlad %[bQ], r7, r9, %[bQ]\n\t"
  // An odd group first (LSRS leaves Z for after it: neither loads nor SMLAD
  // touch the flags), then two groups per iteration.
  __asm volatile(
      "lsrs %[n], %[n], #1\n\t"
      "bcc 2f\n\t" AIDI_MAC2X2_GROUP
      "beq 3f\n"
      "2:\n\t" AIDI_MAC2X2_GROUP AIDI_MAC2X2_GROUP
      "subs %[n], %[n], #1\n\t"
      "bne 2b\n"
      "3:\n"
      : [aP] "+r"(rAP), [aQ] "+r"(rAQ), [bP] "+r"(rBP), [bQ] "+r"(rBQ), [x] "+r"(rX), [w] "+r"(rW), [n] "+r"(rN),
        "=&r"(a02), "=&r"(a13), "=&r"(b02), "=&r"(b13), "=&r"(w02), "=&r"(w13)
      :
      : "cc", "memory");
#undef AIDI_MAC2X2_GROUP
  aP = rAP;
  aQ = rAQ;
  bP = rBP;
  bQ = rBQ;
#else
  for (std::int32_t g = 0; g < groups; ++g, x += 4, w += 4) {
    aP = smlad(x[1], w[1], smlad(x[0], w[0], aP));
    bP = smlad(x[3], w[1], smlad(x[2], w[0], bP));
    aQ = smlad(x[1], w[3], smlad(x[0], w[2], aQ));
    bQ = smlad(x[3], w[3], smlad(x[2], w[2], bQ));
  }
#endif
}

// Per chunk of channel pairs, a table read front to back by the tile loop:
// per pair [bias P, bias Q] [widened weights, 4 words per group]
// [multiplier P, multiplier Q, ~shift P, ~shift Q], or where some channel
// shifts left [multiplier P, multiplier Q, right P, right Q, left P, left Q,
// doubling P, doubling Q] (ShiftParts).
template <bool kLeftShifts>
std::int32_t pairTableWords(std::int32_t groups) {
  return (kLeftShifts ? 10 : 6) + 4 * groups;
}

template <bool kLeftShifts>
void buildPairTable(const std::int8_t* weights, const std::int32_t* bias, const PerChannelQuant& q, std::int32_t k,
                    std::int32_t c0, std::int32_t c1, std::int32_t outC, std::uint32_t* dst) {
  const std::int32_t groups = pairGroups(k);
  for (std::int32_t c = c0; c < c1; c += 2) {
    const std::int32_t cq = c + 1 < outC ? c + 1 : c;  // an odd last channel pairs with itself
    dst[0] = static_cast<std::uint32_t>(bias ? bias[c] : 0);
    dst[1] = static_cast<std::uint32_t>(bias ? bias[cq] : 0);
    widenPair(weights + c * k, weights + cq * k, k, 0, dst + 2);
    dst += 2 + 4 * groups;
    dst[0] = static_cast<std::uint32_t>(q.multiplier[c]);
    dst[1] = static_cast<std::uint32_t>(q.multiplier[cq]);
    if constexpr (kLeftShifts) {
      const ShiftParts p = shiftParts(q.shift[c]), pq = shiftParts(q.shift[cq]);
      dst[2] = static_cast<std::uint32_t>(p.right);
      dst[3] = static_cast<std::uint32_t>(pq.right);
      dst[4] = static_cast<std::uint32_t>(p.left);
      dst[5] = static_cast<std::uint32_t>(pq.left);
      dst[6] = static_cast<std::uint32_t>(p.doubling);
      dst[7] = static_cast<std::uint32_t>(pq.doubling);
      dst += 8;
    } else {
      dst[2] = static_cast<std::uint32_t>(~q.shift[c]);
      dst[3] = static_cast<std::uint32_t>(~q.shift[cq]);
      dst += 4;
    }
  }
}

// Tiles of one pixel pair against `pairs` whole channel pairs of a table,
// with any output stage: outputs ya[0..2*pairs), yb[0..2*pairs).
template <class Stage>
const std::uint32_t* pairTiles(const Stage& stage, const PerChannelQuant& q, std::int32_t c, std::int32_t outC,
                               const std::uint32_t* table, std::int32_t groups, std::int32_t pairs, std::int8_t* ya,
                               std::int8_t* yb) {
  const std::int32_t* const multiplier = q.multiplier;
  const std::int32_t* const shift = q.shift;
  for (std::int32_t end = c + 2 * pairs; c < end; c += 2, table += pairTableWords<Stage::kLeftShifts>(groups)) {
    const std::int32_t cq = c + 1 < outC ? c + 1 : c;
    std::int32_t aP = static_cast<std::int32_t>(table[0]), aQ = static_cast<std::int32_t>(table[1]);
    std::int32_t bP = aP, bQ = aQ;
    mac2x2(g_inputScratch, table + 2, groups, aP, aQ, bP, bQ);
    const std::int32_t mP = multiplier[c], sP = shift[c], mQ = multiplier[cq], sQ = shift[cq];
    const std::int8_t yaP = stage(aP, mP, sP), yaQ = stage(aQ, mQ, sQ);
    const std::int8_t ybP = stage(bP, mP, sP), ybQ = stage(bQ, mQ, sQ);
    ya[c] = yaP;
    ya[cq] = yaQ;
    yb[c] = ybP;
    yb[cq] = ybQ;
  }
  return table;
}

#if defined(__ARM_FEATURE_DSP)
// The same wholly in assembly: the MAC loop, the output stage from the
// table and two halfword stores per tile.
// Needs whole pairs (a halfword store writes both channels).
struct PairTileArgs {
  std::int8_t* ya;
  std::int8_t* yb;
  std::int32_t groups, pairs, offsetTerm;
  std::uint32_t lo4, hi4;
};

template <bool kNarrow, bool kLeftShifts>
const std::uint32_t* pairTilesAsm(PairTileArgs args, const std::uint32_t* table) {
  register const std::uint32_t* rTable asm("r11") = table;
#define AIDI_PAIR_GROUP                       \
  "ldmia r10!, {r4, r5, r6, r7}\n\t"          \
  "ldrd r8, r9, [r11], #8\n\t"                \
  "smlad r0, r4, r8, r0\n\t"                  \
  "smlad r0, r5, r9, r0\n\t"                  \
  "smlad r2, r6, r8, r2\n\t"                  \
  "smlad r2, r7, r9, r2\n\t"                  \
  "ldrd r8, r9, [r11], #8\n\t"                \
  "smlad r1, r4, r8, r1\n\t"                  \
  "smlad r1, r5, r9, r1\n\t"                  \
  "smlad r3, r6, r8, r3\n\t"                  \
  "smlad r3, r7, r9, r3\n\t"
// Left shift, multiply, doubling, sign step and right shift of one
// accumulator (the left-shift form of the stage).
#define AIDI_PAIR_SCALE(acc, left, multiplier, doubling, right) \
  "lsl " acc ", " acc ", " left "\n\t"                         \
  "smmulr " acc ", " acc ", " multiplier "\n\t"                \
  "lsl " acc ", " acc ", " doubling "\n\t"                     \
  "add " acc ", " acc ", " acc ", asr #31\n\t"                 \
  "asr " acc ", " acc ", " right "\n\t"
#define AIDI_PAIR_SAT(acc)                     \
  "add " acc ", " acc ", r8\n\t"              \
  "ssat " acc ", #8, " acc ", asr #1\n\t"
#define AIDI_PAIR_OUT(acc, multiplier, shift) \
  "lsls " acc ", " acc ", #1\n\t"             \
  "smmulr " acc ", " acc ", " multiplier "\n\t" \
  "add " acc ", " acc ", " acc ", asr #31\n\t"  \
  "asr " acc ", " acc ", " shift "\n\t"         \
  "add " acc ", " acc ", r8\n\t"                \
  "ssat " acc ", #8, " acc ", asr #1\n\t"
  __asm volatile(
      "1:\n\t"
      "ldrd r0, r1, [r11], #8\n\t"  // biases: A.P, A.Q
      "mov r2, r0\n\t"              // B.P
      "mov r3, r1\n\t"              // B.Q
      "mov r10, %[x]\n\t"
      "ldr r12, %[groups]\n\t"
      "lsrs r12, r12, #1\n\t"
      "bcc 2f\n\t" AIDI_PAIR_GROUP
      "beq 3f\n"
      "2:\n\t" AIDI_PAIR_GROUP AIDI_PAIR_GROUP
      "subs r12, r12, #1\n\t"
      "bne 2b\n"
      "3:\n\t"
      ".if %c[left]\n\t"
      "ldmia r11!, {r4, r5, r6, r7, r8, r9, r10, r12}\n\t"  // multipliers, rights, lefts, doublings: P, Q
      AIDI_PAIR_SCALE("r0", "r8", "r4", "r10", "r6") AIDI_PAIR_SCALE("r2", "r8", "r4", "r10", "r6")
      AIDI_PAIR_SCALE("r1", "r9", "r5", "r12", "r7") AIDI_PAIR_SCALE("r3", "r9", "r5", "r12", "r7")
      "ldr r8, %[offsetTerm]\n\t"
      AIDI_PAIR_SAT("r0") AIDI_PAIR_SAT("r2") AIDI_PAIR_SAT("r1") AIDI_PAIR_SAT("r3")
      ".else\n\t"
      "ldmia r11!, {r4, r5, r6, r7}\n\t"  // multipliers P, Q; ~shifts P, Q
      "ldr r8, %[offsetTerm]\n\t"
      AIDI_PAIR_OUT("r0", "r4", "r6") AIDI_PAIR_OUT("r2", "r4", "r6") AIDI_PAIR_OUT("r1", "r5", "r7")
      AIDI_PAIR_OUT("r3", "r5", "r7")
      ".endif\n\t"
      "bfi r0, r1, #8, #8\n\t"
      "bfi r2, r3, #8, #8\n\t"
      ".if %c[narrow]\n\t"  // byte-wise max(lo), min(hi)
      "ldr r8, %[lo4]\n\t"
      "ssub8 r9, r0, r8\n\t"
      "sel r0, r0, r8\n\t"
      "ssub8 r9, r2, r8\n\t"
      "sel r2, r2, r8\n\t"
      "ldr r8, %[hi4]\n\t"
      "ssub8 r9, r8, r0\n\t"
      "sel r0, r0, r8\n\t"
      "ssub8 r9, r8, r2\n\t"
      "sel r2, r2, r8\n\t"
      ".endif\n\t"
      "ldr r8, %[ya]\n\t"
      "strh r0, [r8], #2\n\t"
      "str r8, %[ya]\n\t"
      "ldr r8, %[yb]\n\t"
      "strh r2, [r8], #2\n\t"
      "str r8, %[yb]\n\t"
      "ldr r8, %[pairs]\n\t"
      "subs r8, r8, #1\n\t"
      "str r8, %[pairs]\n\t"
      "bne 1b\n\t"
      : [table] "+r"(rTable), [ya] "+m"(args.ya), [yb] "+m"(args.yb), [pairs] "+m"(args.pairs)
      : [x] "r"(g_inputScratch), [groups] "m"(args.groups), [offsetTerm] "m"(args.offsetTerm), [lo4] "m"(args.lo4),
        [hi4] "m"(args.hi4), [narrow] "i"(kNarrow ? 1 : 0), [left] "i"(kLeftShifts ? 1 : 0)
      : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r12", "cc", "memory");
#undef AIDI_PAIR_OUT
#undef AIDI_PAIR_SAT
#undef AIDI_PAIR_SCALE
#undef AIDI_PAIR_GROUP
  return rTable;
}
#endif

// Picks the tile loop: the assembly one on the device.
template <class Stage>
const std::uint32_t* pairTilesFor(const Stage& stage, const PerChannelQuant& q, std::int32_t c, std::int32_t outC,
                                  const std::uint32_t* table, std::int32_t groups, std::int32_t pairs,
                                  std::int8_t* ya, std::int8_t* yb) {
  return pairTiles(stage, q, c, outC, table, groups, pairs, ya, yb);
}
#if defined(__ARM_FEATURE_DSP)
template <bool kNarrow, bool kLeftShifts>
const std::uint32_t* pairTilesFor(const ShiftOutputStage<kNarrow, kLeftShifts>& stage, const PerChannelQuant& q,
                                  std::int32_t c, std::int32_t outC, const std::uint32_t* table,
                                  std::int32_t groups, std::int32_t pairs, std::int8_t* ya, std::int8_t* yb) {
  const std::int32_t whole = c + 2 * pairs <= outC ? pairs : pairs - 1;  // an odd last channel: not by halfwords
  if (whole > 0) {
    const PairTileArgs args{ya + c, yb + c, groups, whole, stage.offsetTerm, replicate4(stage.lo),
                            replicate4(stage.hi)};
    table = pairTilesAsm<kNarrow, kLeftShifts>(args, table);
  }
  if (whole < pairs) table = pairTiles(stage, q, c + 2 * whole, outC, table, groups, 1, ya, yb);
  return table;
}
#endif

// The output pixels of a matrix-shaped layer, k inputs each, two at a time:
// rowsOf(px, a, b) points a and b at the k int8 inputs of pixels px and px+1
// (b == a for an odd last pixel, which is then written twice over). Weights
// are outC rows of k (OHWI), widened with the biases and quantization into a
// table a chunk of channel pairs at a time; inputs are widened once per pixel
// pair and chunk.
template <class Stage, class RowsOf>
void pairMatmul(const Stage& stage, const PerChannelQuant& q, std::int32_t inputOffset, std::int32_t k,
                const std::int8_t* weights, const std::int32_t* bias, std::int32_t outC, std::int32_t pixels,
                std::int8_t* output, RowsOf&& rowsOf) {
  const std::int32_t groups = pairGroups(k);
  constexpr bool kLeftShifts = Stage::kLeftShifts;
  const std::int32_t chunkPairs = kWeightScratchWords / pairTableWords<kLeftShifts>(groups);
  for (std::int32_t c0 = 0; c0 < outC; c0 += 2 * chunkPairs) {
    const std::int32_t c1 = outC - c0 < 2 * chunkPairs ? outC : c0 + 2 * chunkPairs;
    if (!tableIsBuilt({weights, bias, q.multiplier, q.shift, k, outC, c0, 0}))
      buildPairTable<kLeftShifts>(weights, bias, q, k, c0, c1, outC, g_weightScratch);
    for (std::int32_t px = 0; px < pixels; px += 2) {
      const std::int8_t *a, *b;
      rowsOf(px, a, b);
      widenPair(a, b, k, inputOffset, g_inputScratch);
      std::int8_t* const ya = output + px * outC;
      std::int8_t* const yb = px + 1 < pixels ? ya + outC : ya;
      pairTilesFor(stage, q, c0, outC, g_weightScratch, groups, (c1 - c0 + 1) / 2, ya, yb);
    }
  }
}

}  // namespace aidi::fw::cm4
