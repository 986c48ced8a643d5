#include "aidi/kernels/cm4.hpp"
#include "dot.hpp"

namespace aidi::fw::cm4 {

// Four output features at a time: each input word is loaded and widened once
// per four weight rows.
void fully_connected_s8(const ConvParams& p, const PerChannelQuant& q, std::int32_t inFeatures,
                        const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
                        std::int32_t outFeatures, std::int8_t* output) {
  const std::uint32_t offset2 = pack16(p.inputOffset, p.inputOffset);
  const OutputStage out{p.outputOffset, p.actMin, p.actMax};
  std::int32_t o = 0;
  for (; o + 4 <= outFeatures; o += 4) {
    const std::int8_t* w0 = weights + o * inFeatures;
    const std::int8_t* w1 = w0 + inFeatures;
    const std::int8_t* w2 = w1 + inFeatures;
    const std::int8_t* w3 = w2 + inFeatures;
    std::int32_t a0 = bias ? bias[o] : 0, a1 = bias ? bias[o + 1] : 0;
    std::int32_t a2 = bias ? bias[o + 2] : 0, a3 = bias ? bias[o + 3] : 0;
    std::int32_t i = 0;
    for (; i + 4 <= inFeatures; i += 4) {
      const std::uint32_t v = load4(input + i);
      const std::uint32_t x02 = sxtab16(offset2, v), x13 = sxtab16Ror8(offset2, v);
      std::uint32_t u = load4(w0 + i);
      a0 = smlad(x02, sxtb16(u), a0);
      a0 = smlad(x13, sxtb16Ror8(u), a0);
      u = load4(w1 + i);
      a1 = smlad(x02, sxtb16(u), a1);
      a1 = smlad(x13, sxtb16Ror8(u), a1);
      u = load4(w2 + i);
      a2 = smlad(x02, sxtb16(u), a2);
      a2 = smlad(x13, sxtb16Ror8(u), a2);
      u = load4(w3 + i);
      a3 = smlad(x02, sxtb16(u), a3);
      a3 = smlad(x13, sxtb16Ror8(u), a3);
    }
    for (; i < inFeatures; ++i) {
      const std::int32_t x = input[i] + p.inputOffset;
      a0 += x * w0[i];
      a1 += x * w1[i];
      a2 += x * w2[i];
      a3 += x * w3[i];
    }
    output[o] = out(a0, q.multiplier[o], q.shift[o]);
    output[o + 1] = out(a1, q.multiplier[o + 1], q.shift[o + 1]);
    output[o + 2] = out(a2, q.multiplier[o + 2], q.shift[o + 2]);
    output[o + 3] = out(a3, q.multiplier[o + 3], q.shift[o + 3]);
  }
  for (; o < outFeatures; ++o) {
    const std::int32_t acc = dot1x1(input, weights + o * inFeatures, inFeatures, p.inputOffset, bias ? bias[o] : 0);
    output[o] = out(acc, q.multiplier[o], q.shift[o]);
  }
}

}  // namespace aidi::fw::cm4
