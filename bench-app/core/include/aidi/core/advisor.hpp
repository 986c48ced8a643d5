// `aidi advise`: which capacitor, model, scheduling policy and board make a
// latency deadline most often under a given harvest, above an accuracy
// floor (docs/advise.md).
//
// The sweep runs the real firmware on the virtual bench: every
// configuration (model x board x policy x capacitor) is run at a start time
// of the trace (more, spread over it, for those near the front), which
// measures its latency relative to the energy-bound limit L* (the project's
// figure of merit: what its boots, checkpoints, re-execution and waiting
// cost). L* at any start time follows
// exactly from the trace and the plain inference's count, so each
// configuration's latency is then predicted at many start times (latency =
// its measured ratio x L*(t)): the deadline-met rate and the p95 latency
// over the whole trace. Capacitors form a log grid, refined around the
// Pareto front (accuracy, p95 latency, capacitor). The recommendation is
// then run again on the virtual bench at held-out start times, and the
// rate it met the deadline there is set beside the rate predicted.
//
// Everything is recorded in the run database (an advice and its
// campaigns): asking the same question again continues it after Ctrl-C or
// kill -9, and a configuration measured before, by any campaign, is not
// run again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aidi/inst/result.hpp"

namespace aidi::core {

struct AdviceRequest {
  std::filesystem::path trace;
  std::optional<double> deadlineS;  // none: the lowest p95 latency is recommended
  double minAccuracy = 0;           // 0..1, the model's int8 test accuracy
  std::vector<std::string> models, policies, boards;  // empty: the zoo's models, every policy, the virtual board
  double capMinUf = 22, capMaxUf = 10'000;
  int capsPerDecade = 3;
  int refineRounds = 1;     // grid points added around the front, this many times
  int screenStarts = 1;     // start times each configuration is run at
  int measuredStarts = 4;   // ... and each of the six best, in a refinement round (and the recommendation)
  int sweepStarts = 48;     // start times its latency is predicted at
  int holdoutStarts = 20;   // held-out start times the recommendation is run at again
  std::uint32_t seed = 1;
  double windowS = 7 * 86400.0;  // an inference's longest wait (as a campaign's window_s)
  // Continuous operation: a request every this many seconds, day and night.
  // The front then weighs inferences per day, predicted from each
  // configuration's measured energy per inference and the harvest a day
  // pays; the validation runs the recommendation continuously for a day.
  std::optional<double> continuousPeriodS;
};

// Checks a request (finite numbers in range, a non-empty grid, a trace
// that delivers energy) before anything runs; the error says which value.
[[nodiscard]] inst::Status checkAdviceRequest(const AdviceRequest& request, const std::filesystem::path& modelZoo);

// "22u..10m" (units p, n, u, m, or none: farads) into microfarads.
[[nodiscard]] inst::Status parseCapRange(const std::string& text, AdviceRequest& request);

// The log grid of capacitors (uF, three significant digits), both ends included.
std::vector<double> capacitorGrid(double minUf, double maxUf, int perDecade);

struct AdvicePoint {
  std::string model, board, policy;
  double capacitorUf = 0;
  double accuracy = 0;          // the model's int8 test accuracy
  std::int64_t campaign = 0, run = 0;  // the run that measured it
  int measured = 0, finished = 0;      // inferences run for it, finished
  double ratio = 0;             // its measured latency / L*, median
  double plainCycles = 0;
  double p95LatencyS = 0, medianLatencyS = 0;  // predicted over the sweep's start times
  double meetRate = 0;          // predicted share of the sweep's start times that meet the deadline
  double metSlackS = 0;         // at those that meet it: the median of deadline - latency
  double energyUj = 0;          // the device's energy per inference, median (measured)
  double inferencesPerDay = 0;  // continuous operation: predicted
  bool onFront = false;
  std::string failure;          // why it has no latency (nothing finished)
};

// Without a deadline, its predicted p95 latency stands for one (95 % of
// start times within it).
struct AdviceValidation {
  std::int64_t campaign = 0, run = 0;
  int starts = 0, finished = 0, met = 0;
  double measuredRate = 0;   // met / starts
  double predictedRate = 0;  // the front's rate for it (over the sweep's start times)
  double measuredP95S = 0, predictedP95S = 0;
  double measuredPerDay = 0, predictedPerDay = 0;  // continuous operation
  bool holds = false;        // the rates within 10 points (continuous: inferences per day within 10 %)
};

struct AdviceResult {
  std::int64_t advice = 0;
  std::string trace;
  std::optional<double> deadlineS;
  std::optional<double> continuousPeriodS;
  double minAccuracy = 0;
  std::vector<AdvicePoint> points;       // front first, then by p95 latency
  std::optional<std::size_t> recommended;  // index into points
  bool meets = false;                    // the recommendation meets the deadline at some start time
  double marginS = 0;                    // where it meets: the deadline minus its median latency there
  double leadRate = 0;                   // its met rate minus the next best configuration's
  std::string verdict;                   // one line for people
  std::optional<AdviceValidation> validation;
  int configurations = 0, measuredNow = 0, reused = 0;
  double wallS = 0;  // in all
  double sweepS = 0;  // the sweep (its rounds), without the validation
  double configurationsPerMinute = 0;  // of the sweep
};

struct AdviceProgress {
  std::string stage;  // "sweep 0", "refine 1", "validation"
  int runsEnded = 0, runsTotal = 0;
};

struct AdviceOptions {
  std::filesystem::path database, modelZoo, subset;
  int jobs = 2;  // virtual benches at once
  std::function<void(const AdviceProgress&)> onProgress;
};

// Sweeps, recommends and validates; Cancelled on Ctrl-C (asking again goes on).
[[nodiscard]] inst::Result<AdviceResult> advise(const AdviceRequest& request, const AdviceOptions& options);

// The recorded answers, newest last: id, name, state, and the result.
struct AdviceSummary {
  std::int64_t id = 0;
  std::string name, state, createdAt;
  std::optional<AdviceResult> result;
};
[[nodiscard]] inst::Result<std::vector<AdviceSummary>> recordedAdvice(const std::filesystem::path& database);

nlohmann::json adviceJson(const AdviceResult& result);
std::optional<AdviceResult> adviceOf(const nlohmann::json& json);
void writeAdviceText(const AdviceResult& result, std::ostream& out);
void writeAdviceHtml(const AdviceResult& result, std::ostream& out);
// The front plotted: p95 latency (log) against capacitor (log), a colour
// per policy, a marker per model, the deadline a line, the front joined.
std::string adviceFrontSvg(const AdviceResult& result);
// Where each drawn point lies in that SVG (kFrontPlotWidth x kFrontPlotHeight):
// the GUI turns a click into the run behind the point.
inline constexpr double kFrontPlotWidth = 720, kFrontPlotHeight = 420;
struct AdvicePlacement {
  std::size_t point = 0;  // index into result.points
  double x = 0, y = 0;
};
std::vector<AdvicePlacement> adviceFrontPlacement(const AdviceResult& result);

}  // namespace aidi::core
