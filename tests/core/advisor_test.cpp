// The advisor's pure parts: the capacitor grid, the answer's JSON (what the
// database keeps and `aidi advise --show` reads back) and where the front
// plot puts each point (what a click in the GUI resolves to).
#include "aidi/core/advisor.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include <fmt/format.h>

namespace {

using aidi::core::AdvicePoint;
using aidi::core::AdviceResult;

AdvicePoint point(std::string policy, double capUf, double p95, std::int64_t run, bool onFront = false) {
  AdvicePoint p;
  p.model = "mcunet-s";
  p.board = "mps2-an386";
  p.policy = std::move(policy);
  p.capacitorUf = capUf;
  p.accuracy = 0.9;
  p.p95LatencyS = p95;
  p.medianLatencyS = p95 / 2;
  p.meetRate = 0.5;
  p.run = run;
  p.onFront = onFront;
  return p;
}

TEST(CapacitorGrid, IsLogarithmicWithBothEnds) {
  const auto grid = aidi::core::capacitorGrid(22, 10000, 3);
  ASSERT_GE(grid.size(), 9u);
  EXPECT_DOUBLE_EQ(grid.front(), 22);
  EXPECT_DOUBLE_EQ(grid.back(), 10000);
  for (std::size_t i = 1; i < grid.size(); ++i) EXPECT_GT(grid[i], grid[i - 1]);
}

TEST(AdviceCaps, RangesParseWithUnitsAndBadOnesSayWhy) {
  aidi::core::AdviceRequest r;
  ASSERT_TRUE(aidi::core::parseCapRange("22u..10m", r));
  EXPECT_DOUBLE_EQ(r.capMinUf, 22);
  EXPECT_DOUBLE_EQ(r.capMaxUf, 10000);
  // (Syntax here; the range, 1n to 10 F and upside down, is checkAdviceRequest's, tested by the CLI.)
  for (const char* bad : {"22x..1m", "22u-1m", "nan..1m", "..1m", "1u..inf", "1u..1mm"}) {
    auto refused = aidi::core::parseCapRange(bad, r);
    EXPECT_FALSE(refused) << bad;
    if (!refused) {
      EXPECT_NE(refused.error().message.find("--caps"), std::string::npos) << refused.error().message;
    }
  }
}

TEST(AdviceJson, AnAnswerReadsBackAsWritten) {
  AdviceResult r;
  r.advice = 7;
  r.trace = "office-day.csv";
  r.deadlineS = 30;
  r.points = {point("aidi", 100, 3.0, 11, true), point("loop", 1000, std::numeric_limits<double>::infinity(), 12)};
  r.points[1].failure = "no inference finished";
  r.recommended = 0;
  r.verdict = "mcunet-s under aidi with 100 uF";
  const auto back = aidi::core::adviceOf(aidi::core::adviceJson(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->advice, 7);
  EXPECT_EQ(back->deadlineS, 30);
  ASSERT_EQ(back->points.size(), 2u);
  EXPECT_EQ(back->points[0].run, 11);
  EXPECT_TRUE(back->points[0].onFront);
  EXPECT_EQ(back->points[1].failure, "no inference finished");
  EXPECT_FALSE(std::isfinite(back->points[1].p95LatencyS)) << "a configuration that never finished stays 'never'";
  EXPECT_EQ(back->recommended, 0u);
  EXPECT_FALSE(aidi::core::adviceOf(nlohmann::json::parse(R"({"points": 3})")));
}

// Three policies that tie at one capacitor must stay three markers a user
// can see and click, not one drawn over the others.
TEST(AdviceFront, TiedPointsAreSpreadSoEachCanBeClicked) {
  AdviceResult r;
  r.deadlineS = 30;
  r.points = {point("aidi", 100, 3.014, 1, true), point("fixed-tile", 100, 3.021, 2), point("loop", 100, 3.027, 3),
              point("aidi", 1000, 22.93, 4), point("loop", 316, 7.95, 5), point("no-run", 470, 0, 6)};
  r.points.back().failure = "no inference finished";
  r.recommended = 0;
  const auto placed = aidi::core::adviceFrontPlacement(r);
  ASSERT_EQ(placed.size(), 5u) << "a point without a latency is not drawn";
  std::set<std::size_t> points;
  for (const auto& a : placed) {
    points.insert(a.point);
    EXPECT_GT(a.x, 0);
    EXPECT_LT(a.x, aidi::core::kFrontPlotWidth);
    EXPECT_GT(a.y, 0);
    EXPECT_LT(a.y, aidi::core::kFrontPlotHeight);
    for (const auto& b : placed) {
      if (a.point != b.point) {
        EXPECT_GE(std::hypot(a.x - b.x, a.y - b.y), 8.0) << "points " << a.point << " and " << b.point << " overlap";
      }
    }
  }
  EXPECT_EQ(points.size(), 5u);
  // Larger capacitors lie further right, longer latencies higher up.
  const auto at = [&](std::size_t i) {
    for (const auto& a : placed)
      if (a.point == i) return a;
    return aidi::core::AdvicePlacement{};
  };
  EXPECT_LT(at(4).x, at(3).x);
  EXPECT_GT(at(4).y, at(3).y);
  // The SVG draws the recommendation's ring where its point is placed.
  const std::string svg = aidi::core::adviceFrontSvg(r);
  EXPECT_NE(svg.find(fmt::format(R"(cx="{:.1f}" cy="{:.1f}" r="9")", at(0).x, at(0).y)), std::string::npos) << svg;
}

}  // namespace
