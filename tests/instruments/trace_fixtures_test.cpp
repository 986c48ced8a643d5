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
    double stated = -1, statedDark = -1;
    while (std::getline(in, line)) {
      if (!line.starts_with("# mean power ")) continue;
      stated = std::stod(line.substr(13));
      if (const auto dark = line.find(", dark "); dark != line.npos) statedDark = std::stod(line.substr(dark + 7));
    }
    ASSERT_GT(stated, 0) << e.path();
    ASSERT_GE(statedDark, 0) << e.path();
    if (trace->period() > 0) {
      EXPECT_NEAR(trace->darkSeconds(0, trace->period()), statedDark, 1e-6 * trace->period() + 1e-3) << e.path();
    }
    // Over the whole trace (its period; one minute for a constant), and its
    // dark time as stated.
    const double span = trace->period() > 0 ? trace->period() : 60.0;
    EXPECT_NEAR(trace->energy(0, span) / span, stated, stated * 1e-4) << e.path();
  }
  EXPECT_GE(traces, 10);
}
