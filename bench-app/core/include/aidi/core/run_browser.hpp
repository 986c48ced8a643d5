// What the faces read from a run database, through the core: campaigns and
// their progress, campaign names resolved, runs with their summaries, the
// campaign a run belongs to, a run's timeline drawn with its board's clock.
// The GUI's runs browser and the CLI's list/resume/report use it; neither
// touches the database layer itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aidi/core/report.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/queries.hpp"
#include "aidi/support/result.hpp"

namespace aidi::db {
class Database;
}

namespace aidi::core {

using db::CampaignInfo;
using db::CampaignProgress;
using db::RunSummary;

class RunBrowser {
 public:
  // Opens an existing database (never creates one; an older schema is
  // brought up to date so its columns can be read).
  [[nodiscard]] static Result<RunBrowser> open(const std::filesystem::path& database);
  RunBrowser(RunBrowser&&) noexcept;
  RunBrowser& operator=(RunBrowser&&) noexcept;
  ~RunBrowser();

  const std::filesystem::path& path() const { return m_path; }
  [[nodiscard]] Result<std::vector<CampaignInfo>> campaigns();
  // A campaign named by a user: its id, or its name (the newest of that name).
  [[nodiscard]] Result<std::int64_t> resolveCampaign(const std::string& idOrName);
  [[nodiscard]] Result<std::vector<std::int64_t>> unfinishedCampaigns();
  [[nodiscard]] Result<std::vector<RunSummary>> runs(std::int64_t campaignId);
  [[nodiscard]] Result<std::int64_t> campaignOfRun(std::int64_t runId);
  // Runs of the campaign that another live process is executing now.
  [[nodiscard]] Result<std::vector<db::HeldRun>> heldRuns(std::int64_t campaignId);
  // The summaries of the given runs, in the order given (side-by-side
  // comparison); an unknown run is an error naming it.
  [[nodiscard]] Result<std::vector<RunSummary>> runsById(const std::vector<std::int64_t>& runIds);
  // Where a run's energy went: the mean split of its finished inferences
  // (none where nothing marked the board's activity: a real board).
  [[nodiscard]] Result<std::optional<EnergySplit>> energySplit(std::int64_t runId);
  // One run's timeline of `sample`, drawn with its own board's clock.
  [[nodiscard]] Result<TimelineDrawing> timeline(std::int64_t runId, std::uint32_t sample = 0);

 private:
  explicit RunBrowser(std::unique_ptr<db::Database> db, std::filesystem::path path);
  std::unique_ptr<db::Database> m_db;
  std::filesystem::path m_path;
};

}  // namespace aidi::core
