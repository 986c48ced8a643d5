// Types and arithmetic shared by every int8 kernel: the reference (oracle) in
// kernels/ref and the Cortex-M4 kernels in kernels/cm4. Activations are int8
// NHWC with batch 1; requantization is TFLite's (see firmware/models/FORMAT.md).
#pragma once

#include <cassert>
#include <cstdint>

// Debug builds check, on entry to every kernel, what the kernel relies on to
// stay inside its buffers: shapes that agree with each other and with the
// parameters, and the pointers it reads. Release builds trust the caller
// (the runtime's one executeLayer, whose slices the engines' tests cover).
#if defined(NDEBUG)
#define AIDI_KERNEL_ASSERT(condition) static_cast<void>(0)
#else
#define AIDI_KERNEL_ASSERT(condition) assert(condition)
#endif

namespace aidi::fw {

struct Shape {
  std::int32_t h = 1, w = 1, c = 1;
  constexpr std::int32_t size() const { return h * w * c; }
};

struct ConvParams {
  std::int32_t kernelH = 1, kernelW = 1;
  std::int32_t strideH = 1, strideW = 1;
  std::int32_t padTop = 0, padLeft = 0;
  std::int32_t inputOffset = 0;   // -input zero point, in [-127, 128]
  std::int32_t outputOffset = 0;  // output zero point
  std::int32_t actMin = -128, actMax = 127;
};

// One multiplier and shift per output channel (shift > 0 shifts left).
struct PerChannelQuant {
  const std::int32_t* multiplier;
  const std::int32_t* shift;
};

struct PoolParams {
  std::int32_t kernelH = 1, kernelW = 1;
  std::int32_t strideH = 1, strideW = 1;
  std::int32_t padTop = 0, padLeft = 0;
  std::int32_t actMin = -128, actMax = 127;
};

struct AddParams {
  std::int32_t input1Offset = 0, input2Offset = 0, outputOffset = 0;
  std::int32_t leftShift = 20;
  std::int32_t input1Multiplier = 0, input1Shift = 0;
  std::int32_t input2Multiplier = 0, input2Shift = 0;
  std::int32_t outputMultiplier = 0, outputShift = 0;
  std::int32_t actMin = -128, actMax = 127;
};

// (a * b * 2) >> 32, rounded half away from zero, saturating the one overflow
// case (INT32_MIN * INT32_MIN).
inline std::int32_t saturatingRoundingDoublingHighMul(std::int32_t a, std::int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const std::int64_t ab = static_cast<std::int64_t>(a) * b;
  const std::int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  return static_cast<std::int32_t>((ab + nudge) / (1ll << 31));
}

// x / 2^exponent, rounded half away from zero.
inline std::int32_t roundingDivideByPot(std::int32_t x, std::int32_t exponent) {
  const std::int32_t mask = static_cast<std::int32_t>((1ll << exponent) - 1);
  const std::int32_t remainder = x & mask;
  const std::int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// acc * multiplier * 2^(shift - 31), TFLite's MultiplyByQuantizedMultiplier.
inline std::int32_t requantize(std::int32_t acc, std::int32_t multiplier, std::int32_t shift) {
  const std::int32_t left = shift > 0 ? shift : 0;
  const std::int32_t right = shift > 0 ? 0 : -shift;
  std::int64_t shifted = static_cast<std::int64_t>(acc) * (1ll << left);
  if (shifted > INT32_MAX) shifted = INT32_MAX;
  if (shifted < INT32_MIN) shifted = INT32_MIN;
  return roundingDivideByPot(saturatingRoundingDoublingHighMul(static_cast<std::int32_t>(shifted), multiplier), right);
}

// A window-shaped layer (convolution, depthwise, pooling): positive sizes,
// strides and kernel; padding before the first window smaller than the
// kernel; and every output's window starting inside the input, so the
// clipped windows read only `in`.
inline bool windowShapesAgree(std::int32_t kernelH, std::int32_t kernelW, std::int32_t strideH, std::int32_t strideW,
                              std::int32_t padTop, std::int32_t padLeft, const Shape& in, const Shape& out) {
  const auto fits = [](std::int32_t inSize, std::int32_t outSize, std::int32_t k, std::int32_t s, std::int32_t pad) {
    return inSize >= 1 && outSize >= 1 && k >= 1 && s >= 1 && pad >= 0 && pad < k && (outSize - 1) * s - pad < inSize;
  };
  return in.c >= 1 && out.c >= 1 && fits(in.h, out.h, kernelH, strideH, padTop) &&
         fits(in.w, out.w, kernelW, strideW, padLeft);
}
inline bool convShapesAgree(const ConvParams& p, const Shape& in, const Shape& out) {
  return windowShapesAgree(p.kernelH, p.kernelW, p.strideH, p.strideW, p.padTop, p.padLeft, in, out);
}
// The calls each kernel (reference or Cortex-M4) asserts on entry.
inline bool convCallValid(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const void* input,
                          const void* weights, const Shape& out, const void* output) {
  return convShapesAgree(p, in, out) && q.multiplier && q.shift && input && weights && output;
}
inline bool pointwiseCallValid(const PerChannelQuant& q, const Shape& in, const void* input, const void* weights,
                               const Shape& out, const void* output) {
  return in.h == out.h && in.w == out.w && in.h >= 1 && in.w >= 1 && in.c >= 1 && out.c >= 1 && q.multiplier &&
         q.shift && input && weights && output;
}
inline bool depthwiseCallValid(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const void* input,
                               const void* weights, const Shape& out, const void* output) {
  return in.c == out.c && convCallValid(p, q, in, input, weights, out, output);
}
inline bool fullyConnectedCallValid(const PerChannelQuant& q, std::int32_t inFeatures, const void* input,
                                    const void* weights, std::int32_t outFeatures, const void* output) {
  return inFeatures >= 1 && outFeatures >= 1 && q.multiplier && q.shift && input && weights && output;
}
inline bool poolCallValid(const PoolParams& p, const Shape& in, const void* input, const Shape& out,
                          const void* output) {
  return in.c == out.c && windowShapesAgree(p.kernelH, p.kernelW, p.strideH, p.strideW, p.padTop, p.padLeft, in, out) &&
         input && output;
}
inline bool addCallValid(std::int32_t size, const void* input1, const void* input2, const void* output) {
  return size >= 0 && (size == 0 || (input1 && input2 && output));
}

inline std::int8_t clampToInt8(std::int32_t v, std::int32_t lo, std::int32_t hi) {
  return static_cast<std::int8_t>(v < lo ? lo : (v > hi ? hi : v));
}

}  // namespace aidi::fw
