// Looking after a run database from the faces (`aidi db ...`): migrate,
// check, vacuum, export. Everything a face does to a database file goes
// through the core.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "aidi/db/export.hpp"
#include "aidi/support/result.hpp"

namespace aidi::core {

using db::ExportFormat;

struct SchemaState {
  int version = 0;  // after migrating
  int latest = 0;   // this build's
};
// Creates the file when missing and applies pending migrations.
[[nodiscard]] Result<SchemaState> migrateDatabase(const std::filesystem::path& database);

struct IntegrityReport {
  int version = 0;
  std::string result;  // "ok", or SQLite's list of problems
  bool ok() const { return result == "ok"; }
};
// SQLite's integrity check, read-only.
[[nodiscard]] Result<IntegrityReport> checkDatabase(const std::filesystem::path& database);
[[nodiscard]] Status vacuumDatabase(const std::filesystem::path& database);

// A new run database at `out` (which must not exist) holding one campaign
// and all it recorded, waveforms included: what list, report and the GUI
// read. The source is only read, even while a campaign records into it.
[[nodiscard]] Status copyCampaignDatabase(const std::filesystem::path& database, std::int64_t campaignId,
                                          const std::filesystem::path& out);

const std::vector<std::string>& exportableTables();
// Writes each table (a campaign's rows, or all) to `out`, read-only.
[[nodiscard]] Status exportTable(const std::filesystem::path& database, const std::string& table,
                                 std::optional<std::int64_t> campaignId, ExportFormat format, std::ostream& out);

}  // namespace aidi::core
