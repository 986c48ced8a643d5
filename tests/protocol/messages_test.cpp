// The C++ encoder against the golden vectors of tools/gen_protocol_vectors.py,
// an independent implementation of SPEC.md.
#include "aidi/proto/messages.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include "aidi/proto/decoder.hpp"
#include "protocol_fixtures.hpp"

using namespace aidi::proto;
using aidi::test::fromHex;

namespace {

struct Golden {
  std::vector<std::uint8_t> wire;
  std::vector<std::uint8_t> payload;
  std::uint8_t type;
};

// name -> bytes our encoder produced from the generated C++ initializers.
std::map<std::string, Golden> encodeGoldenMessages() {
  std::map<std::string, Golden> encoded;
#define AIDI_VECTOR(name, bootId, seq, message)                                                       \
  {                                                                                                   \
    const auto m = message;                                                                           \
    Golden g;                                                                                         \
    g.type = static_cast<std::uint8_t>(decltype(m)::kType);                                           \
    g.payload.resize(kMaxPayload);                                                                    \
    g.payload.resize(encodePayload(m, g.payload.data(), g.payload.size()));                           \
    g.wire.resize(kMaxEncodedFrame);                                                                  \
    g.wire.resize(encodeFrame(g.type, bootId, seq, g.payload.data(), g.payload.size(), g.wire.data(), \
                              g.wire.size()));                                                        \
    encoded[#name] = g;                                                                               \
  }
#include "golden_messages.inc"
#undef AIDI_VECTOR
  return encoded;
}

// Decodes `payload` as the message type of `type` and encodes it again.
std::vector<std::uint8_t> roundTrip(std::uint8_t type, const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> out(kMaxPayload);
  auto again = [&](auto message) {
    EXPECT_EQ(decodePayload(payload.data(), payload.size(), message), PayloadStatus::Ok);
    out.resize(encodePayload(message, out.data(), out.size()));
  };
  switch (static_cast<MessageType>(type)) {
    case MessageType::Hello: again(Hello{}); break;
    case MessageType::Boot: again(Boot{}); break;
    case MessageType::Checkpoint: again(Checkpoint{}); break;
    case MessageType::Result: again(InferenceResult{}); break;
    case MessageType::PowerFail: again(PowerFail{}); break;
    case MessageType::Log: again(Log{}); break;
    case MessageType::Error: again(DeviceError{}); break;
    case MessageType::Pong: again(Pong{}); break;
    case MessageType::Run: again(RunCommand{}); break;
    case MessageType::SetPlan: again(SetPlan{}); break;
    case MessageType::Ping: again(Ping{}); break;
    case MessageType::Stop: again(Stop{}); break;
  }
  return out;
}

}  // namespace

TEST(Messages, EveryTypeHasAGoldenVector) {
  const auto vectors = aidi::test::loadProtocolFixture("vectors.json")["vectors"];
  std::set<int> types;
  for (const auto& v : vectors) types.insert(v["type"].get<int>());
  for (int t = 0; t < 256; ++t)
    if (isKnownMessageType(static_cast<std::uint8_t>(t))) {
      EXPECT_TRUE(types.contains(t)) << messageTypeName(t);
    }
}

TEST(Messages, EncoderProducesTheGoldenBytes) {
  const auto encoded = encodeGoldenMessages();
  const auto vectors = aidi::test::loadProtocolFixture("vectors.json")["vectors"];
  ASSERT_EQ(encoded.size(), vectors.size());
  for (const auto& v : vectors) {
    const std::string name = v["name"];
    ASSERT_TRUE(encoded.contains(name)) << name;
    EXPECT_EQ(encoded.at(name).type, v["type"].get<int>()) << name;
    EXPECT_EQ(encoded.at(name).payload, fromHex(v["payload_hex"])) << name;
    EXPECT_EQ(encoded.at(name).wire, fromHex(v["wire_hex"])) << name;
  }
}

TEST(Messages, DecodeThenEncodeGivesTheSamePayload) {
  const auto fixture = aidi::test::loadProtocolFixture("vectors.json");
  for (const auto& v : fixture["vectors"]) {
    const auto payload = fromHex(v["payload_hex"]);
    EXPECT_EQ(roundTrip(static_cast<std::uint8_t>(v["type"].get<int>()), payload), payload) << v["name"];
  }
}

TEST(Messages, FrameWriterNumbersFramesFromZero) {
  FrameWriter writer(0x0102);
  std::uint8_t out[kMaxEncodedFrame];
  FrameDecoder decoder(isKnownMessageType);
  for (std::uint16_t i = 0; i < 3; ++i) {
    const std::size_t n = writer.write(Ping{i}, out, sizeof out);
    ASSERT_GT(n, 0u);
    DecodeResult last = DecodeResult::NeedMore;
    for (std::size_t k = 0; k < n; ++k) last = decoder.push(out[k]);
    ASSERT_EQ(last, DecodeResult::Frame);
    EXPECT_EQ(decoder.frame().seq, i);
    EXPECT_EQ(decoder.frame().bootId, 0x0102);
    Ping ping{};
    ASSERT_EQ(decodeMessage(decoder.frame(), ping), PayloadStatus::Ok);
    EXPECT_EQ(ping.nonce, i);
  }
  EXPECT_EQ(decoder.counters().seqGaps, 0u);
}

TEST(Messages, ShortPayloadsAreRefused) {
  const auto fixture = aidi::test::loadProtocolFixture("vectors.json");
  for (const auto& v : fixture["vectors"]) {
    auto payload = fromHex(v["payload_hex"]);
    if (payload.empty()) continue;
    payload.pop_back();
    const std::string name = v["name"];
    if (name == "log" || name == "log_max" || name == "error") continue;  // text runs to the end
    if (name == "hello") continue;  // checked below: a cut string
    auto check = [&](auto message) {
      EXPECT_EQ(decodePayload(payload.data(), payload.size(), message), PayloadStatus::TooShort) << name;
    };
    switch (static_cast<MessageType>(v["type"].get<int>())) {
      case MessageType::Boot: check(Boot{}); break;
      case MessageType::Checkpoint: check(Checkpoint{}); break;
      case MessageType::Result: check(InferenceResult{}); break;
      case MessageType::PowerFail: check(PowerFail{}); break;
      case MessageType::Pong: check(Pong{}); break;
      case MessageType::Run: check(RunCommand{}); break;
      case MessageType::SetPlan: check(SetPlan{}); break;
      case MessageType::Ping: check(Ping{}); break;
      default: break;
    }
  }
  Hello hello{};
  const auto payload = fromHex(aidi::test::loadProtocolFixture("vectors.json")["vectors"][0]["payload_hex"]);
  EXPECT_EQ(decodePayload(payload.data(), payload.size() - 1, hello), PayloadStatus::TooShort);
  EXPECT_EQ(decodePayload(payload.data(), 10, hello), PayloadStatus::TooShort);
}

// Version rule: a newer device may append fields; an older host ignores them.
TEST(Messages, LongerPayloadsFromNewerDevicesAreAccepted) {
  Checkpoint original{7, 3, 41, 96, 812345, 20480, 1536};
  std::uint8_t payload[64] = {};
  const std::size_t n = encodePayload(original, payload, sizeof payload);
  payload[n] = 0xAB;  // a field this host does not know
  Checkpoint decoded{};
  ASSERT_EQ(decodePayload(payload, n + 1, decoded), PayloadStatus::Ok);
  EXPECT_EQ(decoded.jobCycles, 20480u);
  EXPECT_EQ(decoded.nvmBytes, 1536u);
}

TEST(Messages, OutOfRangeFieldsAreRefused) {
  std::uint8_t out[kMaxPayload];
  InferenceResult tooManyLogits{};
  tooManyLogits.logitCount = kMaxLogits + 1;
  EXPECT_EQ(encodePayload(tooManyLogits, out, sizeof out), 0u);
  // A result claiming more logits than the maximum.
  InferenceResult ok{};
  ok.logitCount = 2;
  const std::size_t n = encodePayload(ok, out, sizeof out);
  out[9] = kMaxLogits + 1;  // logit_count byte
  InferenceResult decoded{};
  EXPECT_EQ(decodePayload(out, n, decoded), PayloadStatus::BadField);

  SetPlan plan{};
  plan.entryCount = kMaxPlanEntries + 1;
  EXPECT_EQ(encodePayload(plan, out, sizeof out), 0u);

  Hello hello{};
  hello.targetLength = kMaxTargetName + 1;
  EXPECT_EQ(encodePayload(hello, out, sizeof out), 0u);
}

TEST(Messages, WrongTypeIsRefused) {
  std::uint8_t payload[8] = {};
  Frame frame{kProtocolVersion, static_cast<std::uint8_t>(MessageType::Pong), 1, 0, payload, 8};
  Ping ping{};
  EXPECT_EQ(decodeMessage(frame, ping), PayloadStatus::WrongType);
}
