// One inference of a model with its kernels, start to end, under continuous
// power: no jobs, no checkpoints, no NVM. This is the "plain inference" of the
// energy-bound limit (DESIGN.md) and, with the reference kernels, the oracle
// the intermittent runtime's results must equal.
#pragma once

#include <cstdint>

#include "arena_plan.hpp"
#include "kernel_set.hpp"
#include "model_view.hpp"

namespace aidi::fw {

// The model's input tensor from a 28x28 uint8 image (scale 1/255: the int8
// value is the pixel plus the zero point), `count` values from `first`.
void quantizeImage(const ModelView& model, const std::uint8_t* image, std::uint32_t first, std::uint32_t count,
                   std::int8_t* out);

// Runs `model` on a 28x28 uint8 image. `arena` must hold plan.bytes bytes.
// Writes the output tensor's int8 values to `logits` (capacity `maxLogits`)
// and returns the first index of the largest logit.
int runPlainInference(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels,
                      const std::uint8_t* image, std::int8_t* arena, std::int8_t* logits, int maxLogits);

// A tensor, or a band of its rows, in SRAM.
struct TensorSlice {
  Shape shape;
  std::int8_t* data;
};

// The kernel parameters of a convolution-shaped layer (conv, depthwise,
// fully connected), with `padTop` above the first input row given.
ConvParams convParamsOf(const ModelView& model, const LayerInfo& l, std::int32_t padTop);

// Executes layer `l` on `in` (and `in2` for add) into `out`. `padTop` is the
// padding above the first input row: the layer's own for a whole tensor, less
// (or none) for a band of rows further down. The one place that turns a layer
// description into kernel parameters.
void executeLayer(const ModelView& model, const KernelSet& kernels, const LayerInfo& l, const TensorSlice& in,
                  const TensorSlice* in2, std::int32_t padTop, const TensorSlice& out);

// Executes output rows [first, last) of layer `index` of `model`, in one
// kernel call, with every tensor at its arena offset (`plan`): the band the
// resident engine computes, the whole layer for runLayer.
void runRows(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels, std::uint16_t index,
             std::int32_t first, std::int32_t last, std::int8_t* arena);

// Executes layer `index` of `model` with every tensor at its arena offset.
void runLayer(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels, std::uint16_t index,
              std::int8_t* arena);

}  // namespace aidi::fw
