#include <cstring>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "output_stage.hpp"
#include "pair_matmul.hpp"

namespace aidi::fw::cm4 {
namespace {

// Two im2col rows: the kernel windows of two output pixels, in OHWI order.
alignas(4) std::int8_t g_im2col[2][kMaxIm2colK];

// Copies output pixel (oy, ox)'s window into `row`; taps outside the image get
// the input zero point, which the input offset turns into 0. A window inside
// the image is kernelH runs of kernelW * inC contiguous bytes, copied a word at
// a time.
void gatherWindow(const ConvParams& p, const Shape& in, const std::int8_t* input, std::int32_t oy, std::int32_t ox,
                  std::int8_t* row) {
  const std::int32_t y0 = oy * p.strideH - p.padTop, x0 = ox * p.strideW - p.padLeft;
  const std::int32_t kernelH = p.kernelH, kernelW = p.kernelW, inC = in.c;
  if (y0 >= 0 && x0 >= 0 && y0 + kernelH <= in.h && x0 + kernelW <= in.w) {
    const std::int32_t run = kernelW * inC, stride = in.w * inC;
    const std::int8_t* src = input + (y0 * in.w + x0) * inC;
    for (std::int32_t ky = 0; ky < kernelH; ++ky, src += stride, row += run) {
      std::int32_t i = 0;
      for (; i + 4 <= run; i += 4) {
        const std::uint32_t v = load4(src + i);
        std::memcpy(row + i, &v, 4);
      }
      for (; i < run; ++i) row[i] = src[i];
    }
    return;
  }
  const auto zeroPoint = static_cast<std::int8_t>(-p.inputOffset);
  for (std::int32_t ky = 0; ky < kernelH; ++ky) {
    const std::int32_t iy = y0 + ky;
    for (std::int32_t kx = 0; kx < kernelW; ++kx) {
      const std::int32_t ix = x0 + kx;
      std::int8_t* dst = row + (ky * kernelW + kx) * inC;
      if (iy < 0 || iy >= in.h || ix < 0 || ix >= in.w) {
        for (std::int32_t c = 0; c < inC; ++c) dst[c] = zeroPoint;
      } else {
        const std::int8_t* src = input + (iy * in.w + ix) * inC;
        for (std::int32_t c = 0; c < inC; ++c) dst[c] = src[c];
      }
    }
  }
}

}  // namespace

void conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
               const std::int8_t* weights, const std::int32_t* bias, const Shape& out, std::int8_t* output) {
  AIDI_KERNEL_ASSERT(convCallValid(p, q, in, input, weights, out, output));
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
