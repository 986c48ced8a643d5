#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "output_stage.hpp"
#include "pair_matmul.hpp"

namespace aidi::fw::cm4 {
namespace {

// Two im2col rows: the kernel windows of two output pixels, in OHWI order.
alignas(4) std::int8_t g_im2col[2][kMaxIm2colK];

// Copies output pixel (oy, ox)'s window into `row`; taps outside the image get
// the input zero point, which the input offset turns into 0.
void gatherWindow(const ConvParams& p, const Shape& in, const std::int8_t* input, std::int32_t oy, std::int32_t ox,
                  std::int8_t* row) {
  const auto zeroPoint = static_cast<std::int8_t>(-p.inputOffset);
  for (std::int32_t ky = 0; ky < p.kernelH; ++ky) {
    const std::int32_t iy = oy * p.strideH - p.padTop + ky;
    for (std::int32_t kx = 0; kx < p.kernelW; ++kx) {
      const std::int32_t ix = ox * p.strideW - p.padLeft + kx;
      std::int8_t* dst = row + (ky * p.kernelW + kx) * in.c;
      if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) {
        for (std::int32_t c = 0; c < in.c; ++c) dst[c] = zeroPoint;
      } else {
        const std::int8_t* src = input + (iy * in.w + ix) * in.c;
        for (std::int32_t c = 0; c < in.c; ++c) dst[c] = src[c];
      }
    }
  }
}

}  // namespace

void conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
               const std::int8_t* weights, const std::int32_t* bias, const Shape& out, std::int8_t* output) {
  const std::int32_t k = p.kernelH * p.kernelW * in.c;
  if (k > kMaxIm2colK) {
    ref::conv2d_s8(p, q, in, input, weights, bias, out, output);
    return;
  }
  const std::int32_t pixels = out.h * out.w;
  withOutputStage(p, q, out.c, [&](const auto& stage) {
    pairMatmul(stage, q, p.inputOffset, k, weights, bias, out.c, pixels, output,
               [&](std::int32_t px, const std::int8_t*& a, const std::int8_t*& b) {
                 gatherWindow(p, in, input, px / out.w, px % out.w, g_im2col[0]);
                 a = b = g_im2col[0];
                 if (px + 1 < pixels) {
                   gatherWindow(p, in, input, (px + 1) / out.w, (px + 1) % out.w, g_im2col[1]);
                   b = g_im2col[1];
                 }
               });
  });
}

}  // namespace aidi::fw::cm4
