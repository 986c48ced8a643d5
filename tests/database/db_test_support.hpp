// Shared helpers of the database tests: a fresh directory per test, raw SQL.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "../support/sqlite_scalar.hpp"
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

}  // namespace aidi::test
