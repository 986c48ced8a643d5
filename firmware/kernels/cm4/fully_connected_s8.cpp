#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "output_stage.hpp"
#include "pair_matmul.hpp"

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
    std::uint32_t v = 0;
    for (std::int32_t j = 0; i + j < k; ++j)
      v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(x[i + j])) << (8 * j);
    dst[0] = sxtab16(offset2, v);
    dst[1] = sxtab16Ror8(offset2, v);
  }
}

// acc[r] += row r . x over groups of 4 (k a multiple of 4), four rows at a time.
void dot4Rows(const std::uint32_t* x, const std::int8_t* w0, const std::int8_t* w1, const std::int8_t* w2,
              const std::int8_t* w3, std::int32_t groups, std::int32_t acc[4]) {
#if defined(__ARM_FEATURE_DSP)
  register std::int32_t a0 asm("r0") = acc[0];
  register std::int32_t a1 asm("r1") = acc[1];
  register std::int32_t a2 asm("r2") = acc[2];
  register std::int32_t a3 asm("r3") = acc[3];
  register const std::uint32_t* rx asm("r4") = x;
  register const std::int8_t* r0 asm("r5") = w0;
  register const std::int8_t* r1 asm("r6") = w1;
  register const std::int8_t* r2 asm("r8") = w2;
  register const std::int8_t* r3 asm("r9") = w3;
  register std::int32_t n asm("r10") = groups;
  register std::uint32_t x02 asm("r11"), x13 asm("r12"), u asm("r7");
#define AIDI_FC_ROW(acc, row)                  \
  "ldr r7, [%[" row "]], #4\n\t"               \
  "sxtb16 lr, r7\n\t"                          \
  "smlad %[" acc "], r11, lr, %[" acc "]\n\t"  \
  "sxtb16 r7, r7, ror #8\n\t"                  \
  "smlad %[" acc "], r12, r7, %[" acc "]\n\t"
  __asm volatile(
      "1:\n\t"
      "ldrd r11, r12, [%[x]], #8\n\t" AIDI_FC_ROW("a0", "w0") AIDI_FC_ROW("a1", "w1") AIDI_FC_ROW("a2", "w2")
          AIDI_FC_ROW("a3", "w3")
      "subs %[n], %[n], #1\n\t"
      "bne 1b\n"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(rx), [w0] "+r"(r0), [w1] "+r"(r1),
        [w2] "+r"(r2), [w3] "+r"(r3), [n] "+r"(n), "=&r"(x02), "=&r"(x13), "=&r"(u)
      :
      : "cc", "memory", "lr");
#undef AIDI_FC_ROW
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
#else
  const std::int8_t* rows[4] = {w0, w1, w2, w3};
  for (std::int32_t g = 0; g < groups; ++g)
    for (int r = 0; r < 4; ++r) {
      const std::uint32_t u = load4(rows[r] + 4 * g);
      acc[r] = smlad(x[2 * g + 1], sxtb16Ror8(u), smlad(x[2 * g], sxtb16(u), acc[r]));
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
    std::uint32_t u = 0;
    for (std::int32_t j = 0; i + j < k; ++j)
      u |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(w[i + j])) << (8 * j);
    acc = smlad(x[1], sxtb16Ror8(u), smlad(x[0], sxtb16(u), acc));
  }
  return acc;
}

template <class Stage>
void fullyConnected(const Stage& stage, const PerChannelQuant& q, std::int32_t k, const std::int8_t* weights,
                    const std::int32_t* bias, std::int32_t outFeatures, std::int8_t* output) {
  const std::int32_t* const multiplier = q.multiplier;
  const std::int32_t* const shift = q.shift;
  const std::int32_t groups = k / 4, tail = groups * 4;
  std::int32_t o = 0;
  for (; groups > 0 && o + 4 <= outFeatures; o += 4) {
    const std::int8_t* w = weights + o * k;
    std::int32_t acc[4];
    for (int r = 0; r < 4; ++r) acc[r] = bias ? bias[o + r] : 0;
    dot4Rows(g_inputScratch, w, w + k, w + 2 * k, w + 3 * k, groups, acc);
    for (int r = 0; r < 4; ++r) {
      if (tail < k) acc[r] = dotRow(g_inputScratch + 2 * groups, w + r * k + tail, k - tail, acc[r]);
      output[o + r] = stage(acc[r], multiplier[o + r], shift[o + r]);
    }
  }
  for (; o < outFeatures; ++o)
    output[o] = stage(dotRow(g_inputScratch, weights + o * k, k, bias ? bias[o] : 0), multiplier[o], shift[o]);
}

}  // namespace

void fully_connected_s8(const ConvParams& p, const PerChannelQuant& q, std::int32_t inFeatures,
                        const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
                        std::int32_t outFeatures, std::int8_t* output) {
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
