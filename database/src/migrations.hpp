// The schema migrations, embedded from database/migrations/*.sql at build time.
#pragma once

#include <string_view>
#include <vector>

namespace aidi::db {

struct Migration {
  int version;             // the schema version after applying it
  std::string_view name;   // file name without .sql
  std::string_view sql;
};

// In order: migrations()[i].version == i + 1.
const std::vector<Migration>& migrations();

}  // namespace aidi::db
