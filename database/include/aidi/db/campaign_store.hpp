// Campaign progress: every planned run has a state (planned, running, done,
// failed) and an attempt number. A run is claimed (running, attempt + 1, rows
// of its earlier attempts deleted) before it starts and finished through the
// BatchWriter after its rows. A process that dies leaves its run "running";
// claiming it again re-runs it from scratch, so every planned run ends
// recorded exactly once.
//
// One process runs a campaign at a time; claiming treats every "running" run
// as orphaned by a dead process, so a run must end committed (RunFinished
// pushed and the writer flushed) before the next claim.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aidi/db/database.hpp"

namespace aidi::db {

struct PlannedRun {
  std::string model;
  std::string policy;
  std::string condition;
  std::optional<double> capacitorUf;
  int repetition = 0;
  int samples = 0;
  std::string board = "mps2-an386";  // the board profile's name
};

struct ClaimedRun {
  std::int64_t runId;
  int planIndex;
  int attempt;  // 1 for the first try
  PlannedRun plan;
};

struct CampaignProgress {
  int planned = 0, running = 0, done = 0, failed = 0;
  int total() const { return planned + running + done + failed; }
  bool complete() const { return planned == 0 && running == 0; }
};

struct CampaignInfo {
  std::int64_t id;
  std::string name;
  std::string state;
  std::string createdAt;
  CampaignProgress progress;
};

// A board profile as a campaign recorded it (boards/*.toml, verbatim).
struct RecordedBoard {
  std::string name;
  std::string sourcePath;
  std::string profileToml;
};

// A campaign as it was recorded: enough to run or report it again.
struct RecordedCampaign {
  std::int64_t id;
  std::string name;
  std::string sourcePath;
  std::string configToml;
  std::string state;
  std::vector<RecordedBoard> boards;
};

class CampaignStore {
 public:
  explicit CampaignStore(Database& db) : m_db(db) {}

  // Records a campaign and its runs (plan_index 0..n-1) in one transaction.
  [[nodiscard]] Result<std::int64_t> createCampaign(const std::string& name, const std::string& sourcePath,
                                                    const std::string& configToml, std::span<const PlannedRun> runs,
                                                    std::span<const RecordedBoard> boards = {});
  // The next run to execute: a run left "running" by a dead process first,
  // then the lowest planned one. None when the campaign is complete.
  [[nodiscard]] Result<std::optional<ClaimedRun>> claimNextRun(std::int64_t campaignId);
  [[nodiscard]] Result<CampaignProgress> progress(std::int64_t campaignId);
  // Sets the campaign's state from its runs' (done when all ended).
  [[nodiscard]] Status updateCampaignState(std::int64_t campaignId);
  [[nodiscard]] Result<std::vector<CampaignInfo>> listCampaigns();
  // Invalid when no campaign has this id.
  [[nodiscard]] Result<RecordedCampaign> recorded(std::int64_t campaignId);
  // The newest campaign of this name; Invalid when none.
  [[nodiscard]] Result<std::int64_t> findByName(const std::string& name);
  // Campaigns with runs still planned or running, oldest first.
  [[nodiscard]] Result<std::vector<std::int64_t>> unfinishedCampaigns();

 private:
  Database& m_db;
};

}  // namespace aidi::db
