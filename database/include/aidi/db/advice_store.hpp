// aidi advise's records (migration 0014): an advice's question, the
// campaigns that answer it and its answer; and the lookup that lets a
// configuration measured before, by any campaign, not run again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aidi/db/database.hpp"

namespace aidi::db {

struct AdviceRecord {
  std::int64_t id = 0;
  std::string name, request, result, state, createdAt;
};

struct AdviceCampaign {
  std::int64_t campaignId = 0;
  std::string role;
};

class AdviceStore {
 public:
  explicit AdviceStore(Database& db) : m_db(db) {}
  // The running advice asking exactly `request`, or a new one.
  [[nodiscard]] Result<AdviceRecord> openOrCreate(const std::string& name, const std::string& request);
  [[nodiscard]] Status addCampaign(std::int64_t adviceId, std::int64_t campaignId, const std::string& role);
  [[nodiscard]] Result<std::vector<AdviceCampaign>> campaigns(std::int64_t adviceId);
  [[nodiscard]] Status finish(std::int64_t adviceId, const std::string& result);
  [[nodiscard]] Result<std::vector<AdviceRecord>> all();  // newest last
  [[nodiscard]] Result<AdviceRecord> get(std::int64_t adviceId);

 private:
  Database& m_db;
};

// The newest run that measured this model, policy, board and condition
// name, in any campaign: (campaign, run). It ended done, or failed with
// every inference it planned recorded (some did not finish: that is a
// result); a run a bench error cut short is not a measurement.
[[nodiscard]] Result<std::optional<std::pair<std::int64_t, std::int64_t>>> latestMeasuredRun(
    Database& db, const std::string& model, const std::string& policy, const std::string& board,
    const std::string& condition);

// A run's inferences (its current attempt) in order: finished, latency (s).
struct InferenceOutcome {
  bool finished = false;
  double latencyS = 0;
  double startS = 0;
  double energyBoundS = 0;  // L* of this inference (0: none recorded)
  double plainCycles = 0;
  double energyUj = 0;      // the device's energy for it
};
[[nodiscard]] Result<std::vector<InferenceOutcome>> inferenceOutcomes(Database& db, std::int64_t runId);

}  // namespace aidi::db
