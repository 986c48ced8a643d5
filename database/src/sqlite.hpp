// Thin RAII over the SQLite C API, private to database/.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "aidi/db/result.hpp"

namespace aidi::db::sql {

// Maps an SQLite result code to our ErrorCode.
ErrorCode classify(int sqliteCode);
// Error with `what` plus SQLite's message for `db`.
std::unexpected<Error> sqliteError(sqlite3* db, int code, std::string_view what);

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& o) noexcept : m_db(o.m_db), m_stmt(std::exchange(o.m_stmt, nullptr)) {}
  Statement& operator=(Statement&& o) noexcept {
    if (this != &o) {
      sqlite3_finalize(m_stmt);
      m_db = o.m_db;
      m_stmt = std::exchange(o.m_stmt, nullptr);
    }
    return *this;
  }
  ~Statement() { sqlite3_finalize(m_stmt); }

  [[nodiscard]] static Result<Statement> prepare(sqlite3* db, std::string_view sql);

  Statement& bind(int index, std::int64_t v) { sqlite3_bind_int64(m_stmt, index, v); return *this; }
  Statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, std::uint64_t v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, std::uint32_t v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, double v) { sqlite3_bind_double(m_stmt, index, v); return *this; }
  Statement& bind(int index, std::string_view v) {
    sqlite3_bind_text(m_stmt, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int index, const char* v) { return bind(index, std::string_view(v)); }
  Statement& bind(int index, const std::string& v) { return bind(index, std::string_view(v)); }
  template <class T>
  Statement& bind(int index, const std::optional<T>& v) {
    if (v) return bind(index, *v);
    sqlite3_bind_null(m_stmt, index);
    return *this;
  }
  Statement& bindNull(int index) { sqlite3_bind_null(m_stmt, index); return *this; }
  Statement& bindBlob(int index, std::string_view bytes) {
    sqlite3_bind_blob64(m_stmt, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
    return *this;
  }

  // true: a row is available; false: done.
  [[nodiscard]] Result<bool> step();
  // step() for statements without rows, then reset for reuse.
  [[nodiscard]] Status run();
  void reset() {
    sqlite3_reset(m_stmt);
    sqlite3_clear_bindings(m_stmt);
  }

  std::int64_t integer(int col) const { return sqlite3_column_int64(m_stmt, col); }
  double real(int col) const { return sqlite3_column_double(m_stmt, col); }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(m_stmt, col);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col)))
             : std::string();
  }
  std::span<const std::uint8_t> blob(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(m_stmt, col));
    return {p, p ? static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col)) : 0u};
  }
  explicit operator bool() const { return m_stmt != nullptr; }
  bool isNull(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
  int columnType(int col) const { return sqlite3_column_type(m_stmt, col); }
  int columnCount() const { return sqlite3_column_count(m_stmt); }
  std::string columnName(int col) const { return sqlite3_column_name(m_stmt, col); }

 private:
  sqlite3* m_db = nullptr;
  sqlite3_stmt* m_stmt = nullptr;
};

// Runs one or more statements without results.
[[nodiscard]] Status exec(sqlite3* db, std::string_view sql);

}  // namespace aidi::db::sql
