#include <cstring>

#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "simd.hpp"

namespace aidi::fw::cm4 {
namespace {

// Calls body(y, taps, tapCount) per output pixel: y its output, taps the input
// offsets (in pixels) of the window's in-image taps.
template <class Body>
void forEachWindow(const PoolParams& p, const Shape& in, const Shape& out, Body&& body) {
  std::int32_t taps[256];
  for (std::int32_t oy = 0; oy < out.h; ++oy) {
    const std::int32_t y0 = oy * p.strideH - p.padTop;
    for (std::int32_t ox = 0; ox < out.w; ++ox) {
      const std::int32_t x0 = ox * p.strideW - p.padLeft;
      std::int32_t n = 0;
      for (std::int32_t iy = y0 < 0 ? 0 : y0; iy < y0 + p.kernelH && iy < in.h; ++iy)
        for (std::int32_t ix = x0 < 0 ? 0 : x0; ix < x0 + p.kernelW && ix < in.w; ++ix) taps[n++] = iy * in.w + ix;
      body(oy * out.w + ox, taps, n);
    }
  }
}

}  // namespace

// Four channels at a time: SXTAB16 adds a tap's four bytes into two pairs of
// 16-bit sums (exact for windows up to 255 taps), one division per channel.
void avg_pool_s8(const PoolParams& p, const Shape& in, const std::int8_t* input, const Shape& out,
                 std::int8_t* output) {
  AIDI_KERNEL_ASSERT(poolCallValid(p, in, input, out, output));
  if (p.kernelH * p.kernelW > 255) {
    ref::avg_pool_s8(p, in, input, out, output);
    return;
  }
  const std::int32_t channels = in.c, groups = channels / 4, lo = p.actMin, hi = p.actMax;
  const auto average = [lo, hi](std::int32_t sum, std::int32_t count) {
    const std::int32_t avg = count == 0 ? 0 : (sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count);
    return clampToInt8(avg, lo, hi);
  };
  forEachWindow(p, in, out, [&](std::int32_t pixel, const std::int32_t* taps, std::int32_t n) {
    std::int8_t* y = output + pixel * channels;
    for (std::int32_t g = 0; g < groups; ++g) {
      std::uint32_t sum02 = 0, sum13 = 0;
      const std::int8_t* x = input + 4 * g;
      for (std::int32_t t = 0; t < n; ++t) {
        const std::uint32_t v = load4(x + taps[t] * channels);
        sum02 = sxtab16(sum02, v);
        sum13 = sxtab16Ror8(sum13, v);
      }
      y[4 * g] = average(static_cast<std::int16_t>(sum02), n);
      y[4 * g + 1] = average(static_cast<std::int16_t>(sum13), n);
      y[4 * g + 2] = average(static_cast<std::int16_t>(sum02 >> 16), n);
      y[4 * g + 3] = average(static_cast<std::int16_t>(sum13 >> 16), n);
    }
    for (std::int32_t c = 4 * groups; c < channels; ++c) {
      std::int32_t sum = 0;
      for (std::int32_t t = 0; t < n; ++t) sum += input[taps[t] * channels + c];
      y[c] = average(sum, n);
    }
  });
}

// Four channels at a time: SSUB8 + SEL keep the byte-wise maximum.
void max_pool_s8(const PoolParams& p, const Shape& in, const std::int8_t* input, const Shape& out,
                 std::int8_t* output) {
  AIDI_KERNEL_ASSERT(poolCallValid(p, in, input, out, output));
  if (p.kernelH * p.kernelW > 256) {
    ref::max_pool_s8(p, in, input, out, output);
    return;
  }
  const std::int32_t channels = in.c, groups = channels / 4, lo = p.actMin, hi = p.actMax;
  const std::uint32_t lo4 = replicate4(lo), hi4 = replicate4(hi);
  forEachWindow(p, in, out, [&](std::int32_t pixel, const std::int32_t* taps, std::int32_t n) {
    std::int8_t* y = output + pixel * channels;
    for (std::int32_t g = 0; g < groups; ++g) {
      std::uint32_t best = replicate4(-128);
      const std::int8_t* x = input + 4 * g;
      for (std::int32_t t = 0; t < n; ++t) best = maxBytes(load4(x + taps[t] * channels), best);
      best = minBytes(maxBytes(best, lo4), hi4);
      std::memcpy(y + 4 * g, &best, 4);
    }
    for (std::int32_t c = 4 * groups; c < channels; ++c) {
      std::int32_t best = -128;
      for (std::int32_t t = 0; t < n; ++t) best = input[taps[t] * channels + c] > best ? input[taps[t] * channels + c] : best;
      y[c] = clampToInt8(best, lo, hi);
    }
  });
}

}  // namespace aidi::fw::cm4
