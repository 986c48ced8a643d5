// The campaign subcommands of `aidi` (campaign_commands.cpp).
#pragma once

#include <filesystem>
#include <string>

namespace aidi::cli {

struct CampaignOptions {
  std::filesystem::path database;
  std::filesystem::path modelZoo;
  std::filesystem::path reportPath;  // HTML report after a run; default next to the database
  std::filesystem::path bench;       // run: a bench file in place of the campaign's (empty: the campaign's)
  bool json = false;
};

int runCampaignFile(const std::filesystem::path& file, const CampaignOptions& options);
// `which`: a campaign id or name; empty: every unfinished campaign.
int resumeCampaigns(const std::string& which, const CampaignOptions& options);
int listCampaigns(const CampaignOptions& options);
// `which`: a campaign id or name, or run:ID (that run's timeline in its campaign's report).
// `plots`: when not empty, also writes each plot there as NAME.svg.
int reportCampaign(const std::string& which, const std::string& format, const std::filesystem::path& out,
                   const std::filesystem::path& plots, const CampaignOptions& options);

}  // namespace aidi::cli
