#include "aidi/db/campaign_store.hpp"

#include "aidi/db/batch_writer.hpp"
#include "db_test_support.hpp"

using namespace aidi::db;
using aidi::test::DbTest;

namespace {
std::vector<PlannedRun> plan(int n) {
  std::vector<PlannedRun> runs;
  for (int i = 0; i < n; ++i) runs.push_back({"mcunet-s", i % 2 ? "aidi" : "loop", "indoor", 1000.0, i / 2, 5});
  return runs;
}
}  // namespace

TEST_F(DbTest, RunsAreClaimedInPlanOrderUntilTheCampaignIsComplete) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  CampaignStore store(*db);
  const auto runs = plan(4);
  auto campaign = store.createCampaign("night", "study.toml", "[campaign]", runs);
  ASSERT_TRUE(campaign);
  auto writer = BatchWriter::start(path());
  ASSERT_TRUE(writer);
  for (int i = 0; i < 4; ++i) {
    auto run = store.claimNextRun(*campaign);
    ASSERT_TRUE(run && *run);
    EXPECT_EQ((*run)->planIndex, i);
    EXPECT_EQ((*run)->attempt, 1);
    EXPECT_EQ((*run)->plan.policy, runs[static_cast<std::size_t>(i)].policy);
    ASSERT_TRUE((*writer)->push(RunFinished{(*run)->runId, 1, i != 2, i == 2 ? "did not finish" : ""}));
    ASSERT_TRUE((*writer)->flush());
  }
  auto none = store.claimNextRun(*campaign);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto p = store.progress(*campaign);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->done, 3);
  EXPECT_EQ(p->failed, 1);
  EXPECT_TRUE(p->complete());
  ASSERT_TRUE(store.updateCampaignState(*campaign));
  auto list = store.listCampaigns();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, "done");
  EXPECT_EQ((*list)[0].progress.total(), 4);
  auto unfinished = store.unfinishedCampaigns();
  ASSERT_TRUE(unfinished);
  EXPECT_TRUE(unfinished->empty());
}

// A process died mid-run: its run stays "running" with half its rows. The next
// claim takes that run again, as attempt 2, and its old rows are gone.
TEST_F(DbTest, AnOrphanedRunIsClaimedAgainWithItsRowsReplaced) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  CampaignStore store(*db);
  const auto runs = plan(3);
  auto campaign = store.createCampaign("night", "", "", runs);
  ASSERT_TRUE(campaign);
  auto first = store.claimNextRun(*campaign);
  ASSERT_TRUE(first && *first);
  {
    auto writer = BatchWriter::start(path());
    ASSERT_TRUE(writer);
    for (std::uint32_t j = 0; j < 50; ++j)
      ASSERT_TRUE((*writer)->push(CheckpointRow{(*first)->runId, 1, 1, j, 0, 0, j, j, {}, {}, {}}));
    ASSERT_TRUE((*writer)->flush());
  }  // the "process" ends without RunFinished
  auto unfinished = store.unfinishedCampaigns();
  ASSERT_TRUE(unfinished);
  EXPECT_EQ(*unfinished, std::vector<std::int64_t>{*campaign});

  auto again = store.claimNextRun(*campaign);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->runId, (*first)->runId);
  EXPECT_EQ((*again)->attempt, 2);
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM checkpoints"), 0);
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM runs WHERE state = 'running'"), 1);
}

TEST_F(DbTest, AnEmptyCampaignIsCompleteAtOnce) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  CampaignStore store(*db);
  auto campaign = store.createCampaign("empty", "", "", {});
  ASSERT_TRUE(campaign);
  auto run = store.claimNextRun(*campaign);
  ASSERT_TRUE(run);
  EXPECT_FALSE(*run);
}
