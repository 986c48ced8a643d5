// Result and Error of the database layer. Messages name the file and, for
// SQLite errors, SQLite's own words.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace aidi::db {

enum class ErrorCode {
  Io,            // cannot open, read or write the file
  NotADatabase,  // the file is not an SQLite database (left untouched)
  Corrupt,       // SQLite reports corruption
  TooNew,        // written by a newer aidi: schema version above ours
  Full,          // disk or database size limit reached; committed data is kept
  Busy,          // another writer holds the lock, or a queue stayed full
  Invalid,       // a request this database cannot satisfy (unknown table, run)
  Closed,        // the writer has stopped
};

std::string_view toString(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = Result<void>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected(Error{code, std::move(message)});
}

}  // namespace aidi::db
