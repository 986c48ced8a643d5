// The reference int8 kernels: plain loops, the oracle every optimised kernel
// must match byte for byte. One function per file in kernels/ref/.
//
// Layouts: activations HWC; conv weights OHWI [outC][kH][kW][inC]; depthwise
// weights HWC [kH][kW][C] (channel multiplier 1); fully connected weights OI.
// Out-of-image taps read the input zero point (they contribute 0).
#pragma once

#include <cstdint>

#include "aidi/kernels/params.hpp"

namespace aidi::fw::ref {

void conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
               const std::int8_t* weights, const std::int32_t* bias, const Shape& out, std::int8_t* output);

// conv2d_s8 with a 1x1 kernel, stride 1, no padding: weights [outC][inC].
void pointwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output);

void depthwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output);

// out[o] = clamp(requantize(bias[o] + sum_i (in[i] + inputOffset) * w[o][i]) + outputOffset)
void fully_connected_s8(const ConvParams& p, const PerChannelQuant& q, std::int32_t inFeatures,
                        const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
                        std::int32_t outFeatures, std::int8_t* output);

// Average of the in-image taps, rounded half away from zero.
void avg_pool_s8(const PoolParams& p, const Shape& in, const std::int8_t* input, const Shape& out,
                 std::int8_t* output);

void max_pool_s8(const PoolParams& p, const Shape& in, const std::int8_t* input, const Shape& out,
                 std::int8_t* output);

void add_s8(const AddParams& p, std::int32_t size, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output);

// A convolution's sums in parts (SONIC's loop-ordered buffering, whose
// passes each add one group of input channels to partial sums kept in NVM):
// adds to `acc` (out.h x out.w x out.c int32, the bias put in by the
// caller) the taps of input channels [firstChannel, endChannel). A fully
// connected layer is the 1x1 case on a 1x1xN input. Once every channel is
// in, requantize_s32 gives conv2d_s8's output exactly: int32 sums do not
// depend on their order.
void conv2d_accumulate_s32(const ConvParams& p, const Shape& in, const std::int8_t* input, const std::int8_t* weights,
                           const Shape& out, std::int32_t firstChannel, std::int32_t endChannel, std::int32_t* acc);
// The output stage of conv2d_s8 on finished sums: `pixels` x `channels` values.
void requantize_s32(const ConvParams& p, const PerChannelQuant& q, std::int32_t pixels, std::int32_t channels,
                    const std::int32_t* acc, std::int8_t* output);

}  // namespace aidi::fw::ref
