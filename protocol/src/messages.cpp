#include "aidi/proto/messages.hpp"

#include "aidi/proto/internal/bytes.hpp"

namespace aidi::proto {
namespace {

using internal::ByteReader;
using internal::ByteWriter;

std::size_t done(const ByteWriter& w) { return w.ok() ? w.size() : 0; }

PayloadStatus status(const ByteReader& r) { return r.ok() ? PayloadStatus::Ok : PayloadStatus::TooShort; }

template <class Enum>
Enum asEnum(std::uint8_t v) {
  return static_cast<Enum>(v);
}

struct TypeName {
  MessageType type;
  const char* name;
};
constexpr TypeName kNames[] = {
    {MessageType::Hello, "hello"},       {MessageType::Boot, "boot"},   {MessageType::Checkpoint, "checkpoint"},
    {MessageType::Result, "result"},     {MessageType::PowerFail, "power_fail"}, {MessageType::Log, "log"},
    {MessageType::Error, "error"},       {MessageType::Pong, "pong"},   {MessageType::Run, "run"},
    {MessageType::SetPlan, "set_plan"},  {MessageType::Ping, "ping"},   {MessageType::Stop, "stop"},
};

}  // namespace

const char* messageTypeName(std::uint8_t type) {
  for (const auto& n : kNames)
    if (static_cast<std::uint8_t>(n.type) == type) return n.name;
  return nullptr;
}

bool isKnownMessageType(std::uint8_t type) { return messageTypeName(type) != nullptr; }

// --- hello ------------------------------------------------------------------
std::size_t encodePayload(const Hello& m, std::uint8_t* out, std::size_t capacity) {
  if (m.targetLength > kMaxTargetName || m.modelLength > kMaxModelName || m.policyLength > kMaxPolicyName) return 0;
  ByteWriter w(out, capacity);
  w.u8(m.firmwareMajor);
  w.u8(m.firmwareMinor);
  w.u16(m.firmwarePatch);
  w.bytes(m.buildHash, kBuildHashBytes);
  w.u32(m.sramBytes);
  w.u32(m.nvmBytes);
  w.u32(m.clockHz);
  w.str8(m.target, m.targetLength);
  w.str8(m.model, m.modelLength);
  w.str8(m.policy, m.policyLength);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Hello& m) {
  ByteReader r(in, size);
  m.firmwareMajor = r.u8();
  m.firmwareMinor = r.u8();
  m.firmwarePatch = r.u16();
  r.bytes(m.buildHash, kBuildHashBytes);
  m.sramBytes = r.u32();
  m.nvmBytes = r.u32();
  m.clockHz = r.u32();
  if (!r.ok()) return PayloadStatus::TooShort;
  // A length byte above the field's maximum is a bad field; one that runs past
  // the payload is a short payload.
  const auto str = [&](char* s, std::size_t cap, std::uint8_t& len) {
    if (r.remaining() >= 1 && in[size - r.remaining()] > cap) return PayloadStatus::BadField;
    r.str8(s, cap, len);
    s[len] = '\0';
    return status(r);
  };
  if (auto s = str(m.target, kMaxTargetName, m.targetLength); s != PayloadStatus::Ok) return s;
  if (auto s = str(m.model, kMaxModelName, m.modelLength); s != PayloadStatus::Ok) return s;
  return str(m.policy, kMaxPolicyName, m.policyLength);
}

// --- boot -------------------------------------------------------------------
std::size_t encodePayload(const Boot& m, std::uint8_t* out, std::size_t capacity) {
  ByteWriter w(out, capacity);
  w.u32(m.bootCount);
  w.u8(static_cast<std::uint8_t>(m.resetCause));
  w.u8(m.progressValid);
  w.u32(m.inference);
  w.u16(m.layer);
  w.u32(m.job);
  w.u32(m.restoreCycles);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Boot& m) {
  ByteReader r(in, size);
  m.bootCount = r.u32();
  m.resetCause = asEnum<ResetCause>(r.u8());
  m.progressValid = r.u8();
  m.inference = r.u32();
  m.layer = r.u16();
  m.job = r.u32();
  m.restoreCycles = r.u32();
  return status(r);
}

// --- checkpoint -------------------------------------------------------------
std::size_t encodePayload(const Checkpoint& m, std::uint8_t* out, std::size_t capacity) {
  ByteWriter w(out, capacity);
  w.u32(m.inference);
  w.u16(m.layer);
  w.u32(m.job);
  w.u32(m.jobsInLayer);
  w.u32(m.cyclesSinceBoot);
  w.u32(m.jobCycles);
  w.u32(m.nvmBytes);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Checkpoint& m) {
  ByteReader r(in, size);
  m.inference = r.u32();
  m.layer = r.u16();
  m.job = r.u32();
  m.jobsInLayer = r.u32();
  m.cyclesSinceBoot = r.u32();
  m.jobCycles = r.u32();
  m.nvmBytes = r.u32();
  return status(r);
}

// --- result -----------------------------------------------------------------
std::size_t encodePayload(const InferenceResult& m, std::uint8_t* out, std::size_t capacity) {
  if (m.logitCount > kMaxLogits) return 0;
  ByteWriter w(out, capacity);
  w.u32(m.inference);
  w.u32(m.sample);
  w.u8(m.predicted);
  w.u8(m.logitCount);
  w.u64(m.activeCycles);
  w.u32(m.powerCycles);
  w.u64(m.reexecutedCycles);
  w.u64(m.checkpointCycles);
  w.u64(m.bootCycles);
  w.u64(m.nvmBytes);
  w.u32(m.logitsCrc);
  w.i8s(m.logits, m.logitCount);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, InferenceResult& m) {
  ByteReader r(in, size);
  m.inference = r.u32();
  m.sample = r.u32();
  m.predicted = r.u8();
  m.logitCount = r.u8();
  m.activeCycles = r.u64();
  m.powerCycles = r.u32();
  m.reexecutedCycles = r.u64();
  m.checkpointCycles = r.u64();
  m.bootCycles = r.u64();
  m.nvmBytes = r.u64();
  m.logitsCrc = r.u32();
  if (!r.ok()) return PayloadStatus::TooShort;
  if (m.logitCount > kMaxLogits) return PayloadStatus::BadField;
  r.bytes(m.logits, m.logitCount);
  return status(r);
}

// --- power fail -------------------------------------------------------------
std::size_t encodePayload(const PowerFail& m, std::uint8_t* out, std::size_t capacity) {
  ByteWriter w(out, capacity);
  w.u32(m.cyclesSinceBoot);
  w.u32(m.inference);
  w.u16(m.layer);
  w.u32(m.job);
  w.u8(static_cast<std::uint8_t>(m.cause));
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, PowerFail& m) {
  ByteReader r(in, size);
  m.cyclesSinceBoot = r.u32();
  m.inference = r.u32();
  m.layer = r.u16();
  m.job = r.u32();
  m.cause = asEnum<PowerFailCause>(r.u8());
  return status(r);
}

// --- log --------------------------------------------------------------------
// The text runs to the end of the payload: no field can follow it, so a log
// is never extended.
std::size_t encodePayload(const Log& m, std::uint8_t* out, std::size_t capacity) {
  if (m.textLength > kMaxLogText) return 0;
  ByteWriter w(out, capacity);
  w.u8(static_cast<std::uint8_t>(m.level));
  w.bytes(m.text, m.textLength);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Log& m) {
  ByteReader r(in, size);
  m.level = asEnum<LogLevel>(r.u8());
  if (!r.ok()) return PayloadStatus::TooShort;
  if (r.remaining() > kMaxLogText) return PayloadStatus::BadField;
  m.textLength = static_cast<std::uint8_t>(r.remaining());
  r.bytes(m.text, m.textLength);
  m.text[m.textLength] = '\0';
  return status(r);
}

// --- error ------------------------------------------------------------------
std::size_t encodePayload(const DeviceError& m, std::uint8_t* out, std::size_t capacity) {
  if (m.textLength > kMaxErrorText) return 0;
  ByteWriter w(out, capacity);
  w.u16(m.code);
  w.u32(m.detail);
  w.bytes(m.text, m.textLength);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, DeviceError& m) {
  ByteReader r(in, size);
  m.code = r.u16();
  m.detail = r.u32();
  if (!r.ok()) return PayloadStatus::TooShort;
  if (r.remaining() > kMaxErrorText) return PayloadStatus::BadField;
  m.textLength = static_cast<std::uint8_t>(r.remaining());
  r.bytes(m.text, m.textLength);
  m.text[m.textLength] = '\0';
  return status(r);
}

// --- pong / ping ------------------------------------------------------------
std::size_t encodePayload(const Pong& m, std::uint8_t* out, std::size_t capacity) {
  ByteWriter w(out, capacity);
  w.u32(m.nonce);
  w.u32(m.cyclesSinceBoot);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Pong& m) {
  ByteReader r(in, size);
  m.nonce = r.u32();
  m.cyclesSinceBoot = r.u32();
  return status(r);
}

std::size_t encodePayload(const Ping& m, std::uint8_t* out, std::size_t capacity) {
  ByteWriter w(out, capacity);
  w.u32(m.nonce);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Ping& m) {
  ByteReader r(in, size);
  m.nonce = r.u32();
  return status(r);
}

// --- run / set plan / stop --------------------------------------------------
std::size_t encodePayload(const RunCommand& m, std::uint8_t* out, std::size_t capacity) {
  ByteWriter w(out, capacity);
  w.u32(m.firstSample);
  w.u32(m.sampleCount);
  w.u8(static_cast<std::uint8_t>(m.policy));
  w.u8(m.flags);
  w.u16(m.repetitions);
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, RunCommand& m) {
  ByteReader r(in, size);
  m.firstSample = r.u32();
  m.sampleCount = r.u32();
  m.policy = asEnum<Policy>(r.u8());
  m.flags = r.u8();
  m.repetitions = r.u16();
  return status(r);
}

std::size_t encodePayload(const SetPlan& m, std::uint8_t* out, std::size_t capacity) {
  if (m.entryCount > kMaxPlanEntries) return 0;
  ByteWriter w(out, capacity);
  w.u8(m.firstLayer);
  w.u8(m.entryCount);
  for (std::size_t i = 0; i < m.entryCount; ++i) {
    w.u16(m.entries[i].tileRows);
    w.u16(m.entries[i].tileChannels);
  }
  return done(w);
}

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, SetPlan& m) {
  ByteReader r(in, size);
  m.firstLayer = r.u8();
  m.entryCount = r.u8();
  if (!r.ok()) return PayloadStatus::TooShort;
  if (m.entryCount > kMaxPlanEntries) return PayloadStatus::BadField;
  for (std::size_t i = 0; i < m.entryCount; ++i) {
    m.entries[i].tileRows = r.u16();
    m.entries[i].tileChannels = r.u16();
  }
  return status(r);
}

std::size_t encodePayload(const Stop&, std::uint8_t*, std::size_t) { return 0; }
PayloadStatus decodePayload(const std::uint8_t*, std::size_t, Stop&) { return PayloadStatus::Ok; }

}  // namespace aidi::proto
