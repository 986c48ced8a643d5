#include "aidi/core/database_admin.hpp"

#include "read_database.hpp"

namespace aidi::core {

Result<SchemaState> migrateDatabase(const std::filesystem::path& database) {
  auto db = db::Database::open(database);  // a missing file is created at the latest schema
  if (!db) return std::unexpected(db.error());
  return SchemaState{db->schemaVersion(), db::Database::latestSchemaVersion()};
}

Result<IntegrityReport> checkDatabase(const std::filesystem::path& database) {
  db::OpenOptions options;
  options.readOnly = true;
  auto db = db::Database::open(database, options);
  if (!db) return std::unexpected(db.error());
  auto report = db->integrityCheck();
  if (!report) return std::unexpected(report.error());
  return IntegrityReport{db->schemaVersion(), *report};
}

Status vacuumDatabase(const std::filesystem::path& database) {
  db::OpenOptions options;
  options.create = false;
  auto db = db::Database::open(database, options);
  if (!db) return std::unexpected(db.error());
  return db->vacuum();
}

Status copyCampaignDatabase(const std::filesystem::path& database, std::int64_t campaignId,
                            const std::filesystem::path& out) {
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) return fail(ErrorCode::Invalid, out.string() + " exists already");
  auto db = openForReading(database);
  if (!db) return std::unexpected(db.error());
  auto copied = db->copyCampaign(campaignId, out);
  if (!copied) {
    std::filesystem::remove(out, ec);  // never a half copy left behind
  }
  return copied;
}

const std::vector<std::string>& exportableTables() { return db::exportableTables(); }

Status exportTable(const std::filesystem::path& database, const std::string& table,
                   std::optional<std::int64_t> campaignId, ExportFormat format, std::ostream& out) {
  auto db = openForReading(database);
  if (!db) return std::unexpected(db.error());
  return db::exportTable(*db, table, campaignId, format, out);
}

}  // namespace aidi::core
