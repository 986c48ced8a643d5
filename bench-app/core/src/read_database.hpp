// Opening a run database to read it, for the faces' read-only work (list,
// report, export, the GUI's browser): read-only when its schema is current,
// so it works on a read-only file or mount and never writes; migrated first
// when it is older (which needs write access, and says so when it has none).
#pragma once

#include <filesystem>

#include "aidi/db/database.hpp"

namespace aidi::core {

[[nodiscard]] inline Result<db::Database> openForReading(const std::filesystem::path& database) {
  db::OpenOptions readOnly;
  readOnly.readOnly = true;
  auto db = db::Database::open(database, readOnly);
  if (db || db.error().code != ErrorCode::Invalid) return db;  // Invalid: an older schema
  db::OpenOptions migrate;
  migrate.create = false;
  return db::Database::open(database, migrate);
}

}  // namespace aidi::core
