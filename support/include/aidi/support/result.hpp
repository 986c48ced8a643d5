// Result and Error for every fallible host call (instruments, database, core).
// An Error names what failed (instrument, command, reply, file, SQLite's own
// words) in its message; the code lets callers decide (retry a timeout, stop
// on a limit, refuse a newer database). One type across the layers, so the
// core passes errors on without translating them.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace aidi {

enum class ErrorCode {
  // instruments and processes
  Timeout,      // no answer in time
  Io,           // socket, pipe, file or process failure; a database file that cannot be opened, read or written
  Protocol,     // a peer or a file said something we cannot accept
  Limit,        // refused on the host: above a configured safety limit
  Unsupported,  // the instrument or target cannot do this
  NotFound,     // a program, file or instrument is missing
  InUse,        // a port or device is held by someone else
  Cancelled,    // the user interrupted (Ctrl-C)
  // databases
  NotADatabase,  // the file is not an SQLite database (left untouched)
  Corrupt,       // SQLite reports corruption
  TooNew,        // written by a newer aidi: schema version above ours
  Full,          // disk or database size limit reached; committed data is kept
  Busy,          // another writer holds the lock, or a queue stayed full
  Invalid,       // a request this database cannot satisfy (unknown table, run)
  Closed,        // the writer has stopped; a peer closed its connection in order
};

constexpr std::string_view toString(ErrorCode code) {
  switch (code) {
    case ErrorCode::Timeout: return "timeout";
    case ErrorCode::Io: return "io";
    case ErrorCode::Protocol: return "protocol";
    case ErrorCode::Limit: return "limit";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::NotFound: return "not-found";
    case ErrorCode::InUse: return "in-use";
    case ErrorCode::Cancelled: return "cancelled";
    case ErrorCode::NotADatabase: return "not-a-database";
    case ErrorCode::Corrupt: return "corrupt";
    case ErrorCode::TooNew: return "too-new";
    case ErrorCode::Full: return "full";
    case ErrorCode::Busy: return "busy";
    case ErrorCode::Invalid: return "invalid";
    case ErrorCode::Closed: return "closed";
  }
  return "unknown";
}

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

}  // namespace aidi
