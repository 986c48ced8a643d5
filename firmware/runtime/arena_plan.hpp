// Where each activation tensor of a model lives in one SRAM arena. A tensor
// is live from the layer that writes it to the last layer that reads it;
// tensors whose lifetimes overlap never share bytes. Greedy first fit in
// production order. The plan's size is the model's peak activation SRAM.
#pragma once

#include <cstdint>

#include "model_view.hpp"

namespace aidi::fw {

inline constexpr std::uint16_t kMaxTensors = 128;

struct ArenaPlan {
  std::uint32_t offset[kMaxTensors];
  std::uint32_t bytes = 0;  // arena size needed
};

// False when the model has more than kMaxTensors tensors.
bool planArena(const ModelView& model, ArenaPlan& plan);

// Lifetimes in layer indices: tensor t is written by layer first[t] (-1 for
// the model input) and last read by layer last[t] (-1 if never read).
void tensorLifetimes(const ModelView& model, std::int32_t* first, std::int32_t* last);

}  // namespace aidi::fw
