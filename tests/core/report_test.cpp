// Report aggregation on a database written by hand: cells per model, board,
// policy and condition over their repetitions, statistics of the finished
// inferences, the limit of unfinished ones, overhead shares of the plain
// instructions, and the boards' recorded figures.
#include "aidi/core/report.hpp"

#include <gtest/gtest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include "aidi/core/board_profile.hpp"
#include "aidi/proto/policies.hpp"
#include "aidi/core/run_owner.hpp"
#include "aidi/db/batch_writer.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/database.hpp"
#include "aidi/db/export.hpp"
#include "aidi/inst/temp_dir.hpp"

using namespace aidi;

namespace {

db::InferenceRow inference(std::int64_t run, std::uint32_t sample, bool finished, double latency, double bound) {
  db::InferenceRow r{};
  r.runId = run;
  r.attempt = 1;
  r.inference = sample;
  r.sample = sample;
  r.label = 3;
  r.finished = finished;
  if (finished) {
    r.predicted = sample == 0 ? 3 : 4;  // the first right, the others wrong
    r.latencyS = latency;
  }
  r.energyBoundS = bound;
  r.plainCycles = 1000;
  r.activeCycles = 1300;
  r.bootCycles = 100;
  r.checkpointCycles = 150;
  r.reexecutedCycles = 50;
  r.powerCycles = 2;
  r.harvestW = 1e-4;
  return r;
}

}  // namespace

TEST(Report, CellsAggregateRepetitionsAndKeepTheLimitOfUnfinishedRuns) {
  auto dir = inst::TempDir::create("aidi-report-");
  ASSERT_TRUE(dir);
  const auto path = dir->path() / "runs.sqlite";
  auto board = core::findBoardProfile(core::kDefaultBoard);
  ASSERT_TRUE(board);
  std::int64_t campaign = 0;
  {
    auto db = db::Database::open(path);
    ASSERT_TRUE(db);
    const std::vector<db::PlannedRun> runs = {
        {"inas-tiny", "aidi", "weak", 100.0, 0, 3, "mps2-an386"},
        {"inas-tiny", "aidi", "weak", 100.0, 1, 3, "mps2-an386"},
        {"inas-tiny", "layer", "weak", 100.0, 0, 1, "mps2-an386"},
    };
    const std::vector<db::RecordedBoard> boards = {{board->name, board->path.string(), board->text}};
    auto id = db::CampaignStore(*db).createCampaign("t", "t.toml", "", runs, boards);
    ASSERT_TRUE(id) << id.error().message;
    campaign = *id;
    // All three under way (claimNextRun hands out one at a time, to one process).
    ASSERT_EQ(sqlite3_exec(db->handle(), "UPDATE runs SET state = 'running', attempt = 1", nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  auto writer = db::BatchWriter::start(path);
  ASSERT_TRUE(writer);
  // Run 1: latencies 1, 2, 3 s against a bound of 1 s; run 2: 4, 5, 6 s.
  for (std::uint32_t s = 0; s < 3; ++s) ASSERT_TRUE((*writer)->push(inference(1, s, true, 1.0 + s, 1.0)));
  for (std::uint32_t s = 0; s < 3; ++s) ASSERT_TRUE((*writer)->push(inference(2, s, true, 4.0 + s, 1.0)));
  ASSERT_TRUE((*writer)->push(inference(3, 0, false, 0, 7.5)));
  ASSERT_TRUE((*writer)->push(db::RunFinished{1, 1, true, ""}));
  ASSERT_TRUE((*writer)->push(db::RunFinished{2, 1, true, ""}));
  ASSERT_TRUE((*writer)->push(db::RunFinished{3, 1, false, "sample 0: did not finish"}));
  ASSERT_TRUE((*writer)->close());

  auto report = core::buildReport(path, campaign, std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/models");
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->cells.size(), 2u) << "repetitions share a cell";
  const core::ReportCell& aidi = report->cells[0];
  EXPECT_EQ(aidi.policy, "aidi");
  EXPECT_EQ(aidi.board, "mps2-an386");
  EXPECT_EQ(aidi.runs, 2);
  EXPECT_EQ(aidi.inferences, 6);
  EXPECT_EQ(aidi.finished, 6);
  EXPECT_EQ(aidi.correct, 2);
  EXPECT_DOUBLE_EQ(aidi.latencyS.median, 3.5);
  EXPECT_DOUBLE_EQ(aidi.latencyS.mean, 3.5);
  EXPECT_DOUBLE_EQ(aidi.ratio.median, 3.5);
  EXPECT_DOUBLE_EQ(aidi.latencyS.max, 6.0);
  EXPECT_DOUBLE_EQ(aidi.energyBoundS, 1.0);
  EXPECT_DOUBLE_EQ(aidi.bootShare, 0.1);
  EXPECT_DOUBLE_EQ(aidi.checkpointShare, 0.15);
  EXPECT_DOUBLE_EQ(aidi.reexecutedShare, 0.05);
  EXPECT_DOUBLE_EQ(*aidi.capacitorUf, 100.0) << "as planned, not 99.99999999999999";
  EXPECT_TRUE(aidi.allFinished());
  const core::ReportCell& layer = report->cells[1];
  EXPECT_EQ(layer.finished, 0);
  EXPECT_FALSE(layer.allFinished());
  EXPECT_DOUBLE_EQ(layer.energyBoundS, 7.5) << "the limit is known for an inference that did not finish";
  EXPECT_EQ(layer.failure, "sample 0: did not finish");
  ASSERT_EQ(report->boards.size(), 1u);
  EXPECT_EQ(report->boards[0].name, "mps2-an386");

  std::ostringstream csv, table;
  core::writeCsv(*report, csv);
  core::writeTerminalTable(*report, table);
  EXPECT_NE(csv.str().find("inas-tiny,mps2-an386,layer,weak,100,"), std::string::npos) << csv.str();
  EXPECT_NE(table.str().find("did not finish"), std::string::npos) << table.str();
  EXPECT_EQ(table.str().find("mps2-an386"), std::string::npos) << "no board column for a single board";
}

// Names reach terminals and spreadsheets: control characters are shown, not
// obeyed; cells a spreadsheet would run as formulas are neutralised.
TEST(Report, HostileNamesStayText) {
  EXPECT_EQ(core::printable("weak\x1b[2J\r"), "weak\\x1b[2J\\x0d");
  EXPECT_EQ(core::printable("µW indoor"), "µW indoor") << "UTF-8 passes";
  EXPECT_EQ(db::csvField("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(db::csvField("+1"), "'+1");
  EXPECT_EQ(db::csvField("-1"), "'-1");
  EXPECT_EQ(db::csvField("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(db::csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(db::csvField("plain"), "plain");
}

// A run's owner is alive while its process is (same host), or while its
// heartbeat is fresh (another host).
TEST(RunOwner, AliveWhileTheProcessOrItsHeartbeatIs) {
  const std::string me = core::thisProcessOwner();
  EXPECT_TRUE(core::ownerAlive(me, 0));
  const std::string host = me.substr(0, me.find(' '));
  const std::string start = me.substr(me.rfind(' ') + 1);
  EXPECT_FALSE(core::ownerAlive(host + " 999999999 " + start, core::unixSeconds())) << "no such process";
  EXPECT_FALSE(core::ownerAlive(host + " " + std::to_string(::getpid()) + " 0-0", core::unixSeconds()))
      << "the same pid, started at another time: a reused id";
  EXPECT_TRUE(core::ownerAlive("another-host 42 x-1", core::unixSeconds() - 5));
  EXPECT_FALSE(core::ownerAlive("another-host 42 x-1", core::unixSeconds() - core::kOwnerLeaseSeconds - 1));
  EXPECT_FALSE(core::ownerAlive("", 0)) << "a run without an owner (an older aidi) is orphaned";
}

// Every policy of the table is drawn in a colour of its own in the report's
// and the GUI's charts.
TEST(Report, EveryPolicyHasAColourOfItsOwn) {
  std::set<std::string> seen;
  for (const auto& p : aidi::proto::kPolicies) {
    const std::string colour = aidi::core::policyColor(p.name);
    EXPECT_NE(colour, aidi::core::policyColor("not-a-policy")) << p.name;
    EXPECT_TRUE(seen.insert(colour).second) << p.name << " shares " << colour;
  }
}
