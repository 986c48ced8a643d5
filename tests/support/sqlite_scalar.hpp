// One integer from an SQLite file, read on a private read-only connection as
// any tool would: how the tests look at what the bench recorded.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>

namespace aidi::test {

// The first column of the first row, read as `T` (int64 or double).
template <class T>
T sqliteValue(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_busy_timeout(h, 10000);  // a writer at work (a campaign running) holds the file a moment
  sqlite3_stmt* s = nullptr;
  T v = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) {
    if constexpr (std::is_floating_point_v<T>) v = sqlite3_column_double(s, 0);
    else v = sqlite3_column_int64(s, 0);
  } else {
    ADD_FAILURE() << db << ": " << sql << ": " << sqlite3_errmsg(h);
  }
  sqlite3_finalize(s);
  sqlite3_close(h);
  return v;
}

inline std::int64_t sqliteScalar(const std::filesystem::path& db, const std::string& sql) {
  return sqliteValue<std::int64_t>(db, sql);
}
inline double sqliteReal(const std::filesystem::path& db, const std::string& sql) { return sqliteValue<double>(db, sql); }

// For polling a file another process is still creating: `orElse` while the
// file, its tables or its first row are not there yet (a writer creates the
// file a moment before its migrations create the tables), never a failure.
inline std::int64_t sqliteScalarOnceThere(const std::filesystem::path& db, const std::string& sql,
                                          std::int64_t orElse = 0) {
  if (!std::filesystem::exists(db)) return orElse;
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_busy_timeout(h, 10000);
  sqlite3_stmt* s = nullptr;
  std::int64_t v = orElse;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(h);
  return v;
}

// The first column of the first row as text (empty for NULL or no row), for
// failure messages.
inline std::string sqliteText(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_busy_timeout(h, 10000);  // a writer at work (a campaign running) holds the file a moment
  sqlite3_stmt* s = nullptr;
  std::string text;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
    if (const unsigned char* t = sqlite3_column_text(s, 0)) text = reinterpret_cast<const char*>(t);
  sqlite3_finalize(s);
  sqlite3_close(h);
  return text;
}

}  // namespace aidi::test
