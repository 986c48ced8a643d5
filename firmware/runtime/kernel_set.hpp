// The int8 kernels an inference runs with: the reference set (the oracle) or
// the Cortex-M4 set. Same signatures, chosen once, so one runner serves both.
#pragma once

#include "aidi/kernels/params.hpp"

namespace aidi::fw {

struct KernelSet {
  void (*conv2d)(const ConvParams&, const PerChannelQuant&, const Shape&, const std::int8_t*, const std::int8_t*,
                 const std::int32_t*, const Shape&, std::int8_t*);
  void (*pointwiseConv2d)(const ConvParams&, const PerChannelQuant&, const Shape&, const std::int8_t*,
                          const std::int8_t*, const std::int32_t*, const Shape&, std::int8_t*);
  void (*depthwiseConv2d)(const ConvParams&, const PerChannelQuant&, const Shape&, const std::int8_t*,
                          const std::int8_t*, const std::int32_t*, const Shape&, std::int8_t*);
  void (*fullyConnected)(const ConvParams&, const PerChannelQuant&, std::int32_t, const std::int8_t*,
                         const std::int8_t*, const std::int32_t*, std::int32_t, std::int8_t*);
  void (*avgPool)(const PoolParams&, const Shape&, const std::int8_t*, const Shape&, std::int8_t*);
  void (*maxPool)(const PoolParams&, const Shape&, const std::int8_t*, const Shape&, std::int8_t*);
  void (*add)(const AddParams&, std::int32_t, const std::int8_t*, const std::int8_t*, std::int8_t*);
  // A convolution's int32 sums over a group of input channels (SONIC's passes).
  void (*convAccumulate)(const ConvParams&, const Shape&, const std::int8_t*, const std::int8_t*, const Shape&,
                         std::int32_t, std::int32_t, std::int32_t*);
};

const KernelSet& referenceKernels();
// The Cortex-M4 kernels (portable C stand-ins for the DSP instructions off target).
const KernelSet& cm4Kernels();

}  // namespace aidi::fw
