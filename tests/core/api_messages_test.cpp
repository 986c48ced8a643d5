// The API's messages read back as they were sent (the GUI attached to a
// server drives its live view and runs browser from them), the waveform
// stream's numbering, and what a client does with lines that are not ours.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "aidi/core/api_client.hpp"
#include "aidi/core/api_messages.hpp"

using namespace aidi::core;
using json = nlohmann::json;

namespace {

CampaignEvent powerCycle() {
  CampaignEvent e;
  e.kind = CampaignEvent::Kind::PowerCycle;
  e.campaignId = 7;
  e.runsEnded = 2;
  e.runsTotal = 8;
  e.run.runId = 31;
  e.run.plan = {"mcunet-s", "aidi", "weak", 100.0, 0, 3, "apollo3"};
  e.sample = 1;
  e.samples = 3;
  e.powerCycles = 4;
  e.elapsedS = 12.5;
  e.etaS = 40;
  e.framesDropped = 2;
  e.cycle.index = 3;
  e.cycle.startS = 1.25;
  e.cycle.offS = 0.5;
  e.cycle.onS = 0.01;
  e.cycle.sleepS = 0.002;
  e.cycle.vOn = 3.0;
  e.cycle.vOff = 1.9;
  e.cycle.finished = true;
  return e;
}

}  // namespace

TEST(ApiMessages, APowerCycleReadsBackAsSent) {
  const CampaignEvent sent = powerCycle();
  const json message = json::parse(progressMessage(sent).dump());  // through the wire's text
  auto got = campaignEventOf(message);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kind, sent.kind);
  EXPECT_EQ(got->campaignId, 7);
  EXPECT_EQ(got->run.runId, 31);
  EXPECT_EQ(got->run.plan.board, "apollo3");
  EXPECT_EQ(got->samples, 3);
  EXPECT_EQ(got->powerCycles, 4u);
  EXPECT_DOUBLE_EQ(got->cycle.startS, 1.25);
  EXPECT_DOUBLE_EQ(got->cycle.offS, 0.5);
  EXPECT_DOUBLE_EQ(got->cycle.vOff, 1.9);
  EXPECT_TRUE(got->cycle.finished);
  EXPECT_DOUBLE_EQ(got->etaS, 40);
  EXPECT_EQ(got->framesDropped, 2u);
}

TEST(ApiMessages, EveryKindReadsBackAndANumberThatIsNotFiniteIsNull) {
  for (auto kind : {CampaignEvent::Kind::RunStarted, CampaignEvent::Kind::Checkpoint, CampaignEvent::Kind::SampleDone,
                    CampaignEvent::Kind::RunEnded}) {
    CampaignEvent e = powerCycle();
    e.kind = kind;
    e.layer = 5;
    e.layers = 12;
    e.ok = false;
    e.failure = "did not finish";
    e.latencyS = std::numeric_limits<double>::infinity();
    const std::string text = progressMessage(e).dump();
    EXPECT_EQ(text.find("inf"), std::string::npos) << text;  // JSON has no infinity
    auto got = campaignEventOf(json::parse(text));
    ASSERT_TRUE(got) << text;
    EXPECT_EQ(got->kind, kind);
    if (kind == CampaignEvent::Kind::Checkpoint) {
      EXPECT_EQ(got->layers, 12);
    }
    if (kind == CampaignEvent::Kind::SampleDone) {
      EXPECT_FALSE(got->ok);
      EXPECT_TRUE(std::isnan(got->latencyS));
    }
    if (kind == CampaignEvent::Kind::RunEnded) {
      EXPECT_EQ(got->failure, "did not finish");
    }
  }
}

TEST(ApiMessages, AMessageMissingOrMistypingAFieldIsNotAnEvent) {
  json message = progressMessage(powerCycle());
  EXPECT_FALSE(campaignEventOf(json{{"type", "event"}, {"event", "campaign_ended"}}));
  EXPECT_FALSE(campaignEventOf(json::array()));
  for (const char* field : {"campaign", "run", "model", "sample", "cycle"}) {
    json broken = message;
    broken.erase(field);
    EXPECT_FALSE(campaignEventOf(broken)) << field;
    broken = message;
    broken[field] = std::string(field) == "model" ? json(3) : json("x");
    EXPECT_FALSE(campaignEventOf(broken)) << field;
  }
  json unknown = message;
  unknown["event"] = "fly";
  EXPECT_FALSE(campaignEventOf(unknown));
}

TEST(ApiMessages, ARunSummaryReadsBackAsListed) {
  RunSummary r{};
  r.runId = 4;
  r.planIndex = 2;
  r.model = "mcunet-s";
  r.policy = "loop";
  r.condition = "rf";
  r.board = "mps2-an386";
  r.capacitorUf = 470;
  r.state = "failed";
  r.failure = "time limit";
  r.inferences = 3;
  r.finished = 2;
  r.correct = 1;
  r.latencyS = {2, 1.5, 1.5, 2.0, 1.0, 2.0};
  r.latencyRatio = {2, 1.1, 1.1, 1.2, 1.0, 1.2};
  auto got = runSummaryOf(json::parse(runMessage(r).dump()));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->runId, 4);
  EXPECT_EQ(got->failure, "time limit");
  EXPECT_EQ(got->capacitorUf, 470);
  EXPECT_EQ(got->latencyS.count, 2u);
  EXPECT_DOUBLE_EQ(got->latencyS.p95, 2.0);
  EXPECT_DOUBLE_EQ(got->latencyRatio.median, 1.1);
  json broken = runMessage(r);
  broken["latency_s"] = 3;
  EXPECT_FALSE(runSummaryOf(broken));
}

TEST(ApiMessages, AWaveformIsCutIntoMessagesNumberedOnFromItsFirstPoint) {
  std::vector<double> current(10000), power(10000);
  for (std::size_t i = 0; i < current.size(); ++i) current[i] = static_cast<double>(i), power[i] = 2.0 * i;
  WaveformChunk chunk{5, 1, 2, "model", 300, 1.0, 1e5, {"current", "power"}, {current, power}};
  const auto messages = waveformMessages(chunk, 9, 4096);
  ASSERT_EQ(messages.size(), 3u);
  std::uint64_t expected = 300;
  for (const auto& m : messages) {
    EXPECT_EQ(m["first"].get<std::uint64_t>(), expected);
    EXPECT_DOUBLE_EQ(m["t0"].get<double>(), 1.0 + static_cast<double>(expected - 300) / 1e5);
    EXPECT_EQ(m["channels"]["current"].size(), m["count"].get<std::size_t>());
    EXPECT_DOUBLE_EQ(m["channels"]["power"][0].get<double>(), 2.0 * static_cast<double>(expected - 300));
    expected += m["count"].get<std::uint64_t>();
  }
  EXPECT_EQ(expected, 300u + 10000u);
  EXPECT_EQ(messages[0]["campaign"], 9);
}

TEST(ApiClient, AnAddressIsHostColonPort) {
  ApiClientOptions o;
  EXPECT_TRUE(parseServerAddress("127.0.0.1:7000", o));
  EXPECT_EQ(o.port, 7000);
  EXPECT_TRUE(parseServerAddress("[::1]:80", o));
  EXPECT_EQ(o.host, "::1");
  for (const char* bad : {"localhost", ":80", "host:", "host:0", "host:70000", "host:12ab"}) {
    auto r = parseServerAddress(bad, o);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

TEST(ApiClient, NobodyListeningIsAClearError) {
  ApiClientOptions o;
  o.port = 1;  // nothing listens on port 1 of loopback
  auto client = ApiClient::connect(o);
  ASSERT_FALSE(client);
  EXPECT_NE(client.error().message.find("127.0.0.1:1"), std::string::npos) << client.error().message;
}
