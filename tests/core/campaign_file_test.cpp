#include "aidi/core/campaign_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "aidi/inst/temp_dir.hpp"

using namespace aidi;

namespace {
const std::filesystem::path kZoo = std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/models";

// Writes `text` as a campaign in a private folder with a copy of the weak
// indoor trace beside it (so "../traces/" resolves) and loads it.
inst::Result<core::CampaignFile> loadText(const std::string& text) {
  auto dir = inst::TempDir::create("aidi-campaign-");
  EXPECT_TRUE(dir);
  std::filesystem::create_directories(dir->path() / "campaigns");
  std::filesystem::create_directories(dir->path() / "traces");
  std::filesystem::copy(std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/traces/indoor-weak.csv",
                        dir->path() / "traces/indoor-weak.csv");
  const auto path = dir->path() / "campaigns" / "test-campaign.toml";
  std::ofstream(path) << text;
  return core::loadCampaignFile(path, kZoo);
}

const char* kValid = R"([campaign]
name = "t"
[matrix]
models = ["inas-tiny"]
policies = ["aidi"]
[[condition]]
name = "c"
trace = "../traces/indoor-weak.csv"
capacitor_uf = 100
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}
}  // namespace

TEST(CampaignFile, TheDemoCampaignLoads) {
  auto f = core::loadCampaignFile(std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/campaigns/demo.toml", kZoo);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->name, "demo");
  EXPECT_EQ(f->samples, 3);
  EXPECT_EQ(f->runCount(), 2u * 4u * 2u) << "two models x four policies x two conditions";
  ASSERT_EQ(f->conditions.size(), 2u);
  ASSERT_EQ(f->boards.size(), 1u);
  EXPECT_EQ(f->boards[0].name, "mps2-an386") << "the virtual bench's own board by default";
  EXPECT_DOUBLE_EQ(f->conditions[1].storage(f->boards[0]).capacitanceF, 1e-3);
  EXPECT_DOUBLE_EQ(f->conditions[1].capacitorUf, 1000);
  EXPECT_TRUE(std::filesystem::exists(f->conditions[0].trace));
}

TEST(CampaignFile, ErrorsNameTheLineAndTheKey) {
  ASSERT_TRUE(loadText(kValid)) << loadText(kValid).error().message;
  struct Case {
    std::string text;
    std::string message;
  } cases[] = {
      {replace(kValid, "\"inas-tiny\"", "\"inas-tiny\", \"no-such-net\""),
       ":4: matrix.models: unknown model \"no-such-net\""},
      // A name longer than the system allows is an unknown model, not a crash (found by fuzz.config).
      {replace(kValid, "\"inas-tiny\"", "\"" + std::string(5000, 'e') + "\""), ":4: matrix.models: unknown model \"eeee"},
      {replace(kValid, "\"inas-tiny\"", "\"../models/inas-tiny\""), ":4: matrix.models: unknown model \"../models/inas-tiny\""},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = -100"),
       ":9: condition[0].capacitor_uf: must be from 0.001 to 1e+07 (got -100)"},
      // Numbers are finite, whole where they count things, and in range.
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = inf"), ":9: condition[0].capacitor_uf: must be a finite number"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = nan"), ":9: condition[0].capacitor_uf: must be a finite number"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nv_on = inf"), ":10: condition[0].v_on: must be a finite number"},
      {replace(kValid, "trace = \"../traces/indoor-weak.csv\"", "constant_w = nan"),
       ":8: condition[0].constant_w: must be a finite number"},
      {replace(kValid, "trace = \"../traces/indoor-weak.csv\"", "constant_w = inf"),
       ":8: condition[0].constant_w: must be a finite number"},
      {replace(kValid, "name = \"t\"", "name = \"t\"\nsamples = 1.9"), ":3: campaign.samples (images of the fixture subset): must be a whole number"},
      {replace(kValid, "name = \"t\"", "name = \"t\"\nrepetitions = 2000000000"), ":3: campaign.repetitions: must be from 1 to 100000"},
      {replace(replace(kValid, "name = \"t\"", "name = \"t\"\nrepetitions = 60000"), "\"inas-tiny\"", "\"inas-tiny\", \"mcunet-s\""),
       "campaign.repetitions: the matrix plans 120000 runs; at most 100000"},
      {replace(kValid, "name = \"t\"", "name = \"t\"\ntime_limit_s = 1e-9"), ":3: campaign.time_limit_s: must be from 1 to 604800"},
      {replace(kValid, "\"aidi\"", "\"aidi\", \"aidi\""), ":5: matrix.policies: \"aidi\" is listed twice"},
      {replace(kValid, "\"inas-tiny\"", "\"inas-tiny\", \"inas-tiny\""), ":4: matrix.models: \"inas-tiny\" is listed twice"},
      {replace(kValid, "policies = [\"aidi\"]", "policies = [\"aidi\"]\nboards = [\"no-such-board\"]"),
       ":6: matrix.boards: unknown board \"no-such-board\" (profiles in"},
      {replace(kValid, "policies = [\"aidi\"]", "policies = [\"aidi\"]\nboards = [\"nucleo-f412zg\"]"),
       ":6: matrix.boards: board \"nucleo-f412zg\" runs on nucleo-f412zg, not on the virtual bench"},
      {replace(kValid, "policies = [\"aidi\"]", "policies = [\"aidi\"]\nboards = [\"../boards/apollo3\"]"),
       ":6: matrix.boards: unknown board \"../boards/apollo3\""},
      {replace(kValid, "indoor-weak.csv", "missing.csv"), ":8: condition[0].trace: trace file not found:"},
      {replace(kValid, "name = \"t\"", "name = \"t\"\nsampels = 3"), ":3: campaign.sampels: unknown key"},
      {replace(kValid, "\"aidi\"", "\"greedy\""), ":5: matrix.policies: unknown policy \"greedy\""},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nv_off = 3.5"), ": condition[0]: need 0 < v_off < v_on"},
      {replace(kValid, "[matrix]", "[matrix"), ":3: bad TOML:"},
      {replace(kValid, "name = \"t\"", "name = \"t\"\nsensing = \"psychic\""), ":3: campaign.sensing: must be \"adc\" or \"oracle\""},
      // Start state and time, window and wrapping (the trace is 60 s long).
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nv_start = 4"), ":10: condition[0].v_start: must be from 0 to 3.6 (got 4)"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nv_start = -0.1"), ":10: condition[0].v_start: must be from 0 to 3.6"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nwrap = false\nstart_s = 60"),
       ":11: condition[0].start_s: starts at or after the end of the trace (60 s), which does not wrap"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nwrap = false\nstart_s = 70"), ":11: condition[0].start_s: must be from 0 to 60"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nwrap = false\nstart_s = 10\nwindow_s = 100"),
       ":12: condition[0].window_s: the window ends at 110 s, after the end of the trace (60 s), which does not wrap"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nwindow_s = 1e9"), ":10: condition[0].window_s: must be from 0.001 to"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nwindow_s = 0"), ":10: condition[0].window_s: must be from 0.001 to"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nwrap = \"yes\""), ":10: condition[0].wrap: must be true or false"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nstarts = 0"), ":10: condition[0].starts: must be from 1 to 1000"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nstarts = 8\nstart_s = 3"), ":10: condition[0].starts: give start_s or starts, not both"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nleakage_w = -1e-6"), ":10: condition[0].leakage_w: must be from 0 to 1"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nstarts = 8\nseed = -1"), ":11: condition[0].seed: must be from 0 to"},
      // Continuous operation.
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nmode = \"forever\""), ":10: condition[0].mode: must be \"single\" or \"continuous\""},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nmode = \"continuous\""), ": condition[0].duration_s: a continuous run needs its duration"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nmode = \"continuous\"\nduration_s = 600\nperiod_s = 0"),
       ":12: condition[0].period_s: must be above 0 (leave it out for back-to-back requests)"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nmode = \"continuous\"\nduration_s = 600\nperiod_s = -5"),
       ":12: condition[0].period_s: must be from 0 to"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nmode = \"continuous\"\nduration_s = 1e9"), ":11: condition[0].duration_s: must be from 0.001 to"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nwrap = false\nmode = \"continuous\"\nstart_s = 30\nduration_s = 60"),
       ":13: condition[0].duration_s: the run ends at 90 s, after the end of the trace (60 s), which does not wrap"},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nperiod_s = 5"), ":10: condition[0].period_s: only with mode = \"continuous\""},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nstarts = 4\nmode = \"continuous\"\nduration_s = 60"),
       ":10: condition[0].starts: a continuous run starts once: give start_s"},
      {replace(kValid, "trace = \"../traces/indoor-weak.csv\"", ""), ": condition[0].trace: give a trace file or constant_w"},
  };
  for (const auto& c : cases) {
    auto f = loadText(c.text);
    ASSERT_FALSE(f) << c.text;
    EXPECT_NE(f.error().message.find(c.message), std::string::npos) << f.error().message;
    EXPECT_NE(f.error().message.find("test-campaign.toml"), std::string::npos) << "names the file";
  }
}

// By default an inference starts just browned out (V_off) at t = 0 of a
// trace that repeats, within a week; `starts` spreads its start times over
// the trace, the same for every run of the condition.
TEST(CampaignFile, StartStateAndStartTimes) {
  auto plain = loadText(kValid);
  ASSERT_TRUE(plain) << plain.error().message;
  const auto& w = plain->conditions[0].window;
  EXPECT_EQ(w.startS, 0);
  EXPECT_FALSE(w.vStart);
  EXPECT_DOUBLE_EQ(w.startVolts(plain->conditions[0].storage(plain->boards[0])), 2.0);
  EXPECT_TRUE(w.wrap);
  EXPECT_EQ(w.windowS, core::kDefaultWindowS);
  EXPECT_EQ(plain->runCount(), 1u);

  auto spread = loadText(replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nstarts = 8\nseed = 7\nv_start = 0\nleakage_w = 1e-6"));
  ASSERT_TRUE(spread) << spread.error().message;
  const auto& c = spread->conditions[0];
  EXPECT_EQ(c.storage(spread->boards[0]).leakageW, 1e-6);
  auto trace = inst::HarvestTrace::load(std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/traces/indoor-weak.csv");
  ASSERT_TRUE(trace);  // the copy beside the campaign went with its folder
  const auto starts = c.startTimes(*trace);
  ASSERT_EQ(starts.size(), 8u);
  for (std::size_t k = 0; k < starts.size(); ++k) {
    EXPECT_GE(starts[k], 60.0 * k / 8) << "one start in each eighth of the trace";
    EXPECT_LT(starts[k], 60.0 * (k + 1) / 8);
  }
  EXPECT_EQ(starts, c.startTimes(*trace)) << "drawn from the seed: the same for every policy";
  auto other = loadText(replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nstarts = 8\nseed = 8"));
  ASSERT_TRUE(other);
  EXPECT_NE(starts, other->conditions[0].startTimes(*trace));
}

// A campaign recorded its board profile before the ADC and shutdown figures
// existed: its runs still report and resume, with what the bench did then
// (no shutdown); a profile file without them is refused.
TEST(BoardProfile, ARecordedProfileFromBeforeTheLaterFiguresStillLoads) {
  auto good = core::findBoardProfile("mps2-an386");
  ASSERT_TRUE(good);
  std::string old;
  std::istringstream lines(good->text);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("adc_", 0) != 0 && line.rfind("shutdown_power_w", 0) != 0) old += line + "\n";
  auto recorded = core::parseBoardProfile(old, "recorded.toml", core::ProfileOrigin::Recorded);
  ASSERT_TRUE(recorded) << recorded.error().message;
  EXPECT_EQ(recorded->shutdownPowerW, recorded->sleepingPowerW());
  EXPECT_GE(recorded->adcFullScaleV, recorded->vMax);
  EXPECT_NE(recorded->sources.at("adc_bits").find("came later"), std::string::npos);
  auto file = core::parseBoardProfile(old, "file.toml");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message.find("shutdown_power_w"), std::string::npos) << file.error().message;
}

TEST(CampaignFile, AMissingFileIsNotFound) {
  auto f = core::loadCampaignFile("/nonexistent/campaign.toml", kZoo);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, inst::ErrorCode::NotFound);
  auto dir = core::loadCampaignFile(std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures", kZoo);
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().message.find("is a directory, not a campaign file"), std::string::npos) << dir.error().message;
  auto longName = core::loadCampaignFile("/tmp/" + std::string(300, 'x') + ".toml", kZoo);
  ASSERT_FALSE(longName);
  EXPECT_NE(longName.error().message.find("File name too long"), std::string::npos) << longName.error().message;
  // A device would be read for ever: refused at once.
  auto device = core::loadCampaignFile("/dev/zero", kZoo);
  ASSERT_FALSE(device);
  EXPECT_NE(device.error().message.find("is not a regular file"), std::string::npos) << device.error().message;
  auto trace = loadText(replace(kValid, "\"../traces/indoor-weak.csv\"", "\"/dev/zero\""));
  ASSERT_FALSE(trace);
  EXPECT_NE(trace.error().message.find("/dev/zero: is not a regular file"), std::string::npos) << trace.error().message;
}

// A campaign compares boards: each named profile, and a condition's storage
// takes the board's thresholds and converter unless the condition overrides them.
TEST(CampaignFile, BoardsComeFromTheirProfiles) {
  auto f = loadText(replace(kValid, "policies = [\"aidi\"]", "policies = [\"aidi\"]\nboards = [\"mps2-an386\", \"apollo3\"]"));
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->boards.size(), 2u);
  EXPECT_EQ(f->runCount(), 2u);
  const auto& apollo = f->boards[1];
  EXPECT_EQ(apollo.name, "apollo3");
  EXPECT_DOUBLE_EQ(apollo.clockHz, 48e6);
  EXPECT_FALSE(apollo.sources.at("active_power_w").empty());
  EXPECT_EQ(f->findBoard("apollo3"), &f->boards[1]);
  auto overridden = loadText(replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nv_on = 3.3"));
  ASSERT_TRUE(overridden) << overridden.error().message;
  const auto storage = overridden->conditions[0].storage(overridden->boards[0]);
  EXPECT_DOUBLE_EQ(storage.vOn, 3.3);
  EXPECT_DOUBLE_EQ(storage.vOff, overridden->boards[0].vOff);
}

// Every campaign shipped in fixtures/campaigns is valid (the demo, the study,
// the real-bench demo with its bench file).
TEST(CampaignFile, EveryShippedCampaignLoads) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/campaigns")) {
    if (entry.path().extension() != ".toml") continue;
    auto f = core::loadCampaignFile(entry.path(), kZoo);
    EXPECT_TRUE(f) << entry.path() << ": " << f.error().message;
    ++count;
  }
  EXPECT_GE(count, 4);
}

// A device that is not what its profile says is refused, naming both.
TEST(BoardProfile, AHelloThatDisagreesWithTheProfileIsAnError) {
  auto nucleo = core::findBoardProfile("nucleo-f412zg");
  ASSERT_TRUE(nucleo) << nucleo.error().message;
  proto::Hello h{};
  const std::string target = "nucleo-f412zg";
  std::copy(target.begin(), target.end(), h.target);
  h.targetLength = static_cast<std::uint8_t>(target.size());
  h.clockHz = 100'000'000;
  EXPECT_TRUE(core::checkHelloAgainstProfile(h, *nucleo));
  h.clockHz = 25'000'000;
  auto clock = core::checkHelloAgainstProfile(h, *nucleo);
  ASSERT_FALSE(clock);
  EXPECT_NE(clock.error().message.find("runs at 25000000 Hz but board profile \"nucleo-f412zg\""), std::string::npos)
      << clock.error().message;
  EXPECT_NE(clock.error().message.find("says 100000000 Hz"), std::string::npos) << clock.error().message;
  h.clockHz = 100'000'000;
  h.targetLength = 10;
  std::copy_n("mps2-an386", 10, h.target);
  auto wrong = core::checkHelloAgainstProfile(h, *nucleo);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("says it is a \"mps2-an386\""), std::string::npos) << wrong.error().message;
}

// Every shipped profile loads, names itself after its file and cites a source
// for every figure; broken profiles are refused with the line and the key.
TEST(BoardProfile, ShippedProfilesLoadAndBrokenOnesAreRefused) {
  const auto names = core::boardNames();
  EXPECT_GE(names.size(), 3u);
  for (const auto& name : names) {
    auto p = core::findBoardProfile(name);
    ASSERT_TRUE(p) << name << ": " << p.error().message;
    EXPECT_EQ(p->sources.size(), 24u) << name;
    for (const auto& [key, source] : p->sources) EXPECT_FALSE(source.empty()) << name << " " << key;
  }
  auto good = core::findBoardProfile("mps2-an386");
  ASSERT_TRUE(good);
  const auto broken = [&](const std::string& from, const std::string& to) {
    std::string text = good->text;
    text.replace(text.find(from), from.size(), to);
    return core::parseBoardProfile(text, "b.toml");
  };
  struct Case {
    std::string from, to, message;
  } cases[] = {
      {"value = 25e6,", "value = nan,", "clock_hz.value: must be finite"},
      {"value = 25e6,", "value = 0,", "clock_hz.value: must be finite and within"},
      {"value = 5.925e-3, source = \"", "value = 5.925e-3, source = \"\" } #", "active_power_w.source: every figure needs its source"},
      {"value = 16,", "value = 16.5,", "nvm_cycles_per_byte.value: must be a whole number"},
      {"v_off = { value = 2.0,", "v_off = { value = 3.2,", "v_on: need v_off < v_on <= v_max"},
      {"name = \"mps2-an386\"", "name = \"mps2-an386\"\nbogus = 1", "bogus: unknown key"},
      {"clock_hz = { value = 25e6,", "clock_hz = { valeu = 25e6,", "clock_hz.value: needs a number"},
      {"adc_full_scale_v = { value = 4.096,", "adc_full_scale_v = { value = 3.3,", "adc_full_scale_v: must reach v_max"},
      {"adc_bits = { value = 12,", "adc_bits = { value = 40,", "adc_bits.value: must be finite and within"},
  };
  for (const auto& c : cases) {
    auto p = broken(c.from, c.to);
    ASSERT_FALSE(p) << c.to;
    EXPECT_NE(p.error().message.find(c.message), std::string::npos) << p.error().message;
    EXPECT_TRUE(p.error().message.starts_with("b.toml:")) << p.error().message;
  }
}
