// Shared helpers of the database tests: a fresh directory per test, raw SQL.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "../support/sqlite_scalar.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/database.hpp"
#include "aidi/inst/temp_dir.hpp"

namespace aidi::test {

class DbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = inst::TempDir::create("aidi-db-test-");
    ASSERT_TRUE(dir);
    m_dir.emplace(std::move(*dir));
  }
  std::filesystem::path path(const std::string& name = "runs.db") const { return m_dir->path() / name; }

  // One integer from SQL, on a private connection.
  static std::int64_t scalar(const std::filesystem::path& db, const std::string& sql) { return sqliteScalar(db, sql); }
  static void execRaw(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    sqlite3_open(db.c_str(), &h);
    char* err = nullptr;
    if (sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) ADD_FAILURE() << sql << ": " << err;
    sqlite3_free(err);
    sqlite3_close(h);
  }

  std::optional<inst::TempDir> m_dir;
};

// A database with a campaign of one run, claimed: rows and waveforms hang on it.
class ClaimedRunTest : public DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    auto db = db::Database::open(path());
    ASSERT_TRUE(db);
    db::CampaignStore store(*db);
    db::PlannedRun plan{"inas-tiny", "aidi", "weak-solar", 100.0, 0, 10};
    auto campaign = store.createCampaign("t", "", "", std::span(&plan, 1));
    ASSERT_TRUE(campaign);
    auto run = store.claimNextRun(*campaign);
    ASSERT_TRUE(run && *run);
    m_runId = (*run)->runId;
    m_attempt = (*run)->attempt;
  }
  std::int64_t m_runId = 0;
  int m_attempt = 0;
};

}  // namespace aidi::test
