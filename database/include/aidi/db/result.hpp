// The database layer uses the one host error type (aidi/support/result.hpp).
// Messages name the file and, for SQLite errors, SQLite's own words.
#pragma once

#include "aidi/support/result.hpp"

namespace aidi::db {
using aidi::Error;
using aidi::ErrorCode;
using aidi::fail;
using aidi::Result;
using aidi::Status;
}  // namespace aidi::db
