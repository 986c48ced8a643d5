// The energy parts the database holds (migration 0010), gathered back into
// each inference's activity: what the report and the runs browser split
// (splitEnergy) and average (meanSplit).
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "aidi/db/queries.hpp"
#include "aidi/inst/harvester.hpp"

namespace aidi::core {

struct RecordedInferenceEnergy {
  std::vector<inst::ActivityEnergy> activity;
  double asleepJ = 0;  // asleep and shut down
};
using InferenceKey = std::pair<std::int64_t, std::uint32_t>;  // run, inference

// The parts of the inferences `keep` accepts, by inference.
template <class Keep>
std::map<InferenceKey, RecordedInferenceEnergy> gatherEnergy(const std::vector<db::EnergyRecord>& parts, Keep keep) {
  std::map<InferenceKey, RecordedInferenceEnergy> out;
  for (const auto& p : parts) {
    const InferenceKey key{p.runId, p.inference};
    if (!keep(key)) continue;
    RecordedInferenceEnergy& i = out[key];
    if (const auto mode = inst::deviceModeNamed(p.activity))
      i.activity.push_back({p.layer, *mode, p.reexecuted, p.joules, p.seconds});
    else if (p.activity == "asleep" || p.activity == "shut_down")
      i.asleepJ += p.joules;
  }
  return out;
}

}  // namespace aidi::core
