#include "aidi/db/queries.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "aidi/db/batch_writer.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/export.hpp"
#include "db_test_support.hpp"

using namespace aidi::db;
using aidi::test::DbTest;

TEST(Stats, NearestRankPercentilesAndMedian) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) v.push_back(i);
  const Stats s = statsOf(v);
  EXPECT_EQ(s.count, 20u);
  EXPECT_DOUBLE_EQ(s.mean, 10.5);
  EXPECT_DOUBLE_EQ(s.median, 10.5);
  EXPECT_DOUBLE_EQ(s.p95, 19.0);
  EXPECT_DOUBLE_EQ(s.min, 1.0);
  EXPECT_DOUBLE_EQ(s.max, 20.0);
  EXPECT_DOUBLE_EQ(statsOf({3.0, 1.0, 2.0}).median, 2.0);
  EXPECT_EQ(statsOf({}).count, 0u);
}

namespace {

// Two done runs (aidi, loop) of 10 samples each and one failed run.
class ReportTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    auto db = Database::open(path());
    ASSERT_TRUE(db);
    CampaignStore store(*db);
    std::vector<PlannedRun> runs = {{"inas-tiny", "aidi", "weak", 100.0, 0, 10},
                                    {"inas-tiny", "loop", "weak", 100.0, 0, 10},
                                    {"inas-tiny", "layer", "weak", 100.0, 0, 10}};
    auto campaign = store.createCampaign("c", "", "", runs);
    ASSERT_TRUE(campaign);
    m_campaign = *campaign;
    auto writer = BatchWriter::start(path());
    ASSERT_TRUE(writer);
    for (int r = 0; r < 3; ++r) {
      auto run = store.claimNextRun(m_campaign);
      ASSERT_TRUE(run && *run);
      m_runIds.push_back((*run)->runId);
      for (std::uint32_t i = 0; i < 10; ++i) {
        InferenceRow row{(*run)->runId, 1, i, i, static_cast<int>(i % 10), {}, true};
        // run 0 gets 9 of 10 right, run 1 gets 5 of 10, run 2 never finishes.
        row.predicted = r == 0 ? (i == 3 ? 9 : static_cast<int>(i % 10)) : (i < 5 ? static_cast<int>(i) : 0);
        row.latencyS = 1.0 + i;
        row.energyUj = 100.0;
        row.powerCycles = 3;
        row.activeCycles = 1000;
        row.reexecutedCycles = 10;
        row.checkpointCycles = 20;
        row.bootCycles = 5;
        if (r == 0) row.energyBoundS = 0.8;
        if (r == 2) {
          row.finished = false;
          row.predicted.reset();
        }
        ASSERT_TRUE((*writer)->push(row));
      }
      ASSERT_TRUE((*writer)->push(RunFinished{(*run)->runId, 1, r != 2, r == 2 ? "layer larger than a power cycle" : ""}));
      ASSERT_TRUE((*writer)->flush());  // a run ends committed before the next is claimed
    }
    ASSERT_TRUE((*writer)->close());
  }
  std::int64_t m_campaign = 0;
  std::vector<std::int64_t> m_runIds;
};

}  // namespace

TEST_F(ReportTest, RunSummariesCountAndSplitEachRun) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  auto summaries = runSummaries(*db, m_campaign);
  ASSERT_TRUE(summaries) << summaries.error().message;
  ASSERT_EQ(summaries->size(), 3u);
  const auto& a = (*summaries)[0];
  EXPECT_EQ(a.policy, "aidi");
  EXPECT_EQ(a.state, "done");
  EXPECT_EQ(a.finished, 10);
  EXPECT_EQ(a.correct, 9);
  EXPECT_DOUBLE_EQ(a.latencyS.median, 5.5);
  EXPECT_DOUBLE_EQ(a.latencyS.p95, 10.0);
  EXPECT_EQ(a.activeCycles, 10'000u);
  EXPECT_EQ(a.reexecutedCycles, 100u);
  EXPECT_DOUBLE_EQ(a.latencyRatio.median, 5.5 / 0.8) << "per inference: latency over its own limit";
  EXPECT_EQ((*summaries)[1].latencyRatio.count, 0u) << "no limit recorded, no ratio";
  EXPECT_EQ((*summaries)[1].correct, 5);
  const auto& failed = (*summaries)[2];
  EXPECT_EQ(failed.state, "failed");
  EXPECT_EQ(failed.failure, "layer larger than a power cycle");
  EXPECT_EQ(failed.inferences, 10);
  EXPECT_EQ(failed.finished, 0);
  EXPECT_EQ(failed.latencyS.count, 0u);
}

TEST_F(ReportTest, AccuracyMatrixCoversDoneRunsOnly) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  auto cells = accuracyMatrix(*db, m_campaign);
  ASSERT_TRUE(cells);
  ASSERT_EQ(cells->size(), 2u);
  EXPECT_EQ((*cells)[0].policy, "aidi");
  EXPECT_DOUBLE_EQ((*cells)[0].accuracy(), 0.9);
  EXPECT_EQ((*cells)[1].policy, "loop");
  EXPECT_DOUBLE_EQ((*cells)[1].accuracy(), 0.5);
}

TEST_F(ReportTest, ExportWritesCsvAndJsonPerCampaign) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  std::ostringstream csv;
  ASSERT_TRUE(exportTable(*db, "runs", m_campaign, ExportFormat::Csv, csv));
  std::istringstream lines(csv.str());
  std::string header, line;
  std::getline(lines, header);
  EXPECT_TRUE(header.starts_with("id,campaign_id,plan_index,model,policy,condition"));
  int rows = 0;
  while (std::getline(lines, line)) rows += line.empty() ? 0 : 1;
  EXPECT_EQ(rows, 3);

  std::ostringstream json;
  ASSERT_TRUE(exportTable(*db, "inferences", m_campaign, ExportFormat::Json, json));
  const auto parsed = nlohmann::json::parse(json.str());
  ASSERT_EQ(parsed.size(), 30u);
  EXPECT_EQ(parsed[0]["latency_s"], 1.0);
  EXPECT_TRUE(parsed[20]["predicted"].is_null());

  std::ostringstream other;
  ASSERT_TRUE(exportTable(*db, "inferences", m_campaign + 1, ExportFormat::Json, other));
  EXPECT_EQ(nlohmann::json::parse(other.str()).size(), 0u);

  std::ostringstream bad;
  auto refused = exportTable(*db, "sqlite_master; DROP TABLE runs", std::nullopt, ExportFormat::Csv, bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Invalid);
}

TEST_F(ReportTest, CsvQuotesFieldsThatNeedIt) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  execRaw(path(), "INSERT INTO events (campaign_id, level, kind, message) VALUES (" + std::to_string(m_campaign) +
                      ", 'warning', 'note', 'a \"quoted\", comma')");
  std::ostringstream csv;
  ASSERT_TRUE(exportTable(*db, "events", m_campaign, ExportFormat::Csv, csv));
  EXPECT_NE(csv.str().find("\"a \"\"quoted\"\", comma\""), std::string::npos) << csv.str();
}
