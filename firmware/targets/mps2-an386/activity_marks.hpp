// Calls the bench's counting plugin marks: which layer the device works on,
// and that it has committed its progress. With the NVM waits' marks
// (costed_nvm.hpp) they let the bench split the energy it charges into
// compute, NVM, boot and re-executed work, per layer (activity_marks.cpp).
#pragma once

#include <cstdint>

extern "C" void aidi_layer_marks();
extern "C" void aidi_commit_mark();

namespace aidi::fw::mps2 {

inline constexpr std::uint16_t kMarkedLayers = 256;

inline void markLayer(std::uint16_t layer) {
  // The layer's own stub: the table's address (its Thumb bit set) plus two
  // bytes per layer; layers past the table share its last stub.
  const std::uintptr_t base = reinterpret_cast<std::uintptr_t>(&aidi_layer_marks);
  const std::uintptr_t index = layer < kMarkedLayers ? layer : kMarkedLayers - 1;
  reinterpret_cast<void (*)()>(base + 2 * index)();
}

inline void markCommit() { aidi_commit_mark(); }

}  // namespace aidi::fw::mps2
