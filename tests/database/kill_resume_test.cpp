// kill -9 of a process writing a campaign, over and over at random moments.
// After every kill the file passes integrity_check and every run the victim
// had reported committed is still there, complete. Resuming then completes the
// campaign with every planned run recorded exactly once.
#include <signal.h>

#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "aidi/inst/subprocess.hpp"
#include "db_test_support.hpp"

using namespace std::chrono_literals;
using aidi::inst::Subprocess;
using aidi::test::DbTest;

namespace {
constexpr int kRuns = 200;
constexpr int kRows = 20000;  // checkpoint rows per run
constexpr int kKills = 100;

std::set<std::int64_t> reportedDone(const std::string& output) {
  std::set<std::int64_t> done;
  std::istringstream in(output);
  std::string word;
  std::int64_t id;
  // A line cut by the kill is not a report.
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    if (l >> word >> id && word == "done" && !in.eof()) done.insert(id);
  }
  return done;
}
}  // namespace

TEST_F(DbTest, KillNineAtRandomMomentsThenResumeRecordsEveryRunOnce) {
  const std::string db = path().string();
  const std::vector<std::string> argv = {AIDI_KILL_VICTIM, db, std::to_string(kRuns), std::to_string(kRows)};
  std::mt19937 rng(2026);
  std::set<std::int64_t> mustSurvive;
  int killedMidWork = 0;
  for (int k = 0; k < kKills; ++k) {
    auto victim = Subprocess::spawn(argv);
    ASSERT_TRUE(victim) << victim.error().message;
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 60));
    const bool stillRunning = !victim->exitCode().has_value();
    victim->signal(SIGKILL);
    auto code = victim->wait(10s);
    ASSERT_TRUE(code);
    if (stillRunning) ++killedMidWork;
    for (auto id : reportedDone(victim->output())) mustSurvive.insert(id);

    ASSERT_EQ(scalar(path(), "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1)
        << "after kill " << k;
    for (auto id : mustSurvive) {
      const std::string run = std::to_string(id);
      ASSERT_EQ(scalar(path(), "SELECT state = 'done' FROM runs WHERE id = " + run), 1) << "run " << id;
      ASSERT_EQ(scalar(path(), "SELECT COUNT(*) FROM checkpoints c JOIN runs r ON r.id = c.run_id AND"
                               " r.attempt = c.attempt WHERE c.run_id = " + run),
                kRows)
          << "run " << id << " lost committed rows after kill " << k;
    }
  }
  EXPECT_GE(killedMidWork, kKills * 9 / 10) << "most kills must land while the victim works";
  EXPECT_GT(scalar(path(), "SELECT COUNT(*) FROM runs WHERE state = 'planned'"), 0)
      << "the campaign must still be unfinished, or the kills tested little";

  // Resume: run to the end, no kill.
  auto last = Subprocess::spawn(argv);
  ASSERT_TRUE(last);
  auto code = last->wait(120s);
  ASSERT_TRUE(code);
  ASSERT_EQ(*code, 0) << last->output();
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM runs WHERE state = 'done'"), kRuns);
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM checkpoints"), static_cast<std::int64_t>(kRuns) * kRows)
      << "no duplicates, no gaps";
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM (SELECT run_id FROM inferences GROUP BY run_id HAVING COUNT(*) = 1)"),
            kRuns);
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM checkpoints c JOIN runs r ON r.id = c.run_id WHERE c.attempt != r.attempt"),
            0);
  EXPECT_EQ(scalar(path(), "SELECT state = 'done' FROM campaigns"), 1);
}
