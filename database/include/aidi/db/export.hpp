// Exports tables as CSV (RFC 4180) or JSON (an array of objects), whole or
// limited to one campaign: `aidi db export`.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "aidi/db/database.hpp"

namespace aidi::db {

enum class ExportFormat { Csv, Json };

// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
std::string csvField(std::string s);

// The tables that can be exported, in dependency order.
const std::vector<std::string>& exportableTables();

// Writes `table` to `out`. With a campaign id, only that campaign's rows.
// Invalid for a table not in exportableTables().
[[nodiscard]] Status exportTable(Database& db, const std::string& table, std::optional<std::int64_t> campaignId,
                                 ExportFormat format, std::ostream& out);

}  // namespace aidi::db
