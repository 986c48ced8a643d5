#include "aidi/proto/decoder.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

#include "aidi/proto/crc32c.hpp"
#include "aidi/proto/messages.hpp"
#include "protocol_fixtures.hpp"

using namespace aidi::proto;
using aidi::test::fromHex;

namespace {

struct Captured {
  std::uint8_t type;
  std::uint16_t bootId, seq;
  std::vector<std::uint8_t> payload;
  bool operator<(const Captured& o) const {
    return std::tie(type, bootId, seq, payload) < std::tie(o.type, o.bootId, o.seq, o.payload);
  }
  bool operator==(const Captured& o) const = default;
};

std::vector<Captured> decodeAll(FrameDecoder& decoder, const std::vector<std::uint8_t>& bytes,
                                std::size_t chunk = 0) {
  std::vector<Captured> frames;
  auto handler = [](const Frame& f, void* ctx) {
    static_cast<std::vector<Captured>*>(ctx)->push_back(
        {f.type, f.bootId, f.seq, std::vector<std::uint8_t>(f.payload, f.payload + f.payloadSize)});
  };
  if (chunk == 0) chunk = bytes.size();
  for (std::size_t at = 0; at < bytes.size(); at += chunk)
    decoder.feed(bytes.data() + at, std::min(chunk, bytes.size() - at), handler, &frames);
  return frames;
}

std::vector<std::uint8_t> allVectorBytes() {
  std::vector<std::uint8_t> stream;
  const auto fixture = aidi::test::loadProtocolFixture("vectors.json");
  for (const auto& v : fixture["vectors"]) {
    const auto w = fromHex(v["wire_hex"]);
    stream.insert(stream.end(), w.begin(), w.end());
  }
  return stream;
}

std::uint64_t counter(const DecoderCounters& c, const std::string& name) {
  if (name == "frames") return c.frames;
  if (name == "bad_crc") return c.badCrc;
  if (name == "bad_cobs") return c.badCobs;
  if (name == "oversize") return c.oversize;
  if (name == "too_short") return c.tooShort;
  if (name == "bad_version") return c.badVersion;
  if (name == "unknown_type") return c.unknownType;
  if (name == "seq_gaps") return c.seqGaps;
  if (name == "frames_missed") return c.framesMissed;
  if (name == "boot_changes") return c.bootChanges;
  if (name == "empty_frames") return c.emptyFrames;
  if (name == "dropped") return c.droppedFrames();
  ADD_FAILURE() << "unknown counter " << name;
  return 0;
}

}  // namespace

TEST(FrameDecoder, DecodesEveryGoldenVectorInAnyChunking) {
  const auto stream = allVectorBytes();
  const auto vectors = aidi::test::loadProtocolFixture("vectors.json")["vectors"];
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{64}, stream.size()}) {
    FrameDecoder decoder(isKnownMessageType);
    const auto frames = decodeAll(decoder, stream, chunk);
    ASSERT_EQ(frames.size(), vectors.size()) << "chunk " << chunk;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      EXPECT_EQ(frames[i].type, vectors[i]["type"].get<int>());
      EXPECT_EQ(frames[i].bootId, vectors[i]["boot_id"].get<int>());
      EXPECT_EQ(frames[i].seq, vectors[i]["seq"].get<int>());
      EXPECT_EQ(frames[i].payload, fromHex(vectors[i]["payload_hex"]));
    }
    EXPECT_EQ(decoder.counters().droppedFrames(), 0u);
    EXPECT_EQ(decoder.counters().seqGaps, 0u);
    EXPECT_EQ(decoder.counters().bytes, stream.size());
  }
}

TEST(FrameDecoder, EveryCorruptCaseGivesItsCounters) {
  const auto fixture = aidi::test::loadProtocolFixture("corrupt.json");
  for (const auto& c : fixture["cases"]) {
    for (std::size_t chunk : {std::size_t{1}, std::size_t{0}}) {
      FrameDecoder decoder(isKnownMessageType);
      const auto frames = decodeAll(decoder, fromHex(c["wire_hex"]), chunk);
      const std::string name = c["name"];
      EXPECT_EQ(frames.size(), c["expect"]["frames"].get<std::size_t>()) << name;
      for (const auto& [key, value] : c["expect"].items())
        EXPECT_EQ(counter(decoder.counters(), key), value.get<std::uint64_t>()) << name << ": " << key;
      // Stream events not named in the case stay zero; so do drop causes,
      // unless the case only names their total ("dropped").
      for (const char* key : {"unknown_type", "seq_gaps", "boot_changes"}) {
        if (!c["expect"].contains(key)) {
          EXPECT_EQ(counter(decoder.counters(), key), 0u) << name << ": " << key;
        }
      }
      if (!c["expect"].contains("dropped")) {
        for (const char* key : {"bad_crc", "bad_cobs", "oversize", "too_short", "bad_version"}) {
          if (!c["expect"].contains(key)) {
            EXPECT_EQ(counter(decoder.counters(), key), 0u) << name << ": " << key;
          }
        }
      }
    }
  }
}

TEST(FrameDecoder, MemoryIsOneFrameWhateverArrives) {
  EXPECT_LE(sizeof(FrameDecoder), kMaxFrame + 256);
  FrameDecoder decoder;
  std::vector<std::uint8_t> flood(1'000'000, 0x55);
  decodeAll(decoder, flood);
  EXPECT_EQ(decoder.counters().oversize, 1u);  // one oversize run, no delimiter yet
  decoder.push(0);
  const auto ping = fromHex(aidi::test::loadProtocolFixture("vectors.json")["vectors"][11]["wire_hex"]);
  EXPECT_EQ(decodeAll(decoder, ping).size(), 1u) << "resynchronised after the flood";
}

// Random corruption of a valid stream: every frame yielded is byte-identical
// to a frame that was sent (its CRC verified), and after the corruption the
// next intact frame is decoded.
TEST(FrameDecoder, NeverYieldsAFrameThatWasNotSent) {
  const auto clean = allVectorBytes();
  FrameDecoder reference;
  const auto sentFrames = decodeAll(reference, clean);
  const std::set<Captured> sent(sentFrames.begin(), sentFrames.end());
  std::mt19937 rng(12345);
  std::uint64_t yielded = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    auto bytes = clean;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0: bytes[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;       // bit flip
        case 1: bytes.erase(bytes.begin() + static_cast<long>(at)); break;               // dropped byte
        case 2: bytes.insert(bytes.begin() + static_cast<long>(at), static_cast<std::uint8_t>(rng())); break;
        case 3: bytes.erase(bytes.begin() + static_cast<long>(at), bytes.begin() + static_cast<long>(std::min(bytes.size(), at + rng() % 40))); break;
      }
    }
    FrameDecoder decoder(isKnownMessageType);
    for (const auto& f : decodeAll(decoder, bytes, 1 + rng() % 50)) {
      ASSERT_TRUE(sent.contains(f)) << "trial " << trial << " yielded a frame that was never sent";
      ++yielded;
    }
  }
  EXPECT_GT(yielded, 3000u * 5) << "most intact frames must survive a few local edits";
}

TEST(FrameDecoder, SequenceWrapIsNotAGap) {
  FrameWriter writer(3);
  std::uint8_t out[kMaxEncodedFrame];
  FrameDecoder decoder;
  for (int i = 0; i < 70000; ++i) {
    const std::size_t n = writer.write(Ping{static_cast<std::uint32_t>(i)}, out, sizeof out);
    for (std::size_t k = 0; k < n; ++k) decoder.push(out[k]);
  }
  EXPECT_EQ(decoder.counters().frames, 70000u);
  EXPECT_EQ(decoder.counters().seqGaps, 0u);
}
