// Every committed trace loads, and its mean power is what its header says.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "aidi/inst/harvest_trace.hpp"

using namespace aidi::inst;

TEST(TraceFixtures, AllLoadWithTheStatedMeanPower) {
  int traces = 0;
  for (const auto& e : std::filesystem::directory_iterator(AIDI_SOURCE_DIR "/fixtures/traces")) {
    if (e.path().extension() != ".csv") continue;
    ++traces;
    auto trace = HarvestTrace::load(e.path());
    ASSERT_TRUE(trace) << trace.error().message;
    std::ifstream in(e.path());
    std::string line;
    double stated = -1;
    while (std::getline(in, line))
      if (line.starts_with("# mean power ")) stated = std::stod(line.substr(13));
    ASSERT_GT(stated, 0) << e.path();
    EXPECT_NEAR(trace->energy(0, 60) / 60, stated, stated * 1e-4) << e.path();
  }
  EXPECT_GE(traces, 6);
}
