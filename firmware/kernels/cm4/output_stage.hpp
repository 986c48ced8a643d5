// The output stage of a layer: requantize an accumulator, add the output zero
// point, clamp to the activation range. Held in registers by value: int8
// stores may alias anything, so fields read through a params reference would
// be reloaded after every output byte.
#pragma once

#include <cstdint>

#include "aidi/kernels/params.hpp"
#include "simd.hpp"

namespace aidi::fw::cm4 {

// How a channel's shift splits for the stage below: the accumulator goes
// left by `left` before the doubling high multiply (1 is the doubling), the
// product left by `doubling`, and right by `right` before the last halving.
struct ShiftParts {
  std::int32_t left, doubling, right;
};
inline ShiftParts shiftParts(std::int32_t shift) {
  return shift >= 0 ? ShiftParts{1 + shift, 1, 0} : ShiftParts{1, 0, ~shift};
}

// The output stage in the form the assembly kernels compute it, per channel:
//   x = smmulr(acc << left, m) << doubling;  x = (x + (x >> 31)) >> right;
//   y = ssat8((x + 2 * zero point + 1) >> 1), then the activation clamp.
// A right shift (shift = -e, e >= 1: left 1, doubling 0, right e - 1):
// requantizeFast's rounding floor((y + 2^(e-1)) / 2^e), y = x + (x >> 31),
// equals floor((floor(y / 2^(e-1)) + 1) / 2); the +1 and twice the zero point
// go in before that last halving, which SSAT performs with the int8
// saturation. A left shift (shift >= 0: left 1 + shift, doubling 1, right 0):
// x is requantizeFast's result R doubled exactly (2R, or 2R - 1 after the sign
// step), which the last halving returns as R plus the zero point. Both equal
// requantizeFast for |acc << max(shift, 0)| < 2^30.
//
// kLeftShifts: some channel of the layer shifts left (legal, though rare in
// trained layers); without it the stage skips the left shift and doubling.
// kNarrow adds the clamp for activation ranges narrower than int8 (ReLU6).
template <bool kNarrow, bool kHasLeftShifts = false>
struct ShiftOutputStage {
  static constexpr bool kLeftShifts = kHasLeftShifts;
  std::int32_t offsetTerm;  // 2 * output zero point + 1
  std::int32_t lo, hi;
  std::int8_t operator()(std::int32_t acc, std::int32_t multiplier, std::int32_t shift) const {
    std::int32_t x;
    if constexpr (kHasLeftShifts) {
      const ShiftParts parts = shiftParts(shift);
      x = smmulr(static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) << parts.left), multiplier);
      x = static_cast<std::int32_t>(static_cast<std::uint32_t>(x) << parts.doubling);
      x = (x + (x >> 31)) >> parts.right;
    } else {
      x = smmulrDoubled(acc, multiplier);
      x = (x + (x >> 31)) >> ~shift;  // ~shift == e - 1
    }
    const std::int32_t y = ssat8Asr1(x + offsetTerm);
    return kNarrow ? clampToInt8(y, lo, hi) : static_cast<std::int8_t>(y);
  }
};

// Every channel shifts right (shift <= -1), as in nearly every trained layer.
template <bool kNarrow>
using RightShiftOutputStage = ShiftOutputStage<kNarrow, false>;

// Calls body(stage) with the output stage for this zero point, activation
// range and shifts: the clamp only when the range is narrower than int8,
// the left-shift steps only when a channel shifts left.
template <bool kLeftShifts = false, class Body>
void withShiftOutputStage(std::int32_t outputOffset, std::int32_t lo, std::int32_t hi, Body&& body) {
  if (lo > -128 || hi < 127)
    body(ShiftOutputStage<true, kLeftShifts>{2 * outputOffset + 1, lo, hi});
  else
    body(ShiftOutputStage<false, kLeftShifts>{2 * outputOffset + 1, lo, hi});
}
template <class Body>
void withRightShiftOutputStage(std::int32_t outputOffset, std::int32_t lo, std::int32_t hi, Body&& body) {
  withShiftOutputStage<false>(outputOffset, lo, hi, body);
}

// Calls body(stage) with the cheapest output stage that is exact for these
// channels' shifts and this activation range.
template <class Body>
void withOutputStage(const ConvParams& p, const PerChannelQuant& q, std::int32_t channels, Body&& body) {
  bool leftShifts = false;
  for (std::int32_t c = 0; c < channels; ++c) leftShifts = leftShifts || q.shift[c] >= 0;
  if (leftShifts)
    withShiftOutputStage<true>(p.outputOffset, p.actMin, p.actMax, body);
  else
    withShiftOutputStage<false>(p.outputOffset, p.actMin, p.actMax, body);
}

}  // namespace aidi::fw::cm4
