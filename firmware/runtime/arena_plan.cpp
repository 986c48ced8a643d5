#include "arena_plan.hpp"

namespace aidi::fw {

void tensorLifetimes(const ModelView& model, std::int32_t* first, std::int32_t* last) {
  for (std::uint16_t t = 0; t < model.tensorCount(); ++t) first[t] = last[t] = -1;
  for (std::uint16_t l = 0; l < model.layerCount(); ++l) {
    const LayerInfo info = model.layer(l);
    first[info.output] = l;
    if (last[info.output] < l) last[info.output] = l;
    const std::uint16_t inputs[2] = {info.input0, info.input1};
    for (std::uint16_t in : inputs) {
      if (in == kNoTensor) continue;
      if (last[in] < l) last[in] = l;
    }
  }
}

bool planArena(const ModelView& model, ArenaPlan& plan) {
  const std::uint16_t tensors = model.tensorCount();
  if (tensors > kMaxTensors) return false;
  std::int32_t first[kMaxTensors], last[kMaxTensors];
  tensorLifetimes(model, first, last);
  bool placed[kMaxTensors] = {};
  // Sizes decoded once: the placement below looks at every pair (it runs at
  // every boot of the intermittent engines).
  std::uint32_t sizes[kMaxTensors];
  for (std::uint16_t t = 0; t < tensors; ++t) sizes[t] = static_cast<std::uint32_t>(model.tensor(t).shape.size());
  plan.bytes = 0;
  // Production order: the input, then each layer's output.
  for (std::int32_t step = -1; step < model.layerCount(); ++step) {
    const std::uint16_t t = step < 0 ? model.inputTensor() : model.layer(static_cast<std::uint16_t>(step)).output;
    const std::uint32_t size = sizes[t];
    // The placed tensors alive at the same time (a handful), then first fit
    // among them.
    std::uint16_t clash[kMaxTensors];
    std::uint16_t clashes = 0;
    for (std::uint16_t o = 0; o < tensors; ++o)
      if (placed[o] && last[o] >= first[t] && last[t] >= first[o]) clash[clashes++] = o;
    std::uint32_t offset = 0;
    for (bool moved = true; moved;) {
      moved = false;
      for (std::uint16_t i = 0; i < clashes; ++i) {
        const std::uint16_t o = clash[i];
        if (offset < plan.offset[o] + sizes[o] && plan.offset[o] < offset + size) {
          offset = (plan.offset[o] + sizes[o] + 3u) & ~3u;
          moved = true;
        }
      }
    }
    plan.offset[t] = offset;
    placed[t] = true;
    if (offset + size > plan.bytes) plan.bytes = offset + size;
  }
  return true;
}

}  // namespace aidi::fw
