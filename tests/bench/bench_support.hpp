// What the benchmarks share: a benchmark that cannot measure stops with the
// reason (a figure from a half-failed run would be worse than none).
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "aidi/support/result.hpp"

namespace aidi::bench {

using Clock = std::chrono::steady_clock;

inline double seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

[[noreturn]] inline void die(const Error& e) {
  std::fprintf(stderr, "benchmark: %s\n", e.message.c_str());
  std::exit(1);
}
template <class T>
T must(Result<T> r) {
  if (!r) die(r.error());
  return std::move(*r);
}
inline void must(Status s) {
  if (!s) die(s.error());
}

}  // namespace aidi::bench
