#include "aidi/core/campaign_file.hpp"

#include <gtest/gtest.h>

#include <fstream>

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
  EXPECT_DOUBLE_EQ(f->conditions[1].storage.capacitanceF, 1e-3);
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
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = -100"),
       ":9: condition[0].capacitor_uf: must be positive (got -100.000000)"},
      {replace(kValid, "indoor-weak.csv", "missing.csv"), ":8: condition[0].trace: trace file not found:"},
      {replace(kValid, "name = \"t\"", "name = \"t\"\nsampels = 3"), ":3: campaign.sampels: unknown key"},
      {replace(kValid, "\"aidi\"", "\"greedy\""), ":5: matrix.policies: unknown policy \"greedy\""},
      {replace(kValid, "capacitor_uf = 100", "capacitor_uf = 100\nv_off = 3.5"), ": condition[0]: need 0 < v_off < v_on"},
      {replace(kValid, "[matrix]", "[matrix"), ":3: bad TOML:"},
      {replace(kValid, "trace = \"../traces/indoor-weak.csv\"", ""), ": condition[0].trace: give a trace file or constant_w"},
  };
  for (const auto& c : cases) {
    auto f = loadText(c.text);
    ASSERT_FALSE(f) << c.text;
    EXPECT_NE(f.error().message.find(c.message), std::string::npos) << f.error().message;
    EXPECT_NE(f.error().message.find("test-campaign.toml"), std::string::npos) << "names the file";
  }
}

TEST(CampaignFile, AMissingFileIsNotFound) {
  auto f = core::loadCampaignFile("/nonexistent/campaign.toml", kZoo);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, inst::ErrorCode::NotFound);
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
