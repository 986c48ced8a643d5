#include "aidi/db/database.hpp"

#include <fstream>

#include "db_test_support.hpp"

using namespace aidi::db;
using aidi::test::DbTest;

namespace {
std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void writeFile(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}
}  // namespace

TEST_F(DbTest, FreshDatabaseIsAtTheLatestSchemaInWalMode) {
  auto db = Database::open(path());
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(db->schemaVersion(), Database::latestSchemaVersion());
  EXPECT_GE(Database::latestSchemaVersion(), 1);
  EXPECT_EQ(scalar(path(), "PRAGMA user_version"), Database::latestSchemaVersion());
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('benches', 'devices',"
                           " 'firmware_builds', 'campaigns', 'runs', 'power_cycles', 'checkpoints', 'inferences',"
                           " 'waveform_channels', 'waveform_segments', 'waveform_blocks', 'events')"),
            12);
  EXPECT_EQ(scalar(path(), "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
}

TEST_F(DbTest, ForeignKeysAreEnforced) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  char* err = nullptr;
  const int rc = sqlite3_exec(db->handle(),
                              "INSERT INTO checkpoints (run_id, attempt, boot_id, seq, inference, layer, job,"
                              " cycles_since_boot) VALUES (999, 1, 1, 0, 0, 0, 0, 0)",
                              nullptr, nullptr, &err);
  EXPECT_EQ(rc & 0xFF, SQLITE_CONSTRAINT) << (err ? err : "");
  sqlite3_free(err);
}

TEST_F(DbTest, ANonSqliteFileIsRefusedAndLeftUntouched) {
  const std::string original = "time,power\n0,1e-3\nthis is a trace, not a database\n";
  writeFile(path("trace.csv"), original);
  auto db = Database::open(path("trace.csv"));
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::NotADatabase);
  EXPECT_EQ(db.error().message, path("trace.csv").string() + ": not an SQLite database (left untouched)");
  EXPECT_EQ(readFile(path("trace.csv")), original);
  EXPECT_FALSE(std::filesystem::exists(path("trace.csv-wal")));
}

TEST_F(DbTest, ACorruptDatabaseIsRefusedAndLeftUntouched) {
  { ASSERT_TRUE(Database::open(path())); }
  std::string bytes = readFile(path());
  ASSERT_GT(bytes.size(), 4096u);
  for (std::size_t i = 100; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);  // keep the magic only
  writeFile(path(), bytes);
  std::filesystem::remove(path().string() + "-wal");
  auto db = Database::open(path());
  ASSERT_FALSE(db);
  EXPECT_TRUE(db.error().code == ErrorCode::Corrupt || db.error().code == ErrorCode::NotADatabase)
      << db.error().message;
  EXPECT_NE(db.error().message.find(path().string()), std::string::npos);
  EXPECT_EQ(readFile(path()), bytes);
}

TEST_F(DbTest, ANewerSchemaIsRefusedWithAClearMessage) {
  { ASSERT_TRUE(Database::open(path())); }
  const int newer = Database::latestSchemaVersion() + 1;
  execRaw(path(), "PRAGMA user_version = " + std::to_string(newer));
  auto db = Database::open(path());
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::TooNew);
  EXPECT_NE(db.error().message.find("schema version " + std::to_string(newer) + " is newer than this aidi supports"),
            std::string::npos)
      << db.error().message;
  EXPECT_EQ(scalar(path(), "PRAGMA user_version"), newer) << "the file must not be changed";
}

// Every older schema version migrates forward to the latest, keeping its data.
TEST_F(DbTest, MigratesFromEveryOlderVersion) {
  for (int from = 0; from < Database::latestSchemaVersion(); ++from) {
    const auto file = path("v" + std::to_string(from) + ".db");
    if (from == 0) {
      execRaw(file, "CREATE TABLE user_notes (text TEXT); INSERT INTO user_notes VALUES ('kept')");
    } else {
      OpenOptions old;
      old.migrateTo = from;
      auto db = Database::open(file, old);
      ASSERT_TRUE(db) << db.error().message;
      ASSERT_EQ(db->schemaVersion(), from);
      execRaw(file, "INSERT INTO campaigns (name) VALUES ('from v" + std::to_string(from) + "')");
    }
    auto db = Database::open(file);
    ASSERT_TRUE(db) << "from v" << from << ": " << db.error().message;
    EXPECT_EQ(db->schemaVersion(), Database::latestSchemaVersion());
    if (from == 0) {
      EXPECT_EQ(scalar(file, "SELECT COUNT(*) FROM user_notes"), 1);
    } else {
      EXPECT_EQ(scalar(file, "SELECT COUNT(*) FROM campaigns"), 1);
    }
    // 0004 retired the run-level limit (the per-inference one replaced it).
    EXPECT_EQ(scalar(file, "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE name = 'energy_bound_s'"), 0);
    EXPECT_EQ(scalar(file, "SELECT COUNT(*) FROM pragma_table_info('inferences') WHERE name = 'energy_bound_s'"), 1);
  }
}

TEST_F(DbTest, ReadOnlyOpenNeverMigrates) {
  execRaw(path(), "CREATE TABLE t (x)");
  OpenOptions ro;
  ro.readOnly = true;
  auto db = Database::open(path(), ro);
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("run `aidi db migrate`"), std::string::npos);
  EXPECT_EQ(scalar(path(), "PRAGMA user_version"), 0);
}

TEST_F(DbTest, MissingFileForReadingIsAnError) {
  OpenOptions ro;
  ro.readOnly = true;
  auto db = Database::open(path("absent.db"), ro);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().message, path("absent.db").string() + ": no such database");
}

TEST_F(DbTest, IntegrityCheckOfAHealthyDatabaseIsOk) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  auto report = db->integrityCheck();
  ASSERT_TRUE(report);
  EXPECT_EQ(*report, "ok");
  EXPECT_TRUE(db->vacuum());
}
