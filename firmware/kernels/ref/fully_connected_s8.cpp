#include "aidi/kernels/ref.hpp"

namespace aidi::fw::ref {

void fully_connected_s8(const ConvParams& p, const PerChannelQuant& q, std::int32_t inFeatures,
                        const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
                        std::int32_t outFeatures, std::int8_t* output) {
  AIDI_KERNEL_ASSERT(fullyConnectedCallValid(q, inFeatures, input, weights, outFeatures, output));
  for (std::int32_t o = 0; o < outFeatures; ++o) {
    std::int32_t acc = bias ? bias[o] : 0;
    const std::int8_t* w = weights + o * inFeatures;
    for (std::int32_t i = 0; i < inFeatures; ++i) acc += (input[i] + p.inputOffset) * w[i];
    const std::int32_t y = requantize(acc, q.multiplier[o], q.shift[o]) + p.outputOffset;
    output[o] = clampToInt8(y, p.actMin, p.actMax);
  }
}

}  // namespace aidi::fw::ref
