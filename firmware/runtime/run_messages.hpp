// The Boot and Result frames every target's inference firmware sends, filled
// from the runtime (either engine) the same way on each board.
#pragma once

#include <cstdint>

#include "aidi/proto/crc32c.hpp"
#include "aidi/proto/messages.hpp"
#include "intermittent_runtime.hpp"
#include "model_view.hpp"

namespace aidi::fw {

inline proto::Boot bootMessage(std::uint32_t boot, proto::ResetCause cause, RunStatus run, const Progress& progress,
                               std::uint32_t restoreCycles) {
  proto::Boot b{};
  b.bootCount = boot;
  b.resetCause = cause;
  b.progressValid = run != RunStatus::Idle;
  b.inference = progress.inference;
  b.layer = progress.layer;
  b.job = progress.job;
  b.restoreCycles = restoreCycles;
  return b;
}

// After the runtime reported Done: its prediction and logits (CRC over all of them).
template <class Runtime>
proto::InferenceResult resultMessage(Runtime& runtime, const ModelView& model, std::uint32_t sample,
                                     std::uint32_t powerCycles, std::uint64_t nvmBytes) {
  proto::InferenceResult r{};
  r.inference = runtime.progress().inference;
  r.sample = sample;
  r.predicted = static_cast<std::uint8_t>(runtime.result(r.logits, proto::kMaxLogits));
  r.logitCount = static_cast<std::uint8_t>(model.tensor(model.outputTensor()).shape.size());
  r.logitsCrc = proto::Crc32c::calculate(r.logits, r.logitCount);
  r.powerCycles = powerCycles;
  r.nvmBytes = nvmBytes;
  return r;
}

}  // namespace aidi::fw
