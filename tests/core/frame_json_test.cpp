// `aidi decode`'s JSON against the decoded fields of the golden vectors.
#include "aidi/core/frame_json.hpp"

#include <gtest/gtest.h>

#include "aidi/proto/messages.hpp"
#include "../protocol/protocol_fixtures.hpp"

using namespace aidi;
using nlohmann::json;

namespace {
std::vector<proto::Frame> framesOf(proto::FrameDecoder& decoder, const std::vector<std::uint8_t>& bytes) {
  std::vector<proto::Frame> frames;
  for (auto b : bytes)
    if (decoder.push(b) == proto::DecodeResult::Frame) frames.push_back(decoder.frame());
  return frames;
}
json plain(const nlohmann::ordered_json& j) { return json::parse(j.dump()); }
}  // namespace

TEST(FrameJson, FieldsEqualTheVectorsFields) {
  const auto fixture = test::loadProtocolFixture("vectors.json");
  for (const auto& v : fixture["vectors"]) {
    proto::FrameDecoder decoder(proto::isKnownMessageType);
    const auto frames = framesOf(decoder, test::fromHex(v["wire_hex"]));
    ASSERT_EQ(frames.size(), 1u) << v["name"];
    const json out = plain(core::frameToJson(frames[0]));
    EXPECT_EQ(out["type"], v["name"] == "log_max" ? json("log") : v["name"]);
    EXPECT_EQ(out["boot_id"], v["boot_id"]);
    EXPECT_EQ(out["seq"], v["seq"]);
    EXPECT_EQ(out["fields"], v["fields"]) << v["name"];
    EXPECT_FALSE(out.contains("error"));
  }
}

TEST(FrameJson, UnknownTypeShowsItsPayload) {
  const std::uint8_t payload[] = {0xAB, 0x01};
  const proto::Frame frame{1, 0x30, 5, 9, payload, 2};
  const json out = plain(core::frameToJson(frame));
  EXPECT_TRUE(out["type"].is_null());
  EXPECT_EQ(out["type_id"], 0x30);
  EXPECT_EQ(out["payload_hex"], "ab01");
}

TEST(FrameJson, ShortPayloadNamesTheProblem) {
  const std::uint8_t payload[] = {1, 2, 3};
  const proto::Frame frame{1, static_cast<std::uint8_t>(proto::MessageType::Checkpoint), 5, 9, payload, 3};
  const json out = plain(core::frameToJson(frame));
  EXPECT_EQ(out["type"], "checkpoint");
  EXPECT_EQ(out["error"], "payload too short for its type");
  EXPECT_EQ(out["payload_hex"], "010203");
  EXPECT_FALSE(out.contains("fields"));
}
