// The output stage of a layer: requantize an accumulator, add the output zero
// point, clamp to the activation range. Held in registers by value: int8
// stores may alias anything, so fields read through a params reference would
// be reloaded after every output byte.
#pragma once

#include <cstdint>

#include "aidi/kernels/params.hpp"
#include "simd.hpp"

namespace aidi::fw::cm4 {

// Any shift, any activation range: requantizeFast, then the clamp.
struct OutputStage {
  std::int32_t offset, lo, hi;
  std::int8_t operator()(std::int32_t acc, std::int32_t multiplier, std::int32_t shift) const {
    return clampToInt8(requantizeFast(acc, multiplier, shift) + offset, lo, hi);
  }
};

// Every channel shifts right (shift <= -1), as in nearly every trained layer.
// With e = -shift, requantizeFast's rounding floor((y + 2^(e-1)) / 2^e), where
// y = x + (x >> 31), equals floor((floor(y / 2^(e-1)) + 1) / 2); the +1 and
// twice the zero point go in before that last halving, which SSAT performs
// together with the int8 saturation. kNarrow adds the clamp for activation
// ranges narrower than int8 (ReLU6); the full range needs nothing beyond SSAT.
template <bool kNarrow>
struct RightShiftOutputStage {
  std::int32_t offsetTerm;  // 2 * output zero point + 1
  std::int32_t lo, hi;
  std::int8_t operator()(std::int32_t acc, std::int32_t multiplier, std::int32_t shift) const {
    std::int32_t x = smmulrDoubled(acc, multiplier);
    x = (x + (x >> 31)) >> ~shift;  // ~shift == e - 1
    const std::int32_t y = ssat8Asr1(x + offsetTerm);
    return kNarrow ? clampToInt8(y, lo, hi) : static_cast<std::int8_t>(y);
  }
};

// Calls body(stage) with the right-shift output stage for this zero point and
// activation range, with the clamp only when the range is narrower than int8.
template <class Body>
void withRightShiftOutputStage(std::int32_t outputOffset, std::int32_t lo, std::int32_t hi, Body&& body) {
  if (lo > -128 || hi < 127)
    body(RightShiftOutputStage<true>{2 * outputOffset + 1, lo, hi});
  else
    body(RightShiftOutputStage<false>{2 * outputOffset + 1, lo, hi});
}

// Calls body(stage) with the cheapest output stage that is exact for these
// channels' shifts and this activation range.
template <class Body>
void withOutputStage(const ConvParams& p, const PerChannelQuant& q, std::int32_t channels, Body&& body) {
  bool rightShiftsOnly = true;
  for (std::int32_t c = 0; c < channels; ++c) rightShiftsOnly = rightShiftsOnly && q.shift[c] < 0;
  if (rightShiftsOnly)
    withRightShiftOutputStage(p.outputOffset, p.actMin, p.actMax, body);
  else
    body(OutputStage{p.outputOffset, p.actMin, p.actMax});
}

}  // namespace aidi::fw::cm4
