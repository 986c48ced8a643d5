// Typed messages (SPEC.md, "Messages"). Each struct mirrors one payload
// layout; encodePayload() writes it, decodePayload() reads it. Decoders accept
// payloads longer than they know (fields appended by a newer device) and
// refuse shorter ones. Strings are fixed-size arrays with a length, so the
// structs are freestanding and trivially copyable.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aidi/proto/frame.hpp"
#include "aidi/proto/policies.hpp"

namespace aidi::proto {

enum class MessageType : std::uint8_t {
  // device -> host
  Hello = 0x01,
  Boot = 0x02,
  Checkpoint = 0x03,
  Result = 0x04,
  PowerFail = 0x05,
  Log = 0x06,
  Error = 0x07,
  Pong = 0x08,
  // host -> device
  Run = 0x40,
  SetPlan = 0x41,
  Ping = 0x42,
  Stop = 0x43,
};

bool isKnownMessageType(std::uint8_t type);
// Lower-case name ("hello", "set_plan"), or nullptr for an unknown type.
const char* messageTypeName(std::uint8_t type);

enum class PayloadStatus : std::uint8_t {
  Ok,
  TooShort,     // fewer bytes than the type's fixed fields
  BadField,     // a length or count out of its range
  WrongType,    // the frame's type is not this message's
};

enum class ResetCause : std::uint8_t { Unknown = 0, PowerOn = 1, BrownOut = 2, Watchdog = 3, Software = 4, Pin = 5 };
enum class PowerFailCause : std::uint8_t { BudgetExpired = 0, BrownOutDetector = 1 };
enum class LogLevel : std::uint8_t { Debug = 0, Info = 1, Warning = 2, Error = 3 };

inline constexpr std::size_t kBuildHashBytes = 8;
inline constexpr std::size_t kMaxTargetName = 23;
inline constexpr std::size_t kMaxModelName = 23;
inline constexpr std::size_t kMaxPolicyName = 15;
inline constexpr std::size_t kMaxLogits = 64;
inline constexpr std::size_t kMaxLogText = kMaxPayload - 1;
inline constexpr std::size_t kMaxErrorText = kMaxPayload - 6;
inline constexpr std::size_t kMaxPlanEntries = (kMaxPayload - 2) / 4;

struct Hello {
  static constexpr MessageType kType = MessageType::Hello;
  std::uint8_t firmwareMajor, firmwareMinor;
  std::uint16_t firmwarePatch;
  std::uint8_t buildHash[kBuildHashBytes];
  std::uint32_t sramBytes, nvmBytes, clockHz;
  std::uint8_t targetLength;
  char target[kMaxTargetName + 1];  // +1: room for a terminator, not sent
  std::uint8_t modelLength;
  char model[kMaxModelName + 1];  // +1: room for a terminator, not sent
  std::uint8_t policyLength;
  char policy[kMaxPolicyName + 1];  // +1: room for a terminator, not sent
};

struct Boot {
  static constexpr MessageType kType = MessageType::Boot;
  std::uint32_t bootCount;
  ResetCause resetCause;
  std::uint8_t progressValid;  // 1 when a progress record was restored
  std::uint32_t inference;
  std::uint16_t layer;
  std::uint32_t job;
  std::uint32_t restoreCycles;  // cycles from reset to the first job
};

struct Checkpoint {
  static constexpr MessageType kType = MessageType::Checkpoint;
  std::uint32_t inference;
  std::uint16_t layer;
  std::uint32_t job;
  std::uint32_t jobsInLayer;
  std::uint32_t cyclesSinceBoot;
  std::uint32_t jobCycles;  // cycles the committed job took, commit included
  std::uint32_t nvmBytes;   // bytes this checkpoint wrote to NVM
};

struct InferenceResult {
  static constexpr MessageType kType = MessageType::Result;
  std::uint32_t inference;
  std::uint32_t sample;
  std::uint8_t predicted;
  std::uint8_t logitCount;
  std::uint64_t activeCycles;
  std::uint32_t powerCycles;
  std::uint64_t reexecutedCycles;
  std::uint64_t checkpointCycles;
  std::uint64_t bootCycles;
  std::uint64_t nvmBytes;
  std::uint32_t logitsCrc;  // CRC-32C of the logits, all of them even when not all are sent
  std::int8_t logits[kMaxLogits];
};

struct PowerFail {
  static constexpr MessageType kType = MessageType::PowerFail;
  std::uint32_t cyclesSinceBoot;
  std::uint32_t inference;
  std::uint16_t layer;
  std::uint32_t job;
  PowerFailCause cause;
};

struct Log {
  static constexpr MessageType kType = MessageType::Log;
  LogLevel level;
  std::uint8_t textLength;
  char text[kMaxLogText + 1];  // +1: room for a terminator, not sent
};

struct DeviceError {
  static constexpr MessageType kType = MessageType::Error;
  std::uint16_t code;
  std::uint32_t detail;
  std::uint8_t textLength;
  char text[kMaxErrorText + 1];  // +1: room for a terminator, not sent
};

struct Pong {
  static constexpr MessageType kType = MessageType::Pong;
  std::uint32_t nonce;
  std::uint32_t cyclesSinceBoot;
};

struct RunCommand {
  static constexpr MessageType kType = MessageType::Run;
  std::uint32_t firstSample;
  std::uint32_t sampleCount;
  Policy policy;
  std::uint8_t flags;
  std::uint16_t repetitions;
};

struct PlanEntry {
  std::uint16_t tileRows;
  std::uint16_t tileChannels;
};

struct SetPlan {
  static constexpr MessageType kType = MessageType::SetPlan;
  std::uint8_t firstLayer;
  std::uint8_t entryCount;
  PlanEntry entries[kMaxPlanEntries];
};

struct Ping {
  static constexpr MessageType kType = MessageType::Ping;
  std::uint32_t nonce;
};

struct Stop {
  static constexpr MessageType kType = MessageType::Stop;
};

// Payload encoders: bytes written to `out`, or 0 when a field is out of range
// (a string or count above its maximum) or `capacity` is too small.
// (Stop has an empty payload and always encodes to 0 bytes.)
std::size_t encodePayload(const Hello&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const Boot&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const Checkpoint&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const InferenceResult&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const PowerFail&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const Log&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const DeviceError&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const Pong&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const RunCommand&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const SetPlan&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const Ping&, std::uint8_t* out, std::size_t capacity);
std::size_t encodePayload(const Stop&, std::uint8_t* out, std::size_t capacity);

PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Hello&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Boot&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Checkpoint&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, InferenceResult&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, PowerFail&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Log&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, DeviceError&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Pong&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, RunCommand&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, SetPlan&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Ping&);
PayloadStatus decodePayload(const std::uint8_t* in, std::size_t size, Stop&);

// Decodes a verified frame as message M, checking its type.
template <class M>
PayloadStatus decodeMessage(const Frame& frame, M& message) {
  if (frame.type != static_cast<std::uint8_t>(M::kType)) return PayloadStatus::WrongType;
  return decodePayload(frame.payload, frame.payloadSize, message);
}

// Numbers every frame of one boot: the device's sender. seq starts at 0 and
// wraps at 65536.
class FrameWriter {
 public:
  explicit FrameWriter(std::uint16_t bootId) : m_bootId(bootId) {}

  // Encodes `message` as a complete wire frame into `out`; returns the bytes
  // written or 0 (then seq is not consumed).
  template <class M>
  std::size_t write(const M& message, std::uint8_t* out, std::size_t capacity) {
    std::uint8_t payload[kMaxPayload];
    const std::size_t n = encodePayload(message, payload, sizeof payload);
    if (n == 0 && !isEmptyPayload(M::kType)) return 0;
    const std::size_t written =
        encodeFrame(static_cast<std::uint8_t>(M::kType), m_bootId, m_seq, payload, n, out, capacity);
    if (written) ++m_seq;
    return written;
  }
  std::uint16_t bootId() const { return m_bootId; }
  std::uint16_t nextSeq() const { return m_seq; }

 private:
  static constexpr bool isEmptyPayload(MessageType t) { return t == MessageType::Stop; }
  std::uint16_t m_bootId;
  std::uint16_t m_seq = 0;
};

}  // namespace aidi::proto
