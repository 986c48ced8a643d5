// Inner products shared by the matrix-shaped Cortex-M4 kernels (pointwise,
// im2col conv, fully connected): int8 rows with the input offset added in the
// sign extension (SXTAB16, free), int8 weights, SMLAD on 16-bit pairs.
#pragma once

#include <cstdint>

#include "simd.hpp"

namespace aidi::fw::cm4 {

// acc[0..3] += (xa . w0, xa . w1, xb . w0, xb . w1) over k values, inputs offset by `offset`.
inline void dot2x2(const std::int8_t* xa, const std::int8_t* xb, const std::int8_t* w0, const std::int8_t* w1,
                   std::int32_t k, std::int32_t offset, std::int32_t acc[4]) {
  const std::uint32_t offset2 = pack16(offset, offset);
  std::int32_t a0 = acc[0], a1 = acc[1], b0 = acc[2], b1 = acc[3];
  std::int32_t i = 0;
  for (; i + 4 <= k; i += 4) {
    const std::uint32_t va = load4(xa + i), vb = load4(xb + i);
    const std::uint32_t a02 = sxtab16(offset2, va), a13 = sxtab16Ror8(offset2, va);
    const std::uint32_t b02 = sxtab16(offset2, vb), b13 = sxtab16Ror8(offset2, vb);
    std::uint32_t u = load4(w0 + i);
    std::uint32_t u02 = sxtb16(u), u13 = sxtb16Ror8(u);
    a0 = smlad(a02, u02, a0);
    a0 = smlad(a13, u13, a0);
    b0 = smlad(b02, u02, b0);
    b0 = smlad(b13, u13, b0);
    u = load4(w1 + i);
    u02 = sxtb16(u);
    u13 = sxtb16Ror8(u);
    a1 = smlad(a02, u02, a1);
    a1 = smlad(a13, u13, a1);
    b1 = smlad(b02, u02, b1);
    b1 = smlad(b13, u13, b1);
  }
  for (; i < k; ++i) {
    const std::int32_t xA = xa[i] + offset, xB = xb[i] + offset;
    a0 += xA * w0[i];
    a1 += xA * w1[i];
    b0 += xB * w0[i];
    b1 += xB * w1[i];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = b0;
  acc[3] = b1;
}

// One row against one weight row.
inline std::int32_t dot1x1(const std::int8_t* x, const std::int8_t* w, std::int32_t k, std::int32_t offset,
                           std::int32_t acc) {
  const std::uint32_t offset2 = pack16(offset, offset);
  std::int32_t i = 0;
  for (; i + 4 <= k; i += 4) {
    const std::uint32_t v = load4(x + i), u = load4(w + i);
    acc = smlad(sxtab16(offset2, v), sxtb16(u), acc);
    acc = smlad(sxtab16Ror8(offset2, v), sxtb16Ror8(u), acc);
  }
  for (; i < k; ++i) acc += (x[i] + offset) * w[i];
  return acc;
}

// Output rows A and B (outC values each) from two input rows of k values:
// the matrix kernel behind pointwise and im2col convolution.
inline void matmul2Rows(const ConvParams& p, const PerChannelQuant& q, const std::int8_t* xa, const std::int8_t* xb,
                        std::int32_t k, const std::int8_t* weights, const std::int32_t* bias, std::int32_t outC,
                        std::int8_t* ya, std::int8_t* yb) {
  const OutputStage out{p.outputOffset, p.actMin, p.actMax};
  const std::int32_t inputOffset = p.inputOffset;
  // In locals: int8 stores may alias anything, so reads through `q` would
  // be repeated after every output byte.
  const std::int32_t* const multiplier = q.multiplier;
  const std::int32_t* const shift = q.shift;
  std::int32_t oc = 0;
  for (; oc + 2 <= outC; oc += 2) {
    const std::int8_t* w0 = weights + oc * k;
    std::int32_t acc[4];
    acc[0] = acc[2] = bias ? bias[oc] : 0;
    acc[1] = acc[3] = bias ? bias[oc + 1] : 0;
    dot2x2(xa, xb, w0, w0 + k, k, inputOffset, acc);
    const std::int32_t m0 = multiplier[oc], s0 = shift[oc], m1 = multiplier[oc + 1], s1 = shift[oc + 1];
    const std::int8_t a0 = out(acc[0], m0, s0), a1 = out(acc[1], m1, s1);
    const std::int8_t b0 = out(acc[2], m0, s0), b1 = out(acc[3], m1, s1);
    ya[oc] = a0;
    ya[oc + 1] = a1;
    yb[oc] = b0;
    yb[oc + 1] = b1;
  }
  for (; oc < outC; ++oc) {
    const std::int8_t* w = weights + oc * k;
    const std::int32_t b = bias ? bias[oc] : 0;
    const std::int8_t a = out(dot1x1(xa, w, k, inputOffset, b), multiplier[oc], shift[oc]);
    yb[oc] = out(dot1x1(xb, w, k, inputOffset, b), multiplier[oc], shift[oc]);
    ya[oc] = a;
  }
}

}  // namespace aidi::fw::cm4
