// The latency/accuracy report of a campaign, built from the run database and
// the model zoo's manifests only (no number typed by hand), and rendered as a
// self-contained HTML page (inline SVG plots, no network at view time), CSV,
// JSON or the terminal's headline table. The GUI and `aidi report` share it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "aidi/core/board_profile.hpp"
#include "aidi/core/simulation.hpp"
#include "aidi/support/printable.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/queries.hpp"
#include "aidi/inst/result.hpp"

namespace aidi::core {

struct ReportModel {
  std::string name;
  bool inZoo = false;  // manifest found; the figures below are from it
  std::uint64_t params = 0, macs = 0, peakSramBytes = 0, flashBytes = 0;
  double floatAccuracy = 0, int8Accuracy = 0;  // host reference, full test set
  int deviceSamples = 0, deviceCorrect = 0;    // this campaign, finished inferences
};

// One cell of the matrix: a model under a policy and a harvest condition,
// over its repetitions and samples.
struct ReportCell {
  std::string model, policy, condition;
  std::string board;
  std::optional<double> capacitorUf;
  int runs = 0, runsDone = 0;
  int inferences = 0, finished = 0, correct = 0;
  db::Stats latencyS, ratio, powerCycles;
  double energyBoundS = 0;  // median over finished inferences
  double harvestW = 0;      // mean
  // Overhead as a fraction of the useful (plain) instructions.
  double bootShare = 0, checkpointShare = 0, reexecutedShare = 0;
  // Energy per finished inference (means): the board's, its average power
  // while the inference ran (energy over latency), and where it went (the
  // virtual board's split, with asleep and shut down; none elsewhere).
  double energyJ = 0, averagePowerW = 0;
  std::optional<EnergySplit> energySplit;
  double asleepJ = 0;  // asleep and shut down, where the split is known
  std::string failure;  // first failure of the cell, if any
  bool allFinished() const { return inferences > 0 && finished == inferences && runsDone == runs; }
};

// Where a report's results come from.
struct ReportProvenance {
  std::string campaignFile;                   // as planned (its text is in the database)
  std::string plannedAt, finishedAt;          // UTC; finishedAt empty while unfinished
  std::string benchVersion, host;             // who planned it (empty before they were recorded)
  std::map<std::string, int> firmwareBuilds;  // build hash -> inferences it produced
  int inferencesWithoutBuild = 0;
};

struct Report {
  std::int64_t campaignId = 0;
  std::string campaignName, campaignState, databasePath;
  ReportProvenance provenance;
  db::CampaignProgress progress;
  std::vector<ReportModel> models;
  std::vector<BoardProfile> boards;  // as the campaign recorded them
  std::vector<ReportCell> cells;
  std::vector<db::RunSummary> runs;
  std::optional<db::Timeline> timeline;  // the run chosen for the voltage plot
  std::string timelineLabel;
  double timelineClockHz = 0;  // the timeline run's board clock (0: unknown, no checkpoints drawn)
};

// Builds the report of `campaignId`. The timeline shows `timelineRun` when
// given (Invalid if it is not in the campaign), else the first finished run
// of the aidi policy with the most power cycles.
[[nodiscard]] inst::Result<Report> buildReport(const std::filesystem::path& database, std::int64_t campaignId,
                                               const std::filesystem::path& modelZoo,
                                               std::optional<std::int64_t> timelineRun = std::nullopt);

// A name as a terminal may show it (aidi/support/printable.hpp).
using aidi::printable;

// The report's colour of a policy (one per row of the policy table).
const char* policyColor(const std::string& policy);

// "Where the energy goes": per layer, one stacked bar per series (compute,
// NVM, re-executed), in uJ per inference, as a standalone SVG (the report
// and the GUI's compare tab draw the same).
struct LayerEnergySeries {
  std::string name, color;
  EnergySplit split;
};
std::string layerEnergySvg(const std::string& title, const std::vector<LayerEnergySeries>& series);

void writeHtml(const Report& report, std::ostream& out);
void writeCsv(const Report& report, std::ostream& out);  // one row per cell
void writeJson(const Report& report, std::ostream& out);
void writeTerminalTable(const Report& report, std::ostream& out);

// A run's timeline as a drawing, for the report's plot and the GUI's: the
// capacitor voltage between the recorded values (charging from the previous
// cycle's end, power-on, end of the cycle — sleeps included), the powered
// intervals, and each checkpoint on the voltage at its moment (the load
// drains energy, V^2, about linearly within a cycle).
struct TimelineDrawing {
  struct Point {
    double t, v;
  };
  struct Marker {
    double t, v;
    std::string label;
  };
  std::vector<Point> voltage;  // in time order
  std::vector<std::pair<double, double>> powered;
  std::vector<Marker> checkpoints;
};
TimelineDrawing drawTimeline(const db::Timeline& timeline, double clockHz);

// The report's plots as standalone SVG documents: (file stem, SVG text).
std::vector<std::pair<std::string, std::string>> plotSvgs(const Report& report);

// For text that goes into HTML (element content and attribute values).
std::string escapeHtml(const std::string& text);

}  // namespace aidi::core
