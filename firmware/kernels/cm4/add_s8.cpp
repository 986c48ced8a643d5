#include "aidi/kernels/cm4.hpp"
#include "aidi/kernels/ref.hpp"
#include "output_stage.hpp"
#include "simd.hpp"

namespace aidi::fw::cm4 {
namespace {

// x / 2^e rounded half away from zero for e >= 0 (requantizeFast's rounding):
// `negative` is -1 when e > 0 (the nudge below zero), 0 when e == 0.
inline std::int32_t roundingShift(std::int32_t x, std::int32_t e, std::int32_t half, std::int32_t negative) {
  return (x + ((x >> 31) & negative) + half) >> e;
}

}  // namespace

// TFLite's quantized add when no shift is a left shift (as trained layers
// have them: the input of the larger scale has multiplier 0.5, shift 0):
// ~30 instructions an element instead of ~135. The input offset
// and the left shift fold into x << (left + 1) plus offset << (left + 1), the
// doubled operand SMMULR wants; the output stage is RightShiftOutputStage's.
void add_s8(const AddParams& p, std::int32_t size, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output) {
  AIDI_KERNEL_ASSERT(addCallValid(size, input1, input2, output));
  // |x + offset| <= 255, shifted by up to 21, stays below 2^30 as the doubling needs.
  if (p.input1Shift > 0 || p.input2Shift > 0 || p.outputShift >= 0 || p.leftShift < 0 || p.leftShift > 20) {
    ref::add_s8(p, size, input1, input2, output);
    return;
  }
  const std::int32_t up = p.leftShift + 1;
  const std::int32_t offset1 = p.input1Offset * (1 << up), offset2 = p.input2Offset * (1 << up);
  const std::int32_t m1 = p.input1Multiplier, m2 = p.input2Multiplier, mOut = p.outputMultiplier;
  const std::int32_t e1 = -p.input1Shift, e2 = -p.input2Shift, outputShift = p.outputShift;
  const std::int32_t half1 = (1 << e1) >> 1, half2 = (1 << e2) >> 1;
  const std::int32_t negative1 = e1 > 0 ? -1 : 0, negative2 = e2 > 0 ? -1 : 0;
  withRightShiftOutputStage(p.outputOffset, p.actMin, p.actMax, [&](const auto& stage) {
    for (std::int32_t i = 0; i < size; ++i) {
      const std::int32_t a = roundingShift(smmulr(input1[i] * (1 << up) + offset1, m1), e1, half1, negative1);
      const std::int32_t b = roundingShift(smmulr(input2[i] * (1 << up) + offset2, m2), e2, half2, negative2);
      output[i] = stage(a + b, mOut, outputShift);
    }
  });
}

}  // namespace aidi::fw::cm4
