// Campaign progress: every planned run has a state (planned, running, done,
// failed) and an attempt number. A run is claimed (running, attempt + 1, rows
// of its earlier attempts deleted) before it starts and finished through the
// BatchWriter after its rows. A process that dies leaves its run "running";
// claiming it again re-runs it from scratch, so every planned run ends
// recorded exactly once.
//
// Several processes may work on one campaign: a claimed run records its owner
// and a heartbeat; a "running" run is claimed again only when its owner is
// dead (the caller decides that: same host, process gone; another host,
// heartbeat too old), so each planned run still ends recorded exactly once.
#pragma once

#include <cstdint>
#include <functional>
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
// Who planned a campaign: aidi's version and the host (migration 0011).
struct CampaignProvenance {
  std::string benchVersion, host;
};

struct RecordedCampaign {
  std::int64_t id;
  std::string name;
  std::string sourcePath;
  std::string configToml;
  std::string state;
  std::vector<RecordedBoard> boards;
  CampaignProvenance provenance;     // empty before migration 0011
  std::string createdAt, finishedAt;  // ISO 8601, UTC; finishedAt empty until it ends
};

// Who is executing a run, and whether that owner is still alive.
struct RunOwnership {
  std::string owner;  // this process: "HOST PID START"
  // Called for a run another owner holds: alive (leave it) or dead (take it).
  std::function<bool(const std::string& owner, double heartbeatAt)> ownerAlive;
  double now = 0;  // unix seconds, stamped as the heartbeat
  // A run another live owner executes: leave it.
  bool heldByAnother(const std::string& runOwner, double heartbeatAt) const {
    return runOwner != owner && ownerAlive && ownerAlive(runOwner, heartbeatAt);
  }
};

// A run someone else is executing.
struct HeldRun {
  std::int64_t runId;
  int planIndex;
  std::string owner;
  double heartbeatAt = 0;
};

class CampaignStore {
 public:
  explicit CampaignStore(Database& db) : m_db(db) {}

  // Records a campaign and its runs (plan_index 0..n-1) in one transaction.
  [[nodiscard]] Result<std::int64_t> createCampaign(const std::string& name, const std::string& sourcePath,
                                                    const std::string& configToml, std::span<const PlannedRun> runs,
                                                    std::span<const RecordedBoard> boards = {},
                                                    const CampaignProvenance& provenance = {});
  // The next run to execute: a run left "running" by a dead owner first, then
  // the lowest planned one; none when every remaining run is done or held by
  // a live owner. Without `ownership`, every running run counts as orphaned.
  // `onlyPlanIndex`: that run alone (a lab worker runs the one it claimed).
  [[nodiscard]] Result<std::optional<ClaimedRun>> claimNextRun(std::int64_t campaignId,
                                                               const RunOwnership* ownership = nullptr,
                                                               std::optional<int> onlyPlanIndex = std::nullopt);
  // The owner of `runId` shows it is alive.
  [[nodiscard]] Status heartbeat(std::int64_t runId, const std::string& owner, double now);
  // Runs of the campaign that live owners other than `owner` are executing.
  [[nodiscard]] Result<std::vector<HeldRun>> heldRuns(std::int64_t campaignId, const RunOwnership& ownership);
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
