#include "aidi/kernels/ref.hpp"

namespace aidi::fw::ref {

void add_s8(const AddParams& p, std::int32_t size, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output) {
  AIDI_KERNEL_ASSERT(addCallValid(size, input1, input2, output));
  for (std::int32_t i = 0; i < size; ++i) {
    const std::int32_t a = requantize((input1[i] + p.input1Offset) * (1 << p.leftShift), p.input1Multiplier,
                                      p.input1Shift);
    const std::int32_t b = requantize((input2[i] + p.input2Offset) * (1 << p.leftShift), p.input2Multiplier,
                                      p.input2Shift);
    const std::int32_t y = requantize(a + b, p.outputMultiplier, p.outputShift) + p.outputOffset;
    output[i] = clampToInt8(y, p.actMin, p.actMax);
  }
}

}  // namespace aidi::fw::ref
