// `aidi crashtest`: the host target's exhaustive power-failure sweep for a
// model of the zoo, per scheduling policy: a failure at every NVM write (torn
// at a seeded random length); for `aidi`, also after every energy check
// between writes and along its sleep path (crash_sweep.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::core {

struct CrashTestResult {
  std::string policy;
  std::string sweep;  // "writes", "steps" (between writes) or "sleeps"
  std::uint64_t jobs = 0, failurePoints = 0, divergences = 0;
  std::int64_t firstDivergence = -1;  // write index, energy check or sleep of the first divergence
  double seconds = 0;
};

// `policy`: a policy's name or all. `sample`: image of the fixture subset.
// `seed`: of the tear lengths and the sleep path's outcomes.
[[nodiscard]] inst::Result<std::vector<CrashTestResult>> runCrashTest(const std::filesystem::path& zoo,
                                                                      const std::string& model,
                                                                      const std::string& policy, std::size_t sample,
                                                                      std::uint32_t seed = 1);

}  // namespace aidi::core
