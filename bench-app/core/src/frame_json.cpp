#include "aidi/core/frame_json.hpp"

#include <string>

#include "aidi/proto/messages.hpp"

namespace aidi::core {
namespace {

using json = nlohmann::ordered_json;
using namespace proto;


std::string text(const char* s, std::size_t n) { return std::string(s, n); }

const char* resetCauseName(ResetCause c) {
  switch (c) {
    case ResetCause::Unknown: return "unknown";
    case ResetCause::PowerOn: return "power_on";
    case ResetCause::BrownOut: return "brown_out";
    case ResetCause::Watchdog: return "watchdog";
    case ResetCause::Software: return "software";
    case ResetCause::Pin: return "pin";
  }
  return "invalid";
}
const char* powerFailCauseName(PowerFailCause c) {
  switch (c) {
    case PowerFailCause::BudgetExpired: return "budget_expired";
    case PowerFailCause::BrownOutDetector: return "brown_out_detector";
  }
  return "invalid";
}
const char* logLevelName(LogLevel l) {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
  }
  return "invalid";
}

json fields(const Hello& m) {
  return {{"firmware_version", std::to_string(m.firmwareMajor) + "." + std::to_string(m.firmwareMinor) + "." +
                                   std::to_string(m.firmwarePatch)},
          {"build_hash", hexText(m.buildHash, kBuildHashBytes)},
          {"sram_bytes", m.sramBytes},
          {"nvm_bytes", m.nvmBytes},
          {"clock_hz", m.clockHz},
          {"target", text(m.target, m.targetLength)},
          {"model", text(m.model, m.modelLength)},
          {"policy", text(m.policy, m.policyLength)}};
}
json fields(const Boot& m) {
  return {{"boot_count", m.bootCount}, {"reset_cause", resetCauseName(m.resetCause)},
          {"progress_valid", m.progressValid != 0}, {"inference", m.inference},
          {"layer", m.layer}, {"job", m.job}, {"restore_cycles", m.restoreCycles}};
}
json fields(const Checkpoint& m) {
  return {{"inference", m.inference},   {"layer", m.layer},
          {"job", m.job},               {"jobs_in_layer", m.jobsInLayer},
          {"cycles_since_boot", m.cyclesSinceBoot}, {"job_cycles", m.jobCycles},
          {"nvm_bytes", m.nvmBytes}};
}
json fields(const InferenceResult& m) {
  return {{"inference", m.inference},
          {"sample", m.sample},
          {"predicted", m.predicted},
          {"active_cycles", m.activeCycles},
          {"power_cycles", m.powerCycles},
          {"reexecuted_cycles", m.reexecutedCycles},
          {"checkpoint_cycles", m.checkpointCycles},
          {"boot_cycles", m.bootCycles},
          {"nvm_bytes", m.nvmBytes},
          {"logits_crc", m.logitsCrc},
          {"logits", std::vector<int>(m.logits, m.logits + m.logitCount)}};
}
json fields(const PowerFail& m) {
  return {{"cycles_since_boot", m.cyclesSinceBoot}, {"inference", m.inference}, {"layer", m.layer},
          {"job", m.job}, {"cause", powerFailCauseName(m.cause)}};
}
json fields(const Log& m) { return {{"level", logLevelName(m.level)}, {"text", text(m.text, m.textLength)}}; }
json fields(const DeviceError& m) {
  return {{"code", m.code}, {"detail", m.detail}, {"text", text(m.text, m.textLength)}};
}
json fields(const Pong& m) { return {{"nonce", m.nonce}, {"cycles_since_boot", m.cyclesSinceBoot}}; }
json fields(const RunCommand& m) {
  return {{"first_sample", m.firstSample}, {"sample_count", m.sampleCount}, {"policy", policyName(m.policy)},
          {"flags", m.flags}, {"repetitions", m.repetitions}};
}
json fields(const SetPlan& m) {
  json entries = json::array();
  for (std::size_t i = 0; i < m.entryCount; ++i)
    entries.push_back({{"tile_rows", m.entries[i].tileRows}, {"tile_channels", m.entries[i].tileChannels}});
  return {{"first_layer", m.firstLayer}, {"entries", entries}};
}
json fields(const Ping& m) { return {{"nonce", m.nonce}}; }
json fields(const Stop&) { return json::object(); }

const char* payloadError(PayloadStatus s) {
  switch (s) {
    case PayloadStatus::Ok: return nullptr;
    case PayloadStatus::TooShort: return "payload too short for its type";
    case PayloadStatus::BadField: return "payload field out of range";
    case PayloadStatus::WrongType: return "wrong type";
  }
  return "invalid payload";
}

template <class M>
void addFields(json& out, const Frame& frame) {
  M message{};
  if (const char* error = payloadError(decodeMessage(frame, message))) {
    out["error"] = error;
    out["payload_hex"] = hexText(frame.payload, frame.payloadSize);
  } else {
    out["fields"] = fields(message);
  }
}

}  // namespace

json frameToJson(const Frame& frame) {
  json out;
  const char* name = messageTypeName(frame.type);
  out["type"] = name ? json(name) : json(nullptr);
  out["type_id"] = frame.type;
  out["boot_id"] = frame.bootId;
  out["seq"] = frame.seq;
  switch (static_cast<MessageType>(frame.type)) {
    case MessageType::Hello: addFields<Hello>(out, frame); break;
    case MessageType::Boot: addFields<Boot>(out, frame); break;
    case MessageType::Checkpoint: addFields<Checkpoint>(out, frame); break;
    case MessageType::Result: addFields<InferenceResult>(out, frame); break;
    case MessageType::PowerFail: addFields<PowerFail>(out, frame); break;
    case MessageType::Log: addFields<Log>(out, frame); break;
    case MessageType::Error: addFields<DeviceError>(out, frame); break;
    case MessageType::Pong: addFields<Pong>(out, frame); break;
    case MessageType::Run: addFields<RunCommand>(out, frame); break;
    case MessageType::SetPlan: addFields<SetPlan>(out, frame); break;
    case MessageType::Ping: addFields<Ping>(out, frame); break;
    case MessageType::Stop: addFields<Stop>(out, frame); break;
    default: out["payload_hex"] = hexText(frame.payload, frame.payloadSize); break;
  }
  return out;
}

json countersToJson(const DecoderCounters& c) {
  return {{"bytes", c.bytes},
          {"frames", c.frames},
          {"dropped", c.droppedFrames()},
          {"bad_crc", c.badCrc},
          {"bad_cobs", c.badCobs},
          {"oversize", c.oversize},
          {"too_short", c.tooShort},
          {"bad_version", c.badVersion},
          {"unknown_type", c.unknownType},
          {"seq_gaps", c.seqGaps},
          {"frames_missed", c.framesMissed},
          {"boot_changes", c.bootChanges},
          {"empty_frames", c.emptyFrames}, {"truncated", c.truncated}};
}

std::string hexText(const std::uint8_t* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xF]);
  }
  return out;
}

}  // namespace aidi::core
