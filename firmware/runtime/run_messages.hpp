// The Hello, Boot and Result frames every target's inference firmware sends,
// filled from the runtime (either engine) the same way on each board.
#pragma once

#include <cstdint>
#include <cstring>

#include "aidi/proto/crc32c.hpp"
#include "aidi/proto/messages.hpp"
#include "intermittent_runtime.hpp"
#include "model_view.hpp"

namespace aidi::fw {

// Who the device is: the bench checks target and clock against the board
// profile it runs the device with. `buildHashHex`: the build id's hex text.
inline proto::Hello helloMessage(const char* target, const ModelView& model, proto::Policy policy,
                                 std::uint32_t clockHz, std::uint32_t sramBytes, std::uint32_t nvmBytes,
                                 const char* buildHashHex) {
  proto::Hello h{};
  h.firmwareMajor = 0;
  h.firmwareMinor = 1;
  const auto nibble = [](char c) { return static_cast<std::uint8_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10); };
  for (std::size_t i = 0; i < proto::kBuildHashBytes && buildHashHex[2 * i] && buildHashHex[2 * i + 1]; ++i)
    h.buildHash[i] = static_cast<std::uint8_t>(nibble(buildHashHex[2 * i]) << 4 | nibble(buildHashHex[2 * i + 1]));
  h.sramBytes = sramBytes;
  h.nvmBytes = nvmBytes;
  h.clockHz = clockHz;
  const auto copy = [](const char* from, char* to, std::uint8_t& length, std::size_t max) {
    length = static_cast<std::uint8_t>(std::strlen(from) < max ? std::strlen(from) : max);
    std::memcpy(to, from, length);
  };
  copy(target, h.target, h.targetLength, proto::kMaxTargetName);
  copy(model.name(), h.model, h.modelLength, proto::kMaxModelName);
  copy(proto::policyName(policy), h.policy, h.policyLength, proto::kMaxPolicyName);
  return h;
}

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
