// Result and Error for every fallible host call in instruments/ and core/.
// An Error names what failed (instrument, command, reply, file) in its message;
// the code lets callers decide (retry a timeout, stop on a limit).
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace aidi::inst {

enum class ErrorCode {
  Timeout,      // no answer in time
  Io,           // socket, pipe, file or process failure
  Protocol,     // a peer answered something we cannot accept
  Limit,        // refused on the host: above a configured safety limit
  Unsupported,  // the instrument or target cannot do this
  NotFound,     // a program, file or instrument is missing
  InUse,        // a port or device is held by someone else
  Cancelled,    // the user interrupted (Ctrl-C)
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

}  // namespace aidi::inst
