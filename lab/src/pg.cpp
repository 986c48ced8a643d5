#include "pg.hpp"

namespace aidi::lab::pg {

namespace {
// libpq's message without its trailing newline.
std::string trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}
}  // namespace

Result<Connection> Connection::open(const std::string& conninfo, const std::string& what, int connectTimeoutS) {
  Connection c;
  c.m_what = what;
  const std::string timeout = std::to_string(connectTimeoutS);
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {conninfo.c_str(), timeout.c_str(), "aidi", nullptr};
  // expand_dbname: the URL's own parameters, then ours where it has none.
  c.m_conn.reset(PQconnectdbParams(keys, values, 1));
  if (!c.m_conn) return fail(ErrorCode::Io, what + ": out of memory");
  if (PQstatus(c.m_conn.get()) != CONNECTION_OK) {
    const std::string message = trimmed(PQerrorMessage(c.m_conn.get()));
    const bool refused = message.find("password authentication failed") != std::string::npos ||
                         message.find("no password supplied") != std::string::npos ||
                         message.find("role \"") != std::string::npos;
    if (refused)
      return fail(ErrorCode::Invalid, what + ": the server refused the credentials (" + message +
                                          "); the password comes from PGPASSWORD, PGPASSFILE or ~/.pgpass");
    return fail(ErrorCode::Io, what + ": cannot connect (" + message + ")");
  }
  // The server's notices ("already exists, skipping") are not the user's business.
  PQsetNoticeProcessor(c.m_conn.get(), [](void*, const char*) {}, nullptr);
  return c;
}

Error Connection::failure(const std::string& purpose, PGresult* result) const {
  const std::string message = trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(m_conn.get()));
  const bool lost = PQstatus(m_conn.get()) != CONNECTION_OK;
  return Error{lost ? ErrorCode::Io : ErrorCode::Protocol,
               m_what + ": " + purpose + ": " + (lost ? "connection lost: " : "") + message};
}

Result<Rows> Connection::exec(const std::string& sql, const Params& params, const std::string& purpose) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* result = PQexecParams(m_conn.get(), sql.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0);
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Error e = failure(purpose, result);
    if (result) PQclear(result);
    return std::unexpected(std::move(e));
  }
  return Rows(result);
}

Status Connection::execute(const std::string& sql, const std::string& purpose) {
  PGresult* result = PQexec(m_conn.get(), sql.c_str());
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    Error e = failure(purpose, result);
    if (result) PQclear(result);
    return std::unexpected(std::move(e));
  }
  PQclear(result);
  return {};
}

Status Connection::copyIn(const std::string& copySql, const std::string& lines, const std::string& purpose) {
  PGresult* start = PQexec(m_conn.get(), copySql.c_str());
  if (!start || PQresultStatus(start) != PGRES_COPY_IN) {
    Error e = failure(purpose, start);
    if (start) PQclear(start);
    return std::unexpected(std::move(e));
  }
  PQclear(start);
  if (PQputCopyData(m_conn.get(), lines.data(), static_cast<int>(lines.size())) != 1 ||
      PQputCopyEnd(m_conn.get(), nullptr) != 1)
    return std::unexpected(failure(purpose));
  PGresult* end = PQgetResult(m_conn.get());
  const bool ok = end && PQresultStatus(end) == PGRES_COMMAND_OK;
  Error e = ok ? Error{} : failure(purpose, end);
  if (end) PQclear(end);
  while (PGresult* more = PQgetResult(m_conn.get())) PQclear(more);
  if (!ok) return std::unexpected(std::move(e));
  return {};
}

std::string copyField(const std::optional<std::string>& value) {
  if (!value) return "\\N";
  std::string out;
  for (const char c : *value) {
    if (c == '\\') out += "\\\\";
    else if (c == '\t') out += "\\t";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else out += c;
  }
  return out;
}

}  // namespace aidi::lab::pg
