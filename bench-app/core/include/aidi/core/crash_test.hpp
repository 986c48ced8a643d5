// `aidi crashtest`: the host target's exhaustive power-failure sweep for a
// model of the zoo, per scheduling policy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::core {

struct CrashTestResult {
  std::string policy;
  std::uint64_t jobs = 0, failurePoints = 0, divergences = 0;
  std::int64_t firstDivergence = -1;  // NVM write index
  double seconds = 0;
};

// `policy`: layer, fixed-tile, aidi or all. `sample`: image of the fixture subset.
[[nodiscard]] inst::Result<std::vector<CrashTestResult>> runCrashTest(const std::filesystem::path& zoo,
                                                                      const std::string& model,
                                                                      const std::string& policy, std::size_t sample);

}  // namespace aidi::core
