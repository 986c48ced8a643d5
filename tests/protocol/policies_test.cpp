// The one policy table: names and wire codes unique, lookups both ways, and
// every place that lists policies (NUCLEO images, campaign validation) agrees.
#include "aidi/proto/policies.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

using namespace aidi::proto;

TEST(PolicyTable, NamesAndCodesAreUniqueAndFoundBothWays) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < kPolicyCount; ++i) {
    const PolicyInfo& p = kPolicies[i];
    EXPECT_TRUE(names.insert(p.name).second) << p.name;
    EXPECT_EQ(static_cast<std::size_t>(p.policy), i);
    EXPECT_EQ(findPolicy(p.name), &p);
    EXPECT_EQ(findPolicy(static_cast<std::uint32_t>(p.policy)), &p);
    EXPECT_STREQ(policyName(p.policy), p.name);
    EXPECT_NE(std::string(p.mechanism), "");
  }
  EXPECT_EQ(findPolicy("Aidi"), nullptr) << "names are exact";
  EXPECT_EQ(findPolicy("aid"), nullptr);
  EXPECT_EQ(findPolicy(""), nullptr);
  EXPECT_EQ(findPolicy(std::uint32_t{kPolicyCount}), nullptr);
  EXPECT_STREQ(policyName(static_cast<Policy>(200)), "invalid");
}

// aidi and DynBal decide from energy measured at run time; aidi's ablation
// resident-tile shares its engine, not its decisions; the published runtimes
// name their paper and run on the job engine.
TEST(PolicyTable, WhatAdaptsWhatRunsWhereAndWhatIsPublished) {
  const std::set<std::string> published{"hawaii", "stateful", "dynbal", "inas", "sonic"};
  for (const auto& p : kPolicies) {
    const std::string name = p.name;
    EXPECT_EQ(p.adapts, name == "aidi" || name == "dynbal") << name;
    EXPECT_EQ(p.engine == PolicyEngine::Resident, name == "aidi" || name == "resident-tile") << name;
    EXPECT_EQ(p.paper != nullptr, published.count(name) == 1) << name;
    if (p.engine == PolicyEngine::Resident) {
      EXPECT_EQ(p.progress, JobProgress::Record) << name;
    }
  }
  EXPECT_EQ(findPolicy("hawaii")->progress, JobProgress::Footprints);
  EXPECT_EQ(findPolicy("stateful")->progress, JobProgress::States);
  EXPECT_EQ(findPolicy("dynbal")->progress, JobProgress::States);
  EXPECT_EQ(findPolicy("sonic")->progress, JobProgress::LoopIndex);
}

// The NUCLEO build derives its image list from this table.
TEST(PolicyTable, TheNucleoBuildHasAnImagePerPolicy) {
  const std::filesystem::path dir = AIDI_FIRMWARE_DIR "/targets/nucleo-f412zg";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "firmware not built";
  for (const auto& p : kPolicies) {
    const auto elf = dir / ("aidi-inference-inas-tiny-" + std::string(p.name) + "-nucleo-f412zg.elf");
    EXPECT_TRUE(std::filesystem::exists(elf)) << elf;
  }
}
