#include "aidi/core/run_browser.hpp"

#include <set>

#include "aidi/core/run_owner.hpp"
#include "read_database.hpp"
#include "recorded_boards.hpp"
#include "recorded_energy.hpp"

namespace aidi::core {

RunBrowser::RunBrowser(std::unique_ptr<db::Database> db, std::filesystem::path path)
    : m_db(std::move(db)), m_path(std::move(path)) {}
RunBrowser::RunBrowser(RunBrowser&&) noexcept = default;
RunBrowser& RunBrowser::operator=(RunBrowser&&) noexcept = default;
RunBrowser::~RunBrowser() = default;

Result<RunBrowser> RunBrowser::open(const std::filesystem::path& database) {
  auto db = openForReading(database);
  if (!db) return std::unexpected(db.error());
  return RunBrowser(std::make_unique<db::Database>(std::move(*db)), database);
}

Result<std::vector<CampaignInfo>> RunBrowser::campaigns() { return db::CampaignStore(*m_db).listCampaigns(); }

Result<std::int64_t> RunBrowser::resolveCampaign(const std::string& which) {
  db::CampaignStore store(*m_db);
  if (!which.empty() && which.size() < 19 && which.find_first_not_of("0123456789") == std::string::npos) {
    const std::int64_t id = std::stoll(which);
    if (auto r = store.recorded(id); !r) return fail(ErrorCode::NotFound, r.error().message);
    return id;
  }
  auto id = store.findByName(which);
  if (!id) return fail(ErrorCode::NotFound, id.error().message);
  return *id;
}

Result<std::vector<std::int64_t>> RunBrowser::unfinishedCampaigns() {
  return db::CampaignStore(*m_db).unfinishedCampaigns();
}

Result<std::vector<RunSummary>> RunBrowser::runs(std::int64_t campaignId) { return db::runSummaries(*m_db, campaignId); }

Result<std::int64_t> RunBrowser::campaignOfRun(std::int64_t runId) { return db::campaignOfRun(*m_db, runId); }

Result<std::vector<db::HeldRun>> RunBrowser::heldRuns(std::int64_t campaignId) {
  const db::RunOwnership me{thisProcessOwner(), ownerAlive, unixSeconds()};
  return db::CampaignStore(*m_db).heldRuns(campaignId, me);
}

Result<std::vector<RunSummary>> RunBrowser::runsById(const std::vector<std::int64_t>& runIds) {
  std::vector<RunSummary> chosen;
  for (const std::int64_t id : runIds) {
    auto campaign = db::campaignOfRun(*m_db, id);
    if (!campaign) return fail(ErrorCode::Invalid, "run " + std::to_string(id) + ": " + campaign.error().message);
    auto summaries = db::runSummaries(*m_db, *campaign);
    if (!summaries) return std::unexpected(summaries.error());
    for (const auto& s : *summaries)
      if (s.runId == id) chosen.push_back(s);
  }
  return chosen;
}

Result<std::optional<EnergySplit>> RunBrowser::energySplit(std::int64_t runId) {
  auto campaign = db::campaignOfRun(*m_db, runId);
  if (!campaign) return std::unexpected(campaign.error());
  auto inferences = db::campaignInferences(*m_db, *campaign);
  if (!inferences) return std::unexpected(inferences.error());
  std::set<InferenceKey> finished;
  for (const auto& i : *inferences)
    if (i.runId == runId && i.finished) finished.insert({i.runId, i.inference});
  auto parts = db::campaignEnergy(*m_db, *campaign);
  if (!parts) return std::unexpected(parts.error());
  std::vector<EnergySplit> splits;
  for (const auto& [key, i] : gatherEnergy(*parts, [&](const InferenceKey& k) { return finished.contains(k); }))
    splits.push_back(splitEnergy(i.activity));
  if (splits.empty()) return std::optional<EnergySplit>();
  return std::optional<EnergySplit>(meanSplit(splits));
}

Result<TimelineDrawing> RunBrowser::timeline(std::int64_t runId, std::uint32_t sample) {
  auto timeline = db::runTimeline(*m_db, runId, sample);
  if (!timeline) return std::unexpected(timeline.error());
  auto board = runBoard(*m_db, runId, timeline->board);
  if (!board) return std::unexpected(board.error());
  return drawTimeline(*timeline, board->clockHz);
}

}  // namespace aidi::core
