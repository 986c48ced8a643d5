#include "aidi/db/export.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "sqlite.hpp"

namespace aidi::db {
namespace {

// Each table and how its rows belong to a campaign.
struct TableScope {
  std::string table;
  std::string campaignFilter;  // WHERE clause with one '?' for the campaign id
};

const std::vector<TableScope>& scopes() {
  static const std::vector<TableScope> all = {
      {"benches", "id IN (SELECT bench_id FROM campaigns WHERE id = ?)"},
      {"devices", "id IN (SELECT device_id FROM runs WHERE campaign_id = ?)"},
      {"firmware_builds", "id IN (SELECT firmware_build_id FROM runs WHERE campaign_id = ?)"},
      {"campaigns", "id = ?"},
      {"runs", "campaign_id = ?"},
      {"power_cycles", "run_id IN (SELECT id FROM runs WHERE campaign_id = ?)"},
      {"checkpoints", "run_id IN (SELECT id FROM runs WHERE campaign_id = ?)"},
      {"inferences", "run_id IN (SELECT id FROM runs WHERE campaign_id = ?)"},
      {"inference_energy", "run_id IN (SELECT id FROM runs WHERE campaign_id = ?)"},
      {"sleeps", "run_id IN (SELECT id FROM runs WHERE campaign_id = ?)"},
      {"waveform_channels", "run_id IN (SELECT id FROM runs WHERE campaign_id = ?)"},
      {"waveform_segments", "channel_id IN (SELECT c.id FROM waveform_channels c JOIN runs r ON r.id = c.run_id"
                            " WHERE r.campaign_id = ?)"},
      {"events", "campaign_id = ? OR run_id IN (SELECT id FROM runs WHERE campaign_id = ?1)"},
      {"advice", "id IN (SELECT advice_id FROM advice_campaigns WHERE campaign_id = ?)"},
      {"advice_campaigns", "campaign_id = ?"},
  };
  return all;
}

}  // namespace

std::string csvField(std::string s) {
  // A cell a spreadsheet would run as a formula (=, +, -, @, or a tab or
  // carriage return first) is neutralised with a leading apostrophe, as
  // OWASP recommends. Numbers are written by the callers, not through here.
  if (!s.empty() && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
    s.insert(0, 1, '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

const std::vector<std::string>& exportableTables() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : scopes()) n.push_back(s.table);
    return n;
  }();
  return names;
}

Status exportTable(Database& db, const std::string& table, std::optional<std::int64_t> campaignId,
                   ExportFormat format, std::ostream& out) {
  const auto scope = std::find_if(scopes().begin(), scopes().end(), [&](const auto& s) { return s.table == table; });
  if (scope == scopes().end()) return fail(ErrorCode::Invalid, "unknown table \"" + table + "\"");
  std::string text = "SELECT * FROM " + scope->table;
  if (campaignId) text += " WHERE " + scope->campaignFilter;
  text += " ORDER BY id";
  auto stmt = sql::Statement::prepare(db.handle(), text);
  if (!stmt) return std::unexpected(stmt.error());
  if (campaignId) stmt->bind(1, *campaignId);

  const int columns = stmt->columnCount();
  if (format == ExportFormat::Csv) {
    for (int c = 0; c < columns; ++c) out << (c ? "," : "") << csvField(stmt->columnName(c));
    out << "\r\n";
  } else {
    out << "[";
  }
  bool first = true;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    if (format == ExportFormat::Csv) {
      for (int c = 0; c < columns; ++c) {
        out << (c ? "," : "");
        const int type = stmt->columnType(c);
        if (type == SQLITE_TEXT || type == SQLITE_BLOB) out << csvField(stmt->text(c));
        else if (type != SQLITE_NULL) out << stmt->text(c);  // a number, as SQLite prints it
      }
      out << "\r\n";
    } else {
      nlohmann::ordered_json object;
      for (int c = 0; c < columns; ++c) {
        const std::string name = stmt->columnName(c);
        switch (stmt->columnType(c)) {
          case SQLITE_NULL: object[name] = nullptr; break;
          case SQLITE_INTEGER: object[name] = stmt->integer(c); break;
          case SQLITE_FLOAT: object[name] = stmt->real(c); break;
          default: object[name] = stmt->text(c); break;
        }
      }
      out << (first ? "\n" : ",\n") << object.dump();
    }
    first = false;
  }
  if (format == ExportFormat::Json) out << (first ? "]\n" : "\n]\n");
  if (!out) return fail(ErrorCode::Io, "cannot write the export of " + table);
  return {};
}

}  // namespace aidi::db
