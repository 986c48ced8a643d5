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

// Runs `model` on a 28x28 uint8 image. `arena` must hold plan.bytes bytes.
// Writes the output tensor's int8 values to `logits` (capacity `maxLogits`)
// and returns the first index of the largest logit.
int runPlainInference(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels,
                      const std::uint8_t* image, std::int8_t* arena, std::int8_t* logits, int maxLogits);

// Executes layer `index` of `model` with every tensor at its arena offset.
void runLayer(const ModelView& model, const ArenaPlan& plan, const KernelSet& kernels, std::uint16_t index,
              std::int8_t* arena);

}  // namespace aidi::fw
