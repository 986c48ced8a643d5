// The PPK2: its protocol (metadata, commands, the sample stream and its
// losses) and the driver against the simulated kit on a pseudo-terminal.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include "aidi/inst/ppk2_protocol.hpp"
#include "aidi/inst/ppk2_simulator.hpp"
#include "aidi/inst/ppk2_supply.hpp"
#include "aidi/inst/registry.hpp"

using namespace aidi;
using namespace aidi::inst;

namespace {

const ppk2::Calibration kCal = Ppk2SimulatorOptions::defaultCalibration();

std::vector<std::byte> wordsOf(const std::vector<std::uint32_t>& words) {
  std::vector<std::byte> bytes;
  for (const auto w : words)
    for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<std::byte>(w >> (8 * b)));
  return bytes;
}

// `n` samples of `amps`, counters from `counter` on, skipping `skip` counters after sample `skipAt`.
std::vector<std::uint32_t> stream(int n, double amps, std::uint8_t counter = 0, int skipAt = -1, int skip = 0) {
  std::vector<std::uint32_t> words;
  for (int k = 0; k < n; ++k) {
    if (k == skipAt) counter = static_cast<std::uint8_t>((counter + skip) & 63);
    ppk2::RawSample s;
    EXPECT_TRUE(ppk2::encodeAmps(kCal, amps, 3.0, s));
    s.counter = counter;
    s.logic = static_cast<std::uint8_t>(k);
    counter = static_cast<std::uint8_t>((counter + 1) & 63);
    words.push_back(ppk2::pack(s));
  }
  return words;
}

// The simulator handles commands on its own thread: what it was told shows a
// moment later.
template <class Pred>
bool eventually(Pred pred) {
  for (int k = 0; k < 200; ++k, std::this_thread::sleep_for(std::chrono::milliseconds(5)))
    if (pred()) return true;
  return pred();
}

SafetyLimits benchLimits() { return SafetyLimits{.maxVolts = 3.6, .maxAmps = 0.5}; }

}  // namespace

TEST(Ppk2Protocol, CommandsAsTheKitTakesThem) {
  EXPECT_EQ(ppk2::sourceVoltageCommand(800), (std::vector<std::byte>{std::byte{0x0D}, std::byte{3}, std::byte{32}}));
  EXPECT_EQ(ppk2::sourceVoltageCommand(3000), (std::vector<std::byte>{std::byte{0x0D}, std::byte{11}, std::byte{184}}));
  for (int mv = 800; mv <= 5000; mv += 7) {
    const auto c = ppk2::sourceVoltageCommand(mv);
    EXPECT_EQ(ppk2::sourceMillivolts(static_cast<std::uint8_t>(c[1]), static_cast<std::uint8_t>(c[2])), mv);
  }
  EXPECT_EQ(ppk2::command(ppk2::Op::DeviceRunningSet, {1}), (std::vector<std::byte>{std::byte{0x0C}, std::byte{1}}));
}

TEST(Ppk2Protocol, MetadataRoundTripsAndBadRepliesNameTheLine) {
  auto parsed = ppk2::parseMetadata(ppk2::formatMetadata(kCal));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->calibrated);
  for (std::size_t k = 0; k < ppk2::kRanges; ++k) {
    EXPECT_DOUBLE_EQ(parsed->r[k], kCal.r[k]);
    EXPECT_DOUBLE_EQ(parsed->o[k], kCal.o[k]);
    EXPECT_DOUBLE_EQ(parsed->gs[k], kCal.gs[k]);
  }
  EXPECT_EQ(parsed->other.at("hw"), "173437");
  // As a kit sends it: mixed case, "-nan" for an uncalibrated value, CR LF.
  auto kit = ppk2::parseMetadata("Calibrated: 0\r\nR0: 1002.5\r\nGS0: -nan\r\nHW: 9173\r\nmode: 2\r\nEND\r\n");
  ASSERT_TRUE(kit) << kit.error().message;
  EXPECT_DOUBLE_EQ(kit->r[0], 1002.5);
  EXPECT_DOUBLE_EQ(kit->gs[0], 1.0) << "nan keeps the default";
  EXPECT_FALSE(kit->calibrated);

  const std::pair<const char*, const char*> bad[] = {
      {"R0: 1000\nR1: 100\n", "without \"END\""},
      {"R0: 1000\nR1: ten\nEND\n", "line 2: r1 is \"ten\""},
      {"R0: 1000\nR3: 0\nEND\n", "line 2: shunt r3 is 0 ohm"},
      {"R0: 1000\nO2: inf\nEND\n", "line 2: o2 is \"inf\""},
      {"hello\nEND\n", "line 1: \"hello\" is not"},
  };
  for (const auto& [text, why] : bad) {
    auto r = ppk2::parseMetadata(text);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
  }
}

// Every current from 100 nA to 0.9 A comes back within the range's
// quantization: a code at most, relative to the value under 0.5 % above 10 uA.
TEST(Ppk2Protocol, CalibratedCurrentsRoundTripThroughTheirRange) {
  for (double amps = 1e-7; amps < 0.9; amps *= 1.37) {
    ppk2::RawSample s;
    ASSERT_TRUE(ppk2::encodeAmps(kCal, amps, 3.0, s)) << amps;
    const double back = ppk2::amps(kCal, s.range, s.code, 3.0);
    const double quantum = std::abs(ppk2::amps(kCal, s.range, static_cast<std::uint16_t>(s.code + 1), 3.0) - back);
    EXPECT_LE(std::abs(back - amps), quantum) << amps << " A in range " << int(s.range);
    if (amps > 1e-5) {
      EXPECT_LT(std::abs(back - amps) / amps, 5e-3) << amps;
    }
  }
  ppk2::RawSample s;
  EXPECT_FALSE(ppk2::encodeAmps(kCal, 50.0, 3.0, s)) << "beyond range 4";
}

TEST(Ppk2Decoder, ACleanStreamSplitAnywhereGivesEverySample) {
  const auto bytes = wordsOf(stream(5000, 2.5e-3, 17));
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{4096}}) {
    ppk2::Decoder decoder(kCal, 3.0);
    std::vector<ppk2::Sample> out;
    for (std::size_t at = 0; at < bytes.size(); at += chunk)
      decoder.feed(std::span(bytes.data() + at, std::min(chunk, bytes.size() - at)), out);
    decoder.flush(out);
    ASSERT_EQ(out.size(), 5000u) << "chunk " << chunk;
    EXPECT_EQ(decoder.stats().lost, 0u);
    EXPECT_EQ(decoder.stats().discardedBytes, 0u);
    for (std::size_t k = 0; k < out.size(); ++k) {
      ASSERT_NEAR(out[k].amps, 2.5e-3, 2.5e-5) << k;
      ASSERT_EQ(out[k].logic, static_cast<std::uint8_t>(k));
    }
  }
}

TEST(Ppk2Decoder, ACounterJumpIsCountedAndKeepsTheTimeline) {
  ppk2::Decoder decoder(kCal, 3.0);
  std::vector<ppk2::Sample> out;
  const auto bytes = wordsOf(stream(1000, 1e-3, 0, 400, 23));  // 23 samples lost after the 400th
  decoder.feed(bytes, out);
  decoder.flush(out);
  EXPECT_EQ(decoder.stats().lost, 23u);
  EXPECT_EQ(decoder.stats().gaps, 1u);
  ASSERT_EQ(out.size(), 1023u);
  EXPECT_FALSE(std::isnan(out[399].amps));
  for (int k = 400; k < 423; ++k) EXPECT_TRUE(std::isnan(out[static_cast<std::size_t>(k)].amps)) << k;
  EXPECT_FALSE(std::isnan(out[423].amps));
  EXPECT_EQ(out[423].logic, 400 & 0xFF) << "the sample after the gap is the 400th sent";
}

TEST(Ppk2Decoder, GarbageIsSkippedAndTheAlignmentFoundAgain) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    auto bytes = wordsOf(stream(3000, 4e-4, static_cast<std::uint8_t>(trial)));
    std::size_t inserted = 0;
    for (int g = 0; g < 5; ++g) {
      const std::size_t at = 4 * (200 + rng() % 2500) + rng() % 4;  // anywhere, aligned or not
      const std::size_t n = 1 + rng() % 9;
      std::vector<std::byte> junk(n);
      for (auto& b : junk) b = static_cast<std::byte>(rng());
      bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), junk.begin(), junk.end());
      inserted += n;
    }
    ppk2::Decoder decoder(kCal, 3.0);
    std::vector<ppk2::Sample> out;
    decoder.feed(bytes, out);
    decoder.flush(out);
    // The timeline stays whole: a sample cut by junk is lost and counted.
    // The protocol has no checksum, so junk that leaves a sample's counter
    // byte in place can pass as a wrong value: at most one per insertion.
    EXPECT_EQ(out.size(), 3000u) << "trial " << trial;
    std::size_t good = 0;
    for (const auto& s : out) good += !std::isnan(s.amps) && std::abs(s.amps - 4e-4) < 1e-5;
    EXPECT_GE(good + decoder.stats().lost, 3000u - 5u) << "trial " << trial;
    EXPECT_LE(decoder.stats().lost, 5u * 2u) << "trial " << trial;
    EXPECT_GE(decoder.stats().discardedBytes, inserted / 2) << "trial " << trial;
    EXPECT_GE(decoder.stats().resyncs, 1u);
  }
}

class Ppk2Driver : public ::testing::Test {
 protected:
  std::unique_ptr<Ppk2Simulator> start(Ppk2SimulatorOptions options = {}) {
    auto sim = Ppk2Simulator::start(std::move(options));
    EXPECT_TRUE(sim) << sim.error().message;
    return sim ? std::move(*sim) : nullptr;
  }
  static std::string resource(const Ppk2Simulator& sim) { return "ASRL" + sim.devicePath() + "::INSTR"; }
};

TEST_F(Ppk2Driver, SourcesWithinLimitsAndMeasuresTheLoad) {
  auto sim = start({.loadOhms = 1500.0});
  ASSERT_TRUE(sim);
  auto kit = Ppk2Supply::open(resource(*sim), benchLimits());
  ASSERT_TRUE(kit) << kit.error().message;
  auto id = (*kit)->identify();
  ASSERT_TRUE(id);
  EXPECT_EQ(id->model, "PPK2");
  EXPECT_NE(id->firmware.find("173437"), std::string::npos) << id->firmware;
  EXPECT_TRUE(eventually([&] { return sim->state().mode == ppk2::PowerMode::Source; }));

  // Refused on the host: nothing reaches the kit.
  ASSERT_TRUE(eventually([&] { return sim->state().commands >= 4; }));  // stop, metadata, mode, DUT off
  const auto before = sim->state().commands;
  EXPECT_EQ((*kit)->setOutput(1, true).error().code, ErrorCode::Limit) << "no voltage set yet";
  EXPECT_EQ((*kit)->setVoltage(1, 4.0).error().code, ErrorCode::Limit) << "above the bench's 3.6 V";
  EXPECT_EQ((*kit)->setVoltage(1, 0.5).error().code, ErrorCode::Limit) << "below the kit's 0.8 V";
  EXPECT_EQ((*kit)->setVoltage(1, std::nan("")).error().code, ErrorCode::Limit);
  EXPECT_EQ((*kit)->setVoltage(2, 3.0).error().code, ErrorCode::Unsupported);
  EXPECT_EQ((*kit)->setCurrentLimit(1, 0.8).error().code, ErrorCode::Limit) << "above the bench's 0.5 A";
  EXPECT_EQ(sim->state().commands, before);

  ASSERT_TRUE((*kit)->setVoltage(1, 3.0));
  ASSERT_TRUE((*kit)->setOutput(1, true));
  auto reading = (*kit)->measure(1);
  ASSERT_TRUE(reading) << reading.error().message;
  EXPECT_EQ(sim->state().sourceMillivolts, 3000);
  EXPECT_TRUE(sim->state().dutPowered);
  EXPECT_NEAR(reading->amps, 3.0 / 1500.0, 0.01 * 3.0 / 1500.0);
  EXPECT_DOUBLE_EQ(reading->volts, 3.0);
  ASSERT_TRUE((*kit)->setOutput(1, false));
  EXPECT_TRUE(eventually([&] { return !sim->state().dutPowered; }));
}

TEST_F(Ppk2Driver, StreamsAtTheKitsRateAndCountsWhatItLoses) {
  auto sim = start({.loadOhms = 1000.0, .fault = Ppk2Fault::DropSamples, .faultAfterSamples = 1000,
                    .faultEvery = 5000, .faultBytes = 9});
  ASSERT_TRUE(sim);
  auto kit = Ppk2Supply::open(resource(*sim), benchLimits());
  ASSERT_TRUE(kit) << kit.error().message;
  ASSERT_TRUE((*kit)->setVoltage(1, 3.3));
  ASSERT_TRUE((*kit)->setOutput(1, true));
  ASSERT_TRUE((*kit)->startStream());
  std::vector<ppk2::Sample> samples;
  while (samples.size() < 30000) ASSERT_TRUE((*kit)->read(samples, Millis{200}));
  ASSERT_TRUE((*kit)->stopStream());
  const auto stats = (*kit)->streamStats();
  EXPECT_GT(stats.gaps, 0u);
  EXPECT_EQ(stats.lost, 9u * stats.gaps) << "every dropped sample counted, none invented";
  std::size_t nan = 0;
  for (const auto& s : samples) nan += std::isnan(s.amps);
  EXPECT_GE(stats.lost, nan);
}

TEST_F(Ppk2Driver, GarbageOnTheLineIsSkippedNotDecoded) {
  auto sim = start({.loadOhms = 2000.0, .fault = Ppk2Fault::Garbage, .faultAfterSamples = 500, .faultEvery = 3000,
                    .faultBytes = 5});
  ASSERT_TRUE(sim);
  auto kit = Ppk2Supply::open(resource(*sim), benchLimits());
  ASSERT_TRUE(kit) << kit.error().message;
  ASSERT_TRUE((*kit)->setVoltage(1, 3.0));
  ASSERT_TRUE((*kit)->setOutput(1, true));
  ASSERT_TRUE((*kit)->startStream());
  std::vector<ppk2::Sample> samples;
  while (samples.size() < 20000) ASSERT_TRUE((*kit)->read(samples, Millis{200}));
  ASSERT_TRUE((*kit)->stopStream());
  EXPECT_GT((*kit)->streamStats().discardedBytes, 0u);
  for (const auto& s : samples) {
    if (!std::isnan(s.amps)) {
      ASSERT_NEAR(s.amps, 1.5e-3, 3e-5) << "no garbage decoded as a current";
    }
  }
}

TEST_F(Ppk2Driver, AStallTheCounterCannotSeeIsCaughtByTheClock) {
  auto sim = start({.fault = Ppk2Fault::Stall, .faultAfterSamples = 2000, .faultStallMs = 300});
  ASSERT_TRUE(sim);
  auto kit = Ppk2Supply::open(resource(*sim), benchLimits());
  ASSERT_TRUE(kit) << kit.error().message;
  ASSERT_TRUE((*kit)->startStream());
  std::vector<ppk2::Sample> samples;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  while (std::chrono::steady_clock::now() < until) ASSERT_TRUE((*kit)->read(samples, Millis{50}));
  ASSERT_TRUE((*kit)->stopStream());
  // 30,000 samples lost in the stall; the counter sees 30,000 mod 64 of them.
  EXPECT_GT((*kit)->clockShortfall(), 15000u) << "samples " << samples.size();
}

TEST_F(Ppk2Driver, AHostCurrentLimitSwitchesTheDutOff) {
  auto sim = start({.loadOhms = 10.0});  // 330 mA at 3.3 V
  ASSERT_TRUE(sim);
  auto kit = Ppk2Supply::open(resource(*sim), benchLimits());
  ASSERT_TRUE(kit) << kit.error().message;
  ASSERT_TRUE((*kit)->setCurrentLimit(1, 0.1));
  ASSERT_TRUE((*kit)->setVoltage(1, 3.3));
  ASSERT_TRUE((*kit)->setOutput(1, true));
  ASSERT_TRUE((*kit)->startStream());
  std::vector<ppk2::Sample> samples;
  Status status;
  for (int k = 0; k < 100 && status; ++k) status = (*kit)->read(samples, Millis{100});
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::Limit);
  EXPECT_NE(status.error().message.find("switched off"), std::string::npos) << status.error().message;
  EXPECT_TRUE(eventually([&] { return !sim->state().dutPowered; })) << "the DUT stays powered";
}

TEST_F(Ppk2Driver, AnUnpluggedKitIsAClearErrorAndNotAHang) {
  auto sim = start({.fault = Ppk2Fault::Unplug, .faultAfterSamples = 5000});
  ASSERT_TRUE(sim);
  auto kit = Ppk2Supply::open(resource(*sim), benchLimits());
  ASSERT_TRUE(kit) << kit.error().message;
  ASSERT_TRUE((*kit)->startStream());
  std::vector<ppk2::Sample> samples;
  Status status;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (status && std::chrono::steady_clock::now() < until) status = (*kit)->read(samples, Millis{100});
  ASSERT_FALSE(status) << "still reading after the unplug";
  EXPECT_EQ(status.error().code, ErrorCode::Io);
  EXPECT_NE(status.error().message.find("gone"), std::string::npos) << status.error().message;
}

TEST_F(Ppk2Driver, NotAKitAndNoPortAreClearErrors) {
  auto missing = Ppk2Supply::open("ASRL/dev/pts/99999::INSTR", benchLimits());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound) << missing.error().message;
  auto tcp = Ppk2Supply::open("TCPIP0::127.0.0.1::5025::SOCKET", benchLimits());
  ASSERT_FALSE(tcp);
  EXPECT_EQ(tcp.error().code, ErrorCode::Unsupported);
  // A port that never answers GetMetadata: a pseudo-terminal with nobody behind it.
  auto silent = start();
  ASSERT_TRUE(silent);
  silent->unplug();
  auto gone = Ppk2Supply::open(resource(*silent), benchLimits(), Ppk2Options{.timeout = Millis{300}});
  ASSERT_FALSE(gone);
}

TEST_F(Ppk2Driver, TheRegistryOpensItByName) {
  auto sim = start();
  ASSERT_TRUE(sim);
  auto psu = openPowerSupply(resource(*sim), benchLimits(), SupplyOptions{.driver = "ppk2"});
  ASSERT_TRUE(psu) << psu.error().message;
  auto id = (*psu)->identify();
  ASSERT_TRUE(id);
  EXPECT_EQ(id->family, "ppk2");
}
