// The one sample loop of every bench, on a scripted bench: each power cycle
// the harvester gives, the device "sends" the next scripted bytes on the
// link. What a campaign relies on: a sample ends at its result frame with
// the cycles it ran in, bytes past a result belong to the next sample, a
// board must say who it is before its results count, the watchdog and the
// result grace bound a silent device, and a broken link is an error naming
// it, not a hang.
#include <gtest/gtest.h>

#include <deque>

#include "../../bench-app/core/src/bench_session.hpp"
#include "aidi/proto/messages.hpp"

using namespace aidi;

namespace {

using Bytes = std::vector<std::byte>;

class ScriptedLink final : public inst::Link {
 public:
  std::deque<Bytes> chunks;
  std::optional<inst::Error> failAfterChunks;
  inst::Status open() override { return {}; }
  void close() override {}
  inst::Result<std::size_t> read(std::span<std::byte> buffer, inst::Millis) override {
    if (chunks.empty()) {
      if (failAfterChunks) return std::unexpected(*failAfterChunks);
      return 0;
    }
    Bytes& c = chunks.front();
    const std::size_t n = std::min(buffer.size(), c.size());
    std::copy_n(c.begin(), n, buffer.begin());
    c.erase(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n));
    if (c.empty()) chunks.pop_front();
    return n;
  }
  inst::Status write(std::span<const std::byte>) override { return {}; }
  std::string describe() const override { return "scripted link"; }
};

// Every powerOn delivers the next scripted chunk: what the device sent
// during that cycle. Cycles last 1 s off and 0.5 s on.
class ScriptedHarvester final : public inst::Harvester {
 public:
  explicit ScriptedHarvester(ScriptedLink& link) : m_link(link) {}
  std::deque<Bytes> perCycle;
  bool reportDone = false;
  int powerOns = 0;
  inst::Result<inst::PowerCycleRecord> powerOn() override {
    inst::PowerCycleRecord r;
    r.index = static_cast<std::uint64_t>(powerOns++);
    r.offS = 1.0;
    r.onS = 0.5;
    r.instructions = 1000;
    r.finished = reportDone && perCycle.size() <= 1;
    if (!perCycle.empty()) {
      m_link.chunks.push_back(perCycle.front());
      perCycle.pop_front();
    }
    return r;
  }
  inst::Status powerOff() override { return {}; }

 private:
  ScriptedLink& m_link;
};

class ScriptedSession final : public core::BenchSession {
 public:
  ScriptedSession(const core::BoardProfile& board, bool helloRequired)
      : BenchSession(board, helloRequired), harvesterImpl(wire) {}
  ScriptedLink wire;
  ScriptedHarvester harvesterImpl;
  inst::Harvester& harvester() override { return harvesterImpl; }
  inst::Link& link() override { return wire; }
  double latencyAtResult(double cycleSeconds) override { return cycleSeconds; }
  std::uint64_t activeCycles(const inst::PowerCycleRecord& c) const override { return c.instructions; }
};

core::BoardProfile board() {
  core::BoardProfile b;
  b.name = "desk-board";
  b.target = "nucleo-f412zg";
  b.clockHz = 100e6;
  return b;
}

// The device's side of the wire.
struct Device {
  proto::FrameWriter writer{1};
  template <class M>
  Bytes frame(const M& m) {
    std::uint8_t wire[proto::kMaxEncodedFrame];
    const std::size_t n = writer.write(m, wire, sizeof wire);
    Bytes out(n);
    std::copy_n(reinterpret_cast<const std::byte*>(wire), n, out.begin());
    return out;
  }
  Bytes hello(std::uint32_t clockHz, const std::string& target = "nucleo-f412zg") {
    proto::Hello h{};
    h.clockHz = clockHz;
    std::copy(target.begin(), target.end(), h.target);
    h.targetLength = static_cast<std::uint8_t>(target.size());
    return frame(h);
  }
  Bytes checkpoint(std::uint16_t layer) {
    proto::Checkpoint c{};
    c.layer = layer;
    return frame(c);
  }
  Bytes result(std::uint32_t sample, std::uint8_t predicted) {
    proto::InferenceResult r{};
    r.sample = sample;
    r.predicted = predicted;
    r.logitCount = 10;
    return frame(r);
  }
};

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST(BenchSession, ASampleEndsAtItsResultWithTheCyclesItRanIn) {
  const auto profile = board();
  ScriptedSession s(profile, /*helloRequired=*/true);
  Device d;
  s.harvesterImpl.perCycle = {d.hello(100'000'000) + d.checkpoint(1), d.checkpoint(2), d.result(0, 7)};
  int cyclesSeen = 0, checkpointsSeen = 0;
  auto r = core::runSample(s, {.onPowerCycle = [&](const inst::PowerCycleRecord&) { ++cyclesSeen; },
                               .onCheckpoint = [&](const core::CheckpointEvent&) { ++checkpointsSeen; }});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->finished) << r->failure;
  EXPECT_EQ(r->predicted, 7);
  EXPECT_EQ(r->cycles.size(), 3u);
  EXPECT_EQ(cyclesSeen, 3);
  EXPECT_EQ(checkpointsSeen, 2);
  EXPECT_DOUBLE_EQ(r->latencyS, 4.5) << "three cycles of 1 s charging and 0.5 s on";
  EXPECT_EQ(r->deviceInstructions, 3000u);
}

TEST(BenchSession, BytesPastAResultBelongToTheNextSample) {
  const auto profile = board();
  ScriptedSession s(profile, true);
  Device d;
  // The board finished two samples in one cycle and began a third.
  s.harvesterImpl.perCycle = {d.hello(100'000'000) + d.result(0, 3) + d.result(1, 4) + d.checkpoint(5),
                              d.result(2, 5)};
  auto first = core::runSample(s, {});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->sample, 0);
  EXPECT_EQ(first->predicted, 3);
  auto second = core::runSample(s, {});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->predicted, 4);
  EXPECT_EQ(second->cycles.size(), 1u) << "it ran in the cycle the first one ended in";
  EXPECT_EQ(s.harvesterImpl.powerOns, 1) << "no new power cycle was needed";
  auto third = core::runSample(s, {});
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(third->predicted, 5);
  EXPECT_EQ(third->checkpoints(), 1u);
}

TEST(BenchSession, AResultWithoutAHelloIsRefusedWhereTheBoardMustIdentifyItself) {
  const auto profile = board();
  ScriptedSession s(profile, true);
  Device d;
  s.harvesterImpl.perCycle = {d.result(0, 1)};
  auto r = core::runSample(s, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no Hello"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("desk-board"), std::string::npos) << r.error().message;

  ScriptedSession virtualBoard(profile, false);  // the intermittent run: identified by its plain run
  virtualBoard.harvesterImpl.perCycle = {d.result(0, 1)};
  auto ok = core::runSample(virtualBoard, {});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(ok->finished);
}

TEST(BenchSession, AHelloThatDisagreesWithTheProfileNamesBoth) {
  const auto profile = board();
  ScriptedSession s(profile, true);
  Device d;
  s.harvesterImpl.perCycle = {d.hello(25'000'000) + d.result(0, 1)};
  auto r = core::runSample(s, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("25000000"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("100000000"), std::string::npos) << r.error().message;
}

TEST(BenchSession, TheWatchdogEndsASampleThatCommitsNothing) {
  const auto profile = board();
  ScriptedSession s(profile, false);
  auto r = core::runSample(s, {.watchdogPowerCycles = 5});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->finished);
  EXPECT_NE(r->failure.find("no job committed in 5 power cycles"), std::string::npos) << r->failure;
  EXPECT_EQ(r->cycles.size(), 6u);
  EXPECT_DOUBLE_EQ(r->latencyS, 9.0) << "the time it ran, though it did not finish";
}

TEST(BenchSession, AResultFrameLaterThanTheGraceIsAnErrorOfTheBenchNotAResult) {
  const auto profile = board();
  ScriptedSession s(profile, false);
  Device d;
  s.harvesterImpl.perCycle = {d.checkpoint(1)};
  s.harvesterImpl.reportDone = true;
  auto r = core::runSample(s, {.resultGrace = std::chrono::milliseconds(300)});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, inst::ErrorCode::Timeout);
  EXPECT_NE(r.error().message.find("did not arrive within 300 ms"), std::string::npos) << r.error().message;
}

TEST(BenchSession, TheWallTimeLimitIsAnErrorOfTheBenchNotAResult) {
  const auto profile = board();
  ScriptedSession s(profile, false);
  Device d;
  for (int i = 0; i < 10; ++i) s.harvesterImpl.perCycle.push_back(d.checkpoint(static_cast<std::uint16_t>(i)));
  auto r = core::runSample(s, {.deadline = std::chrono::steady_clock::now()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, inst::ErrorCode::Timeout);
  EXPECT_NE(r.error().message.find("wall-time limit"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("not a result of the policy"), std::string::npos) << r.error().message;
}

TEST(BenchSession, ABrokenLinkIsAnErrorNamingTheLink) {
  const auto profile = board();
  ScriptedSession s(profile, false);
  Device d;
  s.harvesterImpl.perCycle = {d.checkpoint(1)};
  s.wire.failAfterChunks = inst::Error{inst::ErrorCode::Io, "connection reset by peer"};
  auto r = core::runSample(s, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("scripted link"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("connection reset"), std::string::npos) << r.error().message;
}

TEST(BenchSession, APowerCycleLimitEndsTheSample) {
  const auto profile = board();
  ScriptedSession s(profile, false);
  Device d;
  for (int i = 0; i < 10; ++i) s.harvesterImpl.perCycle.push_back(d.checkpoint(static_cast<std::uint16_t>(i)));
  auto r = core::runSample(s, {.maxPowerCycles = 4});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->finished);
  EXPECT_NE(r->failure.find("within 4 power cycles"), std::string::npos) << r->failure;
}
