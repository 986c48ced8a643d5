#include "aidi/db/database.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <utility>

#include "migrations.hpp"
#include "sqlite.hpp"

namespace aidi::db {

namespace {


// Whether a read-only connection can read the file: false only when SQLite
// cannot open or create what a WAL file needs beside it (its -shm, in a
// read-only folder or mount). A busy file is readable: reading it as
// immutable would ignore the writer's WAL and see stale rows.
bool canReadWal(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  const int primary = rc & 0xFF;
  return !(primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY);
}

// A path as a file: URI path (percent-encoding what a URI gives meaning to).
std::string uriPath(const std::filesystem::path& path) {
  std::string out;
  for (const char c : std::filesystem::absolute(path).string()) {
    if (c == '%' || c == '?' || c == '#') {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int Database::latestSchemaVersion() { return static_cast<int>(migrations().size()); }

Database::Database(Database&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)), m_version(other.m_version) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(m_db);
    m_db = std::exchange(other.m_db, nullptr);
    m_path = std::move(other.m_path);
    m_version = other.m_version;
  }
  return *this;
}

Database::~Database() { sqlite3_close_v2(m_db); }

Result<Database> Database::open(const std::filesystem::path& path, const OpenOptions& options) {
  // A file that is not an SQLite database is refused by SQLite itself at the
  // first read below (SQLITE_NOTADB), before anything is written. The header
  // is not read here with a file stream of our own: closing any descriptor
  // of the file would drop every POSIX lock this process's other SQLite
  // connections hold on it, and another process could then reset the WAL
  // under them (SQLite's "how to corrupt" list, 2.2) — two campaigns on one
  // database once lost each other's commits that way.
  std::error_code ec;
  if ((options.readOnly || !options.create) && !std::filesystem::exists(path, ec))
    return fail(ErrorCode::Io, path.string() + ": no such database");

  Database db;
  db.m_path = path;
  const int flags = options.readOnly ? SQLITE_OPEN_READONLY
                                     : SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0);
  if (const int rc = sqlite3_open_v2(path.c_str(), &db.m_db, flags | SQLITE_OPEN_NOMUTEX, nullptr); rc != SQLITE_OK)
    return sql::sqliteError(db.m_db, rc, "cannot open " + path.string());
  if (options.readOnly && !canReadWal(db.m_db)) {
    // A WAL database read-only where its -shm cannot be created (a read-only
    // folder or mount, another user's file): read it as an immutable file.
    // Nobody can be writing to it there, which is what immutable promises.
    sqlite3_close(db.m_db);
    db.m_db = nullptr;
    const std::string uri = "file:" + uriPath(path) + "?immutable=1";
    if (const int rc = sqlite3_open_v2(uri.c_str(), &db.m_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                                       nullptr);
        rc != SQLITE_OK)
      return sql::sqliteError(db.m_db, rc, "cannot open " + path.string() + " read-only");
  }
  sqlite3_extended_result_codes(db.m_db, 1);
  sqlite3_busy_timeout(db.m_db, static_cast<int>(options.busyTimeout.count()));

  // Reading the version reads the schema: a damaged file fails here, unwritten.
  const auto notOurs = [&](const Error& e) {
    return e.code == ErrorCode::NotADatabase
               ? fail(ErrorCode::NotADatabase, path.string() + ": not an SQLite database (left untouched)")
               : fail(e.code, path.string() + ": " + e.message);
  };
  auto version = sql::Statement::prepare(db.m_db, "PRAGMA user_version");
  if (!version) return notOurs(version.error());
  auto row = version->step();
  if (!row) return notOurs(row.error());
  db.m_version = static_cast<int>(version->integer(0));
  version->reset();  // ends the read transaction the pragma opened
  if (db.m_version > latestSchemaVersion())
    return fail(ErrorCode::TooNew, path.string() + ": schema version " + std::to_string(db.m_version) +
                                       " is newer than this aidi supports (" +
                                       std::to_string(latestSchemaVersion()) + "); upgrade aidi to open it");

  if (auto ok = sql::exec(db.m_db, "PRAGMA foreign_keys = ON"); !ok) return std::unexpected(ok.error());
  if (options.readOnly) {
    if (db.m_version < latestSchemaVersion())
      return fail(ErrorCode::Invalid, path.string() + ": schema version " + std::to_string(db.m_version) +
                                          " needs migrating; run `aidi db migrate`");
    return db;
  }
  // WAL: readers never block the writer. FULL: a committed batch survives a
  // power cut of the host, not just a killed process.
  // Switching a new file to WAL needs the file to itself, and SQLite answers
  // SQLITE_BUSY there without calling the busy handler when another process
  // is opening the same new file (one `db migrate` in three failed at once
  // when four started together). Wait for it as the busy timeout would.
  const auto deadline = std::chrono::steady_clock::now() + options.busyTimeout;
  for (;;) {
    auto ok = sql::exec(db.m_db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
    if (ok) break;
    if (ok.error().code != ErrorCode::Busy || std::chrono::steady_clock::now() >= deadline)
      return fail(ok.error().code, path.string() + ": " + ok.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int target = options.migrateTo > 0 ? options.migrateTo : latestSchemaVersion();
  if (db.m_version < target) {
    if (!options.migrate)
      return fail(ErrorCode::Invalid, path.string() + ": schema version " + std::to_string(db.m_version) +
                                          " needs migrating; run `aidi db migrate`");
    if (auto ok = db.migrate(target); !ok) return std::unexpected(ok.error());
  }
  return db;
}

// Each migration in its own write transaction that reads the version again
// once it holds the lock: two processes opening a new file at once both see
// version 0, the second waits for the first and then finds nothing to do
// (it once ran migration 0001 a second time and failed).
Status Database::migrate(int target) {
  for (const Migration& m : migrations()) {
    if (m.version <= m_version || m.version > target) continue;
    if (auto ok = sql::exec(m_db, "BEGIN IMMEDIATE"); !ok)
      return fail(ok.error().code, m_path.string() + ": cannot lock the file to migrate it: " + ok.error().message);
    auto version = sql::Statement::prepare(m_db, "PRAGMA user_version");
    Result<bool> row = version ? version->step() : Result<bool>(std::unexpected(version.error()));
    if (!row) {
      (void)sql::exec(m_db, "ROLLBACK");
      return fail(row.error().code, m_path.string() + ": " + row.error().message);
    }
    const int current = static_cast<int>(version->integer(0));
    version->reset();
    if (current >= m.version) {  // another process got there first
      if (auto ok = sql::exec(m_db, "COMMIT"); !ok) return std::unexpected(ok.error());
      m_version = current;
      continue;
    }
    std::string script(m.sql);
    script += "\nPRAGMA user_version = " + std::to_string(m.version) + ";\nCOMMIT;";
    if (auto ok = sql::exec(m_db, script); !ok) {
      (void)sql::exec(m_db, "ROLLBACK");
      return fail(ok.error().code, m_path.string() + ": migration " + std::string(m.name) + " failed: " +
                                       ok.error().message);
    }
    m_version = m.version;
  }
  return {};
}

Result<std::string> Database::integrityCheck() {
  auto stmt = sql::Statement::prepare(m_db, "PRAGMA integrity_check");
  if (!stmt) return std::unexpected(stmt.error());
  std::string report;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    if (!report.empty()) report += "\n";
    report += stmt->text(0);
  }
  return report;
}

Status Database::vacuum() { return sql::exec(m_db, "VACUUM"); }

Status Database::copyCampaign(std::int64_t campaignId, const std::filesystem::path& out) {
  {
    auto known = sql::Statement::prepare(m_db, "SELECT 1 FROM campaigns WHERE id = ?");
    if (!known) return std::unexpected(known.error());
    known->bind(1, campaignId);
    auto row = known->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return fail(ErrorCode::NotFound, "no campaign " + std::to_string(campaignId) + " in " + m_path.string());
  }
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) return fail(ErrorCode::Invalid, out.string() + " exists already");
  // VACUUM INTO writes a consistent snapshot even while a campaign records.
  auto into = sql::Statement::prepare(m_db, "VACUUM INTO ?");
  if (!into) return std::unexpected(into.error());
  into->bind(1, out.string());
  if (auto ran = into->step(); !ran) return std::unexpected(ran.error());
  auto copy = Database::open(out, {.create = false});
  if (!copy) return std::unexpected(copy.error());
  // The other campaigns go with everything that hangs on them (ON DELETE CASCADE).
  auto others = sql::Statement::prepare(copy->m_db, "DELETE FROM campaigns WHERE id != ?");
  if (!others) return std::unexpected(others.error());
  others->bind(1, campaignId);
  if (auto ran = others->step(); !ran) return std::unexpected(ran.error());
  return copy->vacuum();
}

Status Database::setMaxPageCount(std::int64_t pages) {
  return sql::exec(m_db, "PRAGMA max_page_count = " + std::to_string(pages));
}

}  // namespace aidi::db
