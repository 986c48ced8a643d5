// Run-database benchmark (issue targets: >= 300,000 telemetry rows/s
// sustained through the batched writer; a 10-million-row database opens and
// answers the report queries in < 1 s). Prints its figures; the peer is a
// bare SQLite loop (one transaction, one prepared statement, no queue), the
// ceiling for any writer on this machine.
//
//   database_bench [DIR]   DIR keeps the 10M-row database between runs (default: build/bench-data)
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "aidi/db/batch_writer.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/queries.hpp"
#include "bench_support.hpp"

using namespace aidi::db;
using namespace aidi::bench;

namespace {

std::int64_t plan(const std::filesystem::path& path, int runs) {
  auto db = must(Database::open(path));
  CampaignStore store(db);
  std::vector<PlannedRun> planned;
  for (int i = 0; i < runs; ++i)
    planned.push_back({i % 3 ? "mcunet-s" : "inas-tiny", i % 2 ? "aidi" : "loop", i % 4 ? "indoor" : "outdoor", 1000.0, i, 100});
  return must(store.createCampaign("bench", "", "", planned));
}

// Runs the campaign as a session would: claim a run, push `perRun` telemetry
// rows (checkpoints; waveforms have their own benchmark, waveform_bench) and 100 inferences, finish
// it. Returns rows/s from the first claim to the last commit.
double writeThroughWriter(const std::filesystem::path& path, std::int64_t campaign, std::int64_t perRun) {
  auto db = must(Database::open(path));
  CampaignStore store(db);
  auto writer = must(BatchWriter::start(path));
  const auto start = Clock::now();
  std::int64_t rows = 0;
  for (;;) {
    const auto claimed = must(store.claimNextRun(campaign));
    if (!claimed) break;
    const ClaimedRun& run = *claimed;
    for (std::int64_t j = 0; j < perRun; ++j) {
      const auto u = static_cast<std::uint32_t>(j);
      must(writer->push(CheckpointRow{run.runId, run.attempt, u / 5000, u, u / 1000, u % 30, u, 1000 * u, 20480, 512, {}}));
      ++rows;
    }
    for (std::uint32_t i = 0; i < 100; ++i) {
      InferenceRow r{run.runId, run.attempt, i, i, static_cast<int>(i % 10), static_cast<int>((i * 7) % 10), true};
      r.latencyS = 0.5 + i * 0.01;
      r.energyUj = 120.0;
      r.powerCycles = 40 + i % 5;
      r.activeCycles = 12'000'000;
      r.reexecutedCycles = 100'000;
      r.checkpointCycles = 300'000;
      r.bootCycles = 50'000;
      must(writer->push(r));
      ++rows;
    }
    must(writer->push(RunFinished{run.runId, run.attempt, true, ""}));
    ++rows;
    must(writer->flush());  // the run ends committed before the next claim
  }
  const double elapsed = seconds(start);
  must(writer->close());
  return static_cast<double>(rows) / elapsed;
}

double rawSqliteInsert(const std::filesystem::path& path, std::int64_t runId, std::int64_t rows) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO checkpoints (run_id, attempt, boot_id, seq, inference, layer, job, cycles_since_boot,"
                     " job_cycles, nvm_bytes, host_time_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                     -1, &s, nullptr);
  const auto start = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  for (std::int64_t j = 0; j < rows; ++j) {
    sqlite3_bind_int64(s, 1, runId);
    sqlite3_bind_int64(s, 2, 1);
    sqlite3_bind_int64(s, 3, j / 5000);
    sqlite3_bind_int64(s, 4, j);
    sqlite3_bind_int64(s, 5, j / 1000);
    sqlite3_bind_int64(s, 6, j % 30);
    sqlite3_bind_int64(s, 7, j);
    sqlite3_bind_int64(s, 8, 1000 * j);
    sqlite3_bind_int64(s, 9, 20480);
    sqlite3_bind_int64(s, 10, 512);
    sqlite3_bind_null(s, 11);
    sqlite3_step(s);
    sqlite3_reset(s);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  const double elapsed = seconds(start);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return static_cast<double>(rows) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "bench-data";
  std::filesystem::create_directories(dir);

  // 1. Sustained insert, 2 million rows, fresh file.
  const auto insertDb = dir / "insert.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(insertDb.string() + suffix);
  const std::int64_t small = plan(insertDb, 20);
  const double writerRate = writeThroughWriter(insertDb, small, 100'000);
  const double rawRate = rawSqliteInsert(insertDb, 1, 2'000'000);
  std::printf("insert: writer %.0f rows/s (target 300000), bare SQLite loop %.0f rows/s, ratio %.2f\n", writerRate,
              rawRate, writerRate / rawRate);

  // 2. A 10-million-row database, built once and kept.
  const auto bigDb = dir / "ten-million.db";
  std::int64_t campaign = 1;
  if (!std::filesystem::exists(bigDb)) {
    const auto start = Clock::now();
    campaign = plan(bigDb, 200);
    const double rate = writeThroughWriter(bigDb, campaign, 50'000);
    std::printf("built %s: 200 runs x 50,000 telemetry rows + 100 inferences in %.1f s (%.0f rows/s)\n",
                bigDb.c_str(), seconds(start), rate);
  }
  const auto start = Clock::now();
  OpenOptions readOnly;
  readOnly.readOnly = true;
  auto db = must(Database::open(bigDb, readOnly));
  const double openS = seconds(start);
  auto t = Clock::now();
  const auto summaries = must(runSummaries(db, campaign));
  const double summariesS = seconds(t);
  t = Clock::now();
  const auto accuracy = must(accuracyMatrix(db, campaign));
  const double accuracyS = seconds(t);
  const double total = seconds(start);
  std::int64_t rows = 0;
  {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db.handle(),
                       "SELECT (SELECT COUNT(*) FROM checkpoints) + (SELECT COUNT(*) FROM inferences)", -1, &s, nullptr);
    sqlite3_step(s);
    rows = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  std::printf("10M-row database (%lld rows): open %.3f s, run summaries (%zu runs) %.3f s, accuracy matrix "
              "(%zu cells) %.3f s; total %.3f s (target < 1 s)\n",
              static_cast<long long>(rows), openS, summaries.size(), summariesS, accuracy.size(), accuracyS, total);
  return 0;
}
