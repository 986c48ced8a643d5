// The board profiles a campaign recorded, parsed from the text stored with it
// (migration 0005). A campaign recorded before board profiles ran on the
// virtual board: its profile as the file is now stands in.
#pragma once

#include <vector>

#include "aidi/core/board_profile.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/queries.hpp"

namespace aidi::core {

[[nodiscard]] inline Result<std::vector<BoardProfile>> recordedBoards(const db::RecordedCampaign& campaign) {
  std::vector<BoardProfile> boards;
  for (const auto& b : campaign.boards) {
    auto profile = parseBoardProfile(b.profileToml, b.sourcePath, ProfileOrigin::Recorded);
    if (!profile) return std::unexpected(profile.error());
    boards.push_back(std::move(*profile));
  }
  if (boards.empty()) {
    auto profile = findBoardProfile(kDefaultBoard);
    if (!profile) return std::unexpected(profile.error());
    boards.push_back(std::move(*profile));
  }
  return boards;
}

// A run's board `name` as its campaign recorded it (else the profile as the
// file is now).
[[nodiscard]] inline Result<BoardProfile> runBoard(db::Database& db, std::int64_t runId, const std::string& name) {
  auto campaign = db::campaignOfRun(db, runId);
  if (!campaign) return std::unexpected(campaign.error());
  auto recorded = db::CampaignStore(db).recorded(*campaign);
  if (!recorded) return std::unexpected(recorded.error());
  auto boards = recordedBoards(*recorded);
  if (!boards) return std::unexpected(boards.error());
  for (auto& board : *boards)
    if (board.name == name) return std::move(board);
  return findBoardProfile(name);
}

}  // namespace aidi::core
