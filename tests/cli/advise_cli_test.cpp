// `aidi advise` as a user runs it (docs/advise.md): a small sweep on the
// virtual bench answers with a front, a recommendation and its validation
// at held-out start times; asking again re-runs nothing; a sweep killed
// with -9 continues where it was; a deadline no configuration meets is
// said, with the closest; bad input is refused before anything runs or is
// recorded.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "../support/cli_run.hpp"
#include "../support/sqlite_scalar.hpp"
#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/temp_dir.hpp"

using aidi::inst::Subprocess;
using aidi::test::runAidi;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string kTraces = AIDI_SOURCE_DIR "/fixtures/traces/";

class AdviseCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = aidi::inst::TempDir::create("aidi-advise-cli-");
    ASSERT_TRUE(d);
    m_dir.emplace(std::move(*d));
  }
  std::filesystem::path path(const std::string& name) const { return m_dir->path() / name; }
  // A small question: inas-tiny under two policies over a few capacitors.
  std::vector<std::string> small(const std::string& db, std::vector<std::string> more = {}) const {
    std::vector<std::string> args{"advise", "--trace", kTraces + "indoor-strong.csv", "--models", "inas-tiny",
                                  "--policies", "loop,aidi", "--caps", "100u..1m", "--caps-per-decade", "2",
                                  "--holdout", "4", "--db", path(db).string()};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  std::optional<aidi::inst::TempDir> m_dir;
};

json lastJson(const std::string& output) {
  const auto lines = aidi::test::jsonLines(output);
  return lines.empty() ? json() : lines.back();
}

}  // namespace

TEST_F(AdviseCli, AnswersWithAFrontARecommendationAndItsValidation) {
  auto asked = runAidi(small("a.sqlite", {"--deadline", "30", "--json", "--html", path("a.html").string()}));
  ASSERT_EQ(asked.exitCode, 0) << asked.output;
  const json a = lastJson(asked.output);
  ASSERT_TRUE(a.contains("points")) << asked.output;
  const auto& points = a["points"];
  ASSERT_GE(points.size(), 6u);  // 2 policies x 3 capacitors, and what refinement added
  ASSERT_TRUE(a["recommended"].is_number());
  const json& r = points[a["recommended"].get<std::size_t>()];
  EXPECT_EQ(r["model"], "inas-tiny");
  EXPECT_GT(r["meet_rate"].get<double>(), 0.5) << "a strong harvest makes 30 s easily";
  EXPECT_TRUE(a["meets"].get<bool>());
  EXPECT_NE(a["verdict"].get<std::string>().find("meets the 30 s deadline"), std::string::npos);
  // The front: no point on it is dominated by any other point.
  int front = 0;
  for (const auto& p : points) {
    if (!p["on_front"].get<bool>()) continue;
    ++front;
    for (const auto& q : points) {
      if (&q == &p || q["p95_latency_s"].is_null()) continue;
      const bool noWorse = q["accuracy"] >= p["accuracy"] && q["p95_latency_s"] <= p["p95_latency_s"] &&
                           q["capacitor_uf"] <= p["capacitor_uf"] && q["meet_rate"] >= p["meet_rate"];
      const bool better = q["accuracy"] > p["accuracy"] || q["p95_latency_s"] < p["p95_latency_s"] ||
                          q["capacitor_uf"] < p["capacitor_uf"] || q["meet_rate"] > p["meet_rate"];
      EXPECT_FALSE(noWorse && better) << p.dump() << " is dominated by " << q.dump();
    }
  }
  EXPECT_GE(front, 1);
  // Validated at held-out start times, and said whether it holds.
  ASSERT_TRUE(a.contains("validation"));
  EXPECT_EQ(a["validation"]["starts"], 4);
  EXPECT_TRUE(a["validation"]["holds"].get<bool>()) << a["validation"].dump();
  EXPECT_GT(a["configurations_per_minute"].get<double>(), 0);
  // Every point names the run behind it, which the database holds.
  for (const auto& p : points)
    EXPECT_EQ(aidi::test::sqliteScalar(path("a.sqlite"), "SELECT COUNT(*) FROM runs WHERE id = " + p["run"].dump()), 1);
  std::ifstream html(path("a.html"));
  const std::string page((std::istreambuf_iterator<char>(html)), {});
  EXPECT_NE(page.find("<svg"), std::string::npos);
  EXPECT_NE(page.find("deadline 30 s"), std::string::npos);

  // Asked again: every configuration is known, nothing runs again.
  const auto runs = aidi::test::sqliteScalar(path("a.sqlite"), "SELECT COUNT(*) FROM runs");
  auto again = runAidi(small("a.sqlite", {"--deadline", "30", "--json"}));
  ASSERT_EQ(again.exitCode, 0) << again.output;
  const json b = lastJson(again.output);
  EXPECT_EQ(b["measured_now"], 0);
  EXPECT_EQ(b["reused"], b["configurations"]);
  EXPECT_EQ(aidi::test::sqliteScalar(path("a.sqlite"), "SELECT COUNT(*) FROM runs"), runs);
  // The recorded answer reads back, as text.
  auto shown = runAidi({"advise", "--show", a["advice"].dump(), "--db", path("a.sqlite").string()});
  ASSERT_EQ(shown.exitCode, 0) << shown.output;
  EXPECT_NE(shown.output.find("Recommendation: "), std::string::npos) << shown.output;
  EXPECT_NE(shown.output.find("<- recommended"), std::string::npos) << shown.output;
}

TEST_F(AdviseCli, ADeadlineNoConfigurationMeetsIsSaidWithTheClosest) {
  auto asked = runAidi(small("d.sqlite", {"--deadline", "0.001", "--json", "--refine", "0"}));
  ASSERT_EQ(asked.exitCode, 0) << asked.output;
  const json a = lastJson(asked.output);
  EXPECT_FALSE(a["meets"].get<bool>());
  const std::string verdict = a["verdict"];
  EXPECT_NE(verdict.find("no configuration meets the 0.001 s deadline"), std::string::npos) << verdict;
  EXPECT_NE(verdict.find("the closest is inas-tiny"), std::string::npos) << verdict;
  ASSERT_TRUE(a["recommended"].is_number());
  EXPECT_LT(a["margin_s"].get<double>(), 0) << "how far the closest is";
}

TEST_F(AdviseCli, InContinuousOperationTheFrontWeighsInferencesPerDayAndADayValidatesIt) {
  auto asked = runAidi(small("c.sqlite", {"--continuous", "5", "--refine", "0", "--json"}), 300000ms);
  ASSERT_EQ(asked.exitCode, 0) << asked.output;
  const json a = lastJson(asked.output);
  EXPECT_EQ(a["continuous_period_s"], 5);
  const json& r = a["points"][a["recommended"].get<std::size_t>()];
  EXPECT_GT(r["inferences_per_day"].get<double>(), 0);
  EXPECT_LE(r["inferences_per_day"].get<double>(), 86400.0 / 5 + 1e-6) << "never more than one per request";
  for (const auto& p : a["points"])
    EXPECT_LE(p["inferences_per_day"].get<double>(), r["inferences_per_day"].get<double>())
        << "the recommendation serves the most a day";
  ASSERT_TRUE(a.contains("validation"));
  EXPECT_GT(a["validation"]["measured_per_day"].get<double>(), 0);
  EXPECT_TRUE(a["validation"]["holds"].get<bool>()) << a["validation"].dump();
  EXPECT_NE(a["verdict"].get<std::string>().find("inferences a day"), std::string::npos);
}

TEST_F(AdviseCli, BadInputIsRefusedBeforeAnythingRunsOrIsRecorded) {
  {
    std::ofstream dark(path("dark.csv"));
    dark << "time_s,power_w\n0,0\n3600,0\n";
  }
  const std::string db = path("bad.sqlite").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"advise", "--db", db}, "--trace is required"},
      {{"advise", "--trace", path("dark.csv").string(), "--db", db}, "delivers no energy"},
      {{"advise", "--trace", path("missing.csv").string(), "--db", db}, "missing.csv"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--caps", "1m..22u", "--db", db}, "--caps"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--caps", "22x..1m", "--db", db}, "a unit p, n, u, m"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--caps", "22u-1m", "--db", db}, "MIN..MAX"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--models", "no-such-model", "--db", db}, "no-such-model"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--policies", "fastest", "--db", db}, "fastest"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--policies", ",", "--db", db}, "was the list empty?"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--boards", "no-such-board", "--db", db}, "no-such-board"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--boards", "nucleo-f412zg", "--db", db}, "is a real board"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--min-accuracy", "0.99", "--db", db},
       "no model reaches an accuracy of 99.0 %"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--min-accuracy", "1.5", "--db", db}, "min-accuracy"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--deadline", "-1", "--db", db}, "deadline"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--deadline", "nan", "--db", db}, "deadline"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--caps-per-decade", "0", "--db", db}, "caps-per-decade"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--continuous", "0.001", "--db", db}, "--continuous"},
      {{"advise", "--trace", kTraces + "indoor-strong.csv", "--caps", "1n..10", "--caps-per-decade", "24", "--boards",
        "mps2-an386,apollo3", "--db", db},
       "narrow"},
  };
  for (const auto& [args, says] : cases) {
    auto refused = runAidi(args);
    EXPECT_NE(refused.exitCode, 0) << says;
    EXPECT_NE(refused.output.find(says), std::string::npos) << "expected \"" << says << "\" in: " << refused.output;
  }
  EXPECT_FALSE(std::filesystem::exists(path("bad.sqlite"))) << "nothing ran, nothing was recorded";
}

TEST_F(AdviseCli, KilledMidSweepThenAskedAgainContinuesWithoutRepeatingARun) {
  const std::string db = path("k.sqlite").string();
  std::vector<std::string> args{AIDI_CLI_PATH, "advise", "--trace", kTraces + "indoor-weak.csv", "--models",
                                "inas-tiny", "--policies", "layer,loop,aidi,sonic", "--caps", "47u..2m",
                                "--caps-per-decade", "3", "--holdout", "4", "--jobs", "1", "--db", db, "--json"};
  auto child = Subprocess::spawn(args);
  ASSERT_TRUE(child) << child.error().message;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  const auto ended = [&] {
    return aidi::test::sqliteScalarOnceThere(db, "SELECT COUNT(*) FROM runs WHERE state IN ('done', 'failed')");
  };
  while (ended() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  ASSERT_EQ(::kill(child->pid(), SIGKILL), 0);
  (void)child->wait(10000ms);
  const auto before = ended();
  ASSERT_GE(before, 3) << child->output();
  const auto total = aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs");
  EXPECT_LT(before, total) << "the kill came too late to test anything";

  args.erase(args.begin());
  auto again = runAidi(args, 300000ms);
  ASSERT_EQ(again.exitCode, 0) << again.output;
  const json a = lastJson(again.output);
  EXPECT_LT(a["measured_now"].get<int>(), a["configurations"].get<int>()) << "what ended before the kill is reused";
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM advice"), 1) << "the same advice, continued";
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT state = 'done' FROM advice"), 1);
  // No configuration was measured twice the same way: one ended run per condition and policy.
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM (SELECT policy, condition FROM runs WHERE state IN "
                                         "('done', 'failed') GROUP BY policy, condition HAVING COUNT(*) > 1)"),
            0)
      << again.output;
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state IN ('planned', 'running')"), 0);
}

TEST_F(AdviseCli, CtrlCStopsWithinSecondsAndAskingAgainFinishes) {
  const std::string db = path("i.sqlite").string();
  std::vector<std::string> args{AIDI_CLI_PATH, "advise", "--trace", kTraces + "indoor-weak.csv", "--models",
                                "inas-tiny", "--policies", "layer,loop,aidi,sonic", "--caps", "47u..2m",
                                "--caps-per-decade", "3", "--holdout", "4", "--db", db, "--json"};
  auto child = Subprocess::spawn(args);
  ASSERT_TRUE(child) << child.error().message;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline &&
         aidi::test::sqliteScalarOnceThere(db, "SELECT COUNT(*) FROM runs WHERE state IN ('done', 'failed')") < 2)
    std::this_thread::sleep_for(20ms);
  const auto interrupted = std::chrono::steady_clock::now();
  child->signal(SIGINT);
  auto code = child->wait(30000ms);
  ASSERT_TRUE(code) << child->output();
  EXPECT_EQ(*code, 130) << child->output();
  EXPECT_LT(std::chrono::steady_clock::now() - interrupted, 10s) << "generous: the run in hand stops at a power cycle";
  EXPECT_NE(child->output().find("asking the same question again continues"), std::string::npos) << child->output();
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM advice WHERE state = 'running'"), 1) << "not answered yet";

  args.erase(args.begin());
  auto again = runAidi(args, 300000ms);
  ASSERT_EQ(again.exitCode, 0) << again.output;
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM advice WHERE state = 'done'"), 1);
}
