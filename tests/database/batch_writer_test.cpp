#include "aidi/db/batch_writer.hpp"

#include <thread>

#include "aidi/db/campaign_store.hpp"
#include "db_test_support.hpp"

using namespace aidi::db;
using namespace std::chrono_literals;
using aidi::test::DbTest;

namespace {

class WriterTest : public aidi::test::ClaimedRunTest {
 protected:
  CheckpointRow checkpoint(std::uint32_t job) const {
    return CheckpointRow{m_runId, m_attempt, 1, job, 0, 2, job, 1000 * job, 900, 64, std::nullopt};
  }
};

}  // namespace

TEST_F(WriterTest, EveryPushedRowIsCommittedAfterFlush) {
  auto writer = BatchWriter::start(path(), {.batchRows = 1000});
  ASSERT_TRUE(writer) << writer.error().message;
  for (std::uint32_t i = 0; i < 25'000; ++i) ASSERT_TRUE((*writer)->push(checkpoint(i)));
  ASSERT_TRUE((*writer)->push(EventRow{std::nullopt, m_runId, "info", "test", "hello"}));
  ASSERT_TRUE((*writer)->flush());
  EXPECT_EQ((*writer)->committedRows(), 25'001u);
  EXPECT_LE((*writer)->commits(), 26u) << "rows are committed in batches, not one by one";
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM checkpoints"), 25'000);
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM events"), 1);
  ASSERT_TRUE((*writer)->close());
  EXPECT_FALSE((*writer)->push(checkpoint(1))) << "a closed writer refuses rows";
}

TEST_F(WriterTest, APartialBatchCommitsAfterTheInterval) {
  auto writer = BatchWriter::start(path(), {.batchRows = 100000, .batchInterval = 50ms});
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->push(checkpoint(1)));
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while ((*writer)->committedRows() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ((*writer)->committedRows(), 1u);
}

// While another connection holds the write lock, the queue fills and push()
// blocks, then reports Busy: memory stays bounded. Nothing is lost once the
// lock is released.
TEST_F(WriterTest, AFullQueueAppliesBackPressure) {
  auto writer = BatchWriter::start(path(), {.queueCapacity = 100, .batchRows = 10});
  ASSERT_TRUE(writer);
  sqlite3* blocker = nullptr;
  sqlite3_open(path().c_str(), &blocker);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  Status last;
  std::uint32_t pushed = 0;
  for (; pushed < 1000; ++pushed) {
    last = (*writer)->push(checkpoint(pushed), 20ms);
    if (!last) break;
  }
  ASSERT_FALSE(last);
  EXPECT_EQ(last.error().code, ErrorCode::Busy);
  EXPECT_LE(pushed, 2 * 100u) << "at most the queue plus the batch in flight";

  sqlite3_exec(blocker, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(blocker);
  ASSERT_TRUE((*writer)->flush());
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM checkpoints"), pushed);
}

// A full disk: the first failing commit stops the writer with a clear error;
// every row committed before it is still there.
TEST_F(WriterTest, AFullDiskKeepsWhatWasCommitted) {
  const std::int64_t pages = scalar(path(), "PRAGMA page_count");
  auto writer = BatchWriter::start(path(), {.batchRows = 500, .maxPageCount = pages + 40});
  ASSERT_TRUE(writer);
  Status status;
  for (std::uint32_t i = 0; i < 200'000 && status; ++i) {
    status = (*writer)->push(checkpoint(i));
    if (status && i % 500 == 499) status = (*writer)->flush();
  }
  ASSERT_FALSE(status) << "the database must fill up";
  EXPECT_EQ(status.error().code, ErrorCode::Full);
  EXPECT_NE(status.error().message.find(path().string() + ": write failed"), std::string::npos)
      << status.error().message;
  const auto committed = (*writer)->committedRows();
  EXPECT_GT(committed, 0u);
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM checkpoints"), static_cast<std::int64_t>(committed));
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
}

// WAL: a reader in the middle of a read transaction does not stop commits.
TEST_F(WriterTest, ReadersNeverBlockTheWriter) {
  sqlite3* reader = nullptr;
  sqlite3_open_v2(path().c_str(), &reader, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_exec(reader, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(reader, "SELECT COUNT(*) FROM checkpoints", -1, &s, nullptr);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 0);

  auto writer = BatchWriter::start(path(), {.batchRows = 100});
  ASSERT_TRUE(writer);
  for (std::uint32_t i = 0; i < 1000; ++i) ASSERT_TRUE((*writer)->push(checkpoint(i)));
  ASSERT_TRUE((*writer)->flush(2s)) << "commits must not wait for the reader";
  EXPECT_EQ((*writer)->committedRows(), 1000u);

  sqlite3_reset(s);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(s, 0), 0) << "the reader keeps its snapshot";
  sqlite3_finalize(s);
  sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(reader);
}

TEST_F(WriterTest, RunFinishedForAStaleAttemptIsIgnored) {
  auto writer = BatchWriter::start(path());
  ASSERT_TRUE(writer);
  ASSERT_TRUE((*writer)->push(RunFinished{m_runId, m_attempt + 5, true, ""}));
  ASSERT_TRUE((*writer)->flush());
  EXPECT_EQ(scalar(path(), "SELECT state = 'running' FROM runs WHERE id = " + std::to_string(m_runId)), 1);
  ASSERT_TRUE((*writer)->push(RunFinished{m_runId, m_attempt, false, "device timeout"}));
  ASSERT_TRUE((*writer)->flush());
  EXPECT_EQ(scalar(path(), "SELECT state = 'failed' AND failure = 'device timeout' AND finished_at IS NOT NULL"
                           " FROM runs WHERE id = " + std::to_string(m_runId)),
            1);
}
