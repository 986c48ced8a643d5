// A campaign file (TOML): the matrix of models x policies x harvest
// conditions x samples x repetitions a user runs overnight. Everything is
// validated before any run starts; every error names the file, the line and
// the key. Format: fixtures/campaigns/README.md.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "aidi/core/board_profile.hpp"
#include "aidi/core/simulation.hpp"
#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/result.hpp"

namespace aidi::core {

struct HarvestCondition {
  std::string name;
  std::filesystem::path trace;           // empty: constant power
  double constantWatts = 0;
  double capacitorUf = 0;  // as written in the file (reports print it)
  double capacitanceF = 0;
  // Overrides of the board profile's thresholds, converter and leakage, when given.
  std::optional<double> vOn, vOff, vMax, efficiency, leakageW;
  // The storage element of this condition on `board`.
  inst::StorageParams storage(const BoardProfile& board) const;
  // When and how its inferences start (start_s, v_start, window_s, wrap),
  // and over how many start times they spread (`starts`, drawn with `seed`).
  RunWindow window;
  int starts = 1;
  std::uint32_t seed = 1;
  // mode = "continuous": one window of continuous operation per run.
  std::optional<ContinuousPlan> continuous;
  // The start times of its inferences: window.startS alone, or `starts`
  // times stratified over the trace (one drawn uniformly in each of `starts`
  // equal parts of its period; a constant has one time, 0). The same for
  // every policy and board.
  std::vector<double> startTimes(const inst::HarvestTrace& trace) const;
};

struct CampaignFile {
  std::filesystem::path path;
  std::string text;  // the file as read: stored with the campaign, so resume needs no file
  std::string name;
  std::vector<std::string> models, policies;
  // The boards the matrix runs on (default: the bench's own board profile).
  std::vector<BoardProfile> boards;
  std::vector<HarvestCondition> conditions;
  int samples = 1;       // the first N images of the fixture subset
  int repetitions = 1;
  double timeLimitS = 600;  // wall time per run
  // The aidi engine senses its energy with the board's ADC, or (the study's
  // comparison only) is told the bench's brown-out time: SimulationRequest.
  bool oracleSensing = false;
  // Record each inference's waveforms (current, voltage, power; modelled on
  // the virtual bench, measured by the supply on a real one) in the run
  // database: waveforms.hpp.
  bool waveforms = false;
  std::string bench = "virtual";    // as written
  std::filesystem::path benchFile;  // a real bench: the bench file, resolved; empty for the virtual bench
  // Runs in the order they execute: model, board, policy, condition, repetition.
  std::size_t runCount() const {
    return models.size() * boards.size() * policies.size() * conditions.size() * repetitions;
  }
  const BoardProfile* findBoard(const std::string& name) const;
  const HarvestCondition* findCondition(const std::string& name) const;
};

// The most runs one campaign may plan (a typo of repetitions must not fill
// the memory or the disk).
inline constexpr std::size_t kMaxPlannedRuns = 100'000;

// Parses and validates `path`. Models are checked against `modelZoo`, boards
// against the profiles in `boards`; trace paths are relative to the campaign
// file's folder (or absolute).
[[nodiscard]] inst::Result<CampaignFile> loadCampaignFile(const std::filesystem::path& path,
                                                          const std::filesystem::path& modelZoo,
                                                          const std::filesystem::path& boards = defaultBoardDirectory());
// The same, run on another bench than the file names: campaign.bench set
// to `bench` (made absolute) in the text the campaign records, so a resume
// runs on it too. A lab's bench file need not be written into its campaigns.
[[nodiscard]] inst::Result<CampaignFile> loadCampaignFileOnBench(const std::filesystem::path& path,
                                                                 const std::filesystem::path& bench,
                                                                 const std::filesystem::path& modelZoo,
                                                                 const std::filesystem::path& boards = defaultBoardDirectory());
// The same from text already read; `path` names it in errors.
[[nodiscard]] inst::Result<CampaignFile> parseCampaignOnBench(const std::string& text, const std::filesystem::path& path,
                                                              const std::filesystem::path& bench,
                                                              const std::filesystem::path& modelZoo,
                                                              const std::filesystem::path& boards = defaultBoardDirectory());
// The same from text already read; `path` names it in errors and anchors
// relative trace paths. `recordedBoards` (a resumed campaign's profiles, as
// recorded) are used before the files in `boards`.
[[nodiscard]] inst::Result<CampaignFile> parseCampaign(const std::string& text, const std::filesystem::path& path,
                                                       const std::filesystem::path& modelZoo,
                                                       const std::filesystem::path& boards = defaultBoardDirectory(),
                                                       const std::vector<BoardProfile>& recordedBoards = {});

}  // namespace aidi::core
