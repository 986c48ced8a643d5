// A thin RAII layer over libpq: one connection, parameterised statements
// (text parameters, never spliced into SQL), results read by row and column,
// COPY FROM STDIN for bulk rows. Every failure is an Error naming the
// statement's purpose and PostgreSQL's own words.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aidi/support/result.hpp"

namespace aidi::lab::pg {

class Rows {
 public:
  explicit Rows(PGresult* result) : m_result(result, &PQclear) {}
  int size() const { return PQntuples(m_result.get()); }
  bool null(int row, int column) const { return PQgetisnull(m_result.get(), row, column) != 0; }
  std::string text(int row, int column) const { return PQgetvalue(m_result.get(), row, column); }
  std::int64_t integer(int row, int column) const { return std::stoll(text(row, column)); }
  double real(int row, int column) const { return std::stod(text(row, column)); }
  std::optional<std::string> optionalText(int row, int column) const {
    return null(row, column) ? std::nullopt : std::optional<std::string>(text(row, column));
  }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> m_result;
};

using Params = std::vector<std::optional<std::string>>;

class Connection {
 public:
  // Opens `conninfo` (a postgresql:// URL or key=value words); the password,
  // when needed, comes from libpq's own sources (PGPASSWORD, PGPASSFILE,
  // ~/.pgpass), never from the URL. `what` names the server in errors.
  [[nodiscard]] static Result<Connection> open(const std::string& conninfo, const std::string& what,
                                               int connectTimeoutS = 10);
  // Runs one statement; `purpose` names it in errors ("claim a run").
  [[nodiscard]] Result<Rows> exec(const std::string& sql, const Params& params, const std::string& purpose);
  // Runs statements without parameters (several at once: a schema).
  [[nodiscard]] Status execute(const std::string& sql, const std::string& purpose);
  // COPY table (columns) FROM STDIN with tab-separated `lines` (each ends in \n).
  [[nodiscard]] Status copyIn(const std::string& copySql, const std::string& lines, const std::string& purpose);
  bool ok() const { return m_conn && PQstatus(m_conn.get()) == CONNECTION_OK; }
  PGconn* handle() const { return m_conn.get(); }

 private:
  Connection() : m_conn(nullptr, &PQfinish) {}
  Error failure(const std::string& purpose, PGresult* result = nullptr) const;
  std::unique_ptr<PGconn, void (*)(PGconn*)> m_conn;
  std::string m_what;
};

// A value as COPY's text format wants it (\N for none; tabs, newlines and
// backslashes escaped).
std::string copyField(const std::optional<std::string>& value);

}  // namespace aidi::lab::pg
