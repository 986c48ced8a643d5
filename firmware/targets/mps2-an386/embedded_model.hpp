// The model file and Fashion-MNIST subset that model_blobs.S links into a
// test or benchmark firmware, parsed and given an activation arena; on any
// problem an error frame, then the firmware halts.
#pragma once

#include <cstdint>

#include "arena_plan.hpp"
#include "model_view.hpp"
#include "telemetry_uart.hpp"

extern "C" const std::uint8_t aidi_model_start[], aidi_model_end[];
extern "C" const std::uint8_t aidi_subset_start[], aidi_subset_end[];

namespace aidi::fw::mps2 {

inline constexpr std::size_t kEmbeddedArenaBytes = 192 * 1024;
alignas(8) inline std::int8_t g_embeddedArena[kEmbeddedArenaBytes];

struct EmbeddedModel {
  ModelView model;
  ArenaPlan plan;
  std::int8_t* arena = g_embeddedArena;
  std::uint32_t imageCount = 0;
  const std::uint8_t* images = nullptr;  // 28x28 uint8 each (the subset file's layout)
};

[[noreturn]] inline void halt() {
  for (;;) __asm volatile("wfi");
}

inline void loadEmbeddedModel(EmbeddedModel& m, TelemetryUart& telemetry) {
  const auto status = m.model.parse(aidi_model_start, static_cast<std::size_t>(aidi_model_end - aidi_model_start));
  if (status != ModelStatus::Ok) {
    telemetry.sendError(1, static_cast<std::uint32_t>(status), toString(status));
    halt();
  }
  if (!planArena(m.model, m.plan) || m.plan.bytes > kEmbeddedArenaBytes) {
    telemetry.sendError(2, m.plan.bytes, "activation arena too small");
    halt();
  }
  const std::uint8_t* count = aidi_subset_start + 8;  // u32, little-endian
  m.imageCount = static_cast<std::uint32_t>(count[0]) | static_cast<std::uint32_t>(count[1]) << 8 |
                 static_cast<std::uint32_t>(count[2]) << 16 | static_cast<std::uint32_t>(count[3]) << 24;
  m.images = aidi_subset_start + 20 + m.imageCount;  // after the header and one label per image
}

}  // namespace aidi::fw::mps2
