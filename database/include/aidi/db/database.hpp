// One connection to a run database (SQLite, WAL mode).
//
// open() refuses, without writing a byte, a file that is not an SQLite
// database or that a newer aidi wrote; otherwise it applies the pending
// forward migrations, each in its own transaction, and records the version in
// PRAGMA user_version. Every connection has foreign keys on and waits up to
// `busyTimeout` for a lock. Readers and the writer each use their own
// connection; in WAL mode readers never block the writer.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "aidi/db/result.hpp"

struct sqlite3;

namespace aidi::db {

struct OpenOptions {
  bool readOnly = false;       // no migrations, no writes; the file must exist
  bool create = true;          // create the file when missing (ignored when readOnly)
  bool migrate = true;         // apply pending migrations (false: refuse an old schema)
  // Stop after this schema version (tests of migrations from older versions). 0: latest.
  int migrateTo = 0;
  std::chrono::milliseconds busyTimeout{5000};
};

class Database {
 public:
  [[nodiscard]] static Result<Database> open(const std::filesystem::path& path, const OpenOptions& options = {});
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  static int latestSchemaVersion();
  int schemaVersion() const { return m_version; }
  const std::filesystem::path& path() const { return m_path; }
  sqlite3* handle() const { return m_db; }

  // "ok", or SQLite's list of problems.
  [[nodiscard]] Result<std::string> integrityCheck();
  [[nodiscard]] Status vacuum();
  // A new database file at `out` (which must not exist) holding campaign
  // `campaignId` alone, everything it recorded with it; this one is only read.
  [[nodiscard]] Status copyCampaign(std::int64_t campaignId, const std::filesystem::path& out);
  // Limits the file to `pages` pages (tests of a full disk).
  [[nodiscard]] Status setMaxPageCount(std::int64_t pages);

 private:
  Database() = default;
  [[nodiscard]] Status migrate(int target);

  sqlite3* m_db = nullptr;
  std::filesystem::path m_path;
  int m_version = 0;
};

}  // namespace aidi::db
