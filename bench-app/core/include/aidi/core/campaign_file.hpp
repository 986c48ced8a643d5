// A campaign file (TOML): the matrix of models x policies x harvest
// conditions x samples x repetitions a user runs overnight. Everything is
// validated before any run starts; every error names the file, the line and
// the key. Format: fixtures/campaigns/README.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/result.hpp"

namespace aidi::core {

struct HarvestCondition {
  std::string name;
  std::filesystem::path trace;           // empty: constant power
  double constantWatts = 0;
  inst::StorageParams storage;
};

struct CampaignFile {
  std::filesystem::path path;
  std::string text;  // the file as read: stored with the campaign, so resume needs no file
  std::string name;
  std::vector<std::string> models, policies;
  std::vector<HarvestCondition> conditions;
  int samples = 1;       // the first N images of the fixture subset
  int repetitions = 1;
  double timeLimitS = 600;  // wall time per run
  std::string bench = "virtual";    // as written
  std::filesystem::path benchFile;  // a real bench: the bench file, resolved; empty for the virtual bench
  // Runs in the order they execute: model, policy, condition, repetition.
  std::size_t runCount() const { return models.size() * policies.size() * conditions.size() * repetitions; }
};

// Parses and validates `path`. Models are checked against `modelZoo`; trace
// paths are relative to the campaign file's folder (or absolute).
[[nodiscard]] inst::Result<CampaignFile> loadCampaignFile(const std::filesystem::path& path,
                                                          const std::filesystem::path& modelZoo);
// The same from text already read; `path` names it in errors and anchors
// relative trace paths.
[[nodiscard]] inst::Result<CampaignFile> parseCampaign(const std::string& text, const std::filesystem::path& path,
                                                       const std::filesystem::path& modelZoo);

}  // namespace aidi::core
