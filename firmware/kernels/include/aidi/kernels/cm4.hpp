// Cortex-M4 int8 kernels: operands widened once to int16 pairs (SXTB16 /
// SXTAB16), inner loops of loads and SMLADs in assembly (2x2 tiles for
// pointwise and im2col convolution, a per-pixel loop for depthwise 3x3, two
// rows per pass for fully connected), and a six-instruction output stage
// for layers that shift right. Same signatures and bit-exact results as
// kernels/ref (tested on random shapes, natively with portable stand-ins for
// the DSP instructions and on the virtual board with the instructions
// themselves). One kernel per file in kernels/cm4/; the README's "The
// kernels" and kernel_bench tell the design and the figures.
#pragma once

#include <cstdint>

#include "aidi/kernels/params.hpp"

namespace aidi::fw::cm4 {

// Largest kernel-window size (kernelH * kernelW * inC) conv2d_s8 handles with
// im2col (3x3x64, or a 1x1 of 576 channels; the zoo's largest is 192), and
// half the largest fully connected input; larger ones fall back to the
// reference kernel. It sizes the input scratch (4 bytes per k: two pixels of
// int16) and the im2col rows (2 bytes per k): 3,456 bytes. The widened-weight
// table (8 KB) is the rest of the kernels' 11,648 bytes of static scratch;
// halving it costs 3-5 % more instructions per model (kernel_bench).
inline constexpr std::int32_t kMaxIm2colK = 576;

// Declares that the weights, biases and quantization the kernels are given
// stay at their addresses, unchanged (a model in flash or a loaded model
// image), until the next call of this function: consecutive calls for the
// same layer then reuse its widened weights. Off by default (tests hand
// kernels buffers that come and go); calling it also drops what is cached.
void useConstantWeights(bool constant);

void conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
               const std::int8_t* weights, const std::int32_t* bias, const Shape& out, std::int8_t* output);
void pointwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output);
void depthwise_conv2d_s8(const ConvParams& p, const PerChannelQuant& q, const Shape& in, const std::int8_t* input,
                         const std::int8_t* weights, const std::int32_t* bias, const Shape& out,
                         std::int8_t* output);
void fully_connected_s8(const ConvParams& p, const PerChannelQuant& q, std::int32_t inFeatures,
                        const std::int8_t* input, const std::int8_t* weights, const std::int32_t* bias,
                        std::int32_t outFeatures, std::int8_t* output);
// SONIC's partial sums: ref::conv2d_accumulate_s32 with the inputs of a
// window tap widened once for every output channel.
void conv2d_accumulate_s32(const ConvParams& p, const Shape& in, const std::int8_t* input, const std::int8_t* weights,
                           const Shape& out, std::int32_t firstChannel, std::int32_t endChannel, std::int32_t* acc);
void add_s8(const AddParams& p, std::int32_t size, const std::int8_t* input1, const std::int8_t* input2,
            std::int8_t* output);
void avg_pool_s8(const PoolParams& p, const Shape& in, const std::int8_t* input, const Shape& out,
                 std::int8_t* output);
void max_pool_s8(const PoolParams& p, const Shape& in, const std::int8_t* input, const Shape& out,
                 std::int8_t* output);

}  // namespace aidi::fw::cm4
