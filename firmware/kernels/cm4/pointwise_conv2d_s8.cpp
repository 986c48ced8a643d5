#include "aidi/kernels/cm4.hpp"
#include "dot.hpp"

namespace aidi::fw::cm4 {

// Two pixels at a time: each weight row is loaded once per pixel pair.
void pointwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output) {
  const std::int32_t pixels = out.h * out.w, inC = in.c, outC = out.c;  // locals: see matmul2Rows
  std::int32_t px = 0;
  for (; px + 2 <= pixels; px += 2) {
    const std::int8_t* xa = input + px * inC;
    matmul2Rows(p, q, xa, xa + inC, inC, weights, bias, outC, output + px * outC, output + (px + 1) * outC);
  }
  if (px < pixels) {
    // An odd last pixel: pair it with itself and write it once.
    const std::int8_t* x = input + px * inC;
    std::int8_t* y = output + px * outC;
    matmul2Rows(p, q, x, x, inC, weights, bias, outC, y, y);
  }
}

}  // namespace aidi::fw::cm4
