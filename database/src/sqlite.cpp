#include "sqlite.hpp"

namespace aidi::db::sql {

ErrorCode classify(int code) {
  switch (code & 0xFF) {
    case SQLITE_NOTADB: return ErrorCode::NotADatabase;
    case SQLITE_CORRUPT: return ErrorCode::Corrupt;
    case SQLITE_FULL: return ErrorCode::Full;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return ErrorCode::Busy;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_ERROR:
    case SQLITE_RANGE: return ErrorCode::Invalid;
    default: return ErrorCode::Io;
  }
}

std::unexpected<Error> sqliteError(sqlite3* db, int code, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  return std::unexpected(Error{classify(code), std::move(message)});
}

Result<Statement> Statement::prepare(sqlite3* db, std::string_view sqlText) {
  Statement s;
  s.m_db = db;
  const int rc = sqlite3_prepare_v2(db, sqlText.data(), static_cast<int>(sqlText.size()), &s.m_stmt, nullptr);
  if (rc != SQLITE_OK) return sqliteError(db, rc, "cannot prepare \"" + std::string(sqlText.substr(0, 60)) + "\"");
  return s;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  auto error = sqliteError(m_db, rc, "statement failed");
  sqlite3_reset(m_stmt);
  return error;
}

Status Statement::run() {
  auto stepped = step();
  reset();
  if (!stepped) return std::unexpected(stepped.error());
  return {};
}

Status exec(sqlite3* db, std::string_view sqlText) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db, std::string(sqlText).c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return fail(classify(rc), text);
}

}  // namespace aidi::db::sql
