// How `aidi` ends (README: Exit codes): 0 done, 1 the work failed (one line
// on stderr saying what and where), 2 bad usage, 130 interrupted.
#pragma once

#include <fmt/format.h>

#include "aidi/support/result.hpp"

namespace aidi::cli {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

// The error's one line, and the exit code it means.
inline int reportError(const Error& error) {
  fmt::print(stderr, "aidi: error: {}\n", error.message);
  return error.code == ErrorCode::Cancelled ? kExitInterrupted : kExitFailure;
}

}  // namespace aidi::cli
