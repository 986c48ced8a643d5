// The questions reports and the GUI ask of a run database. Each runs on a
// reader connection and uses the indexes of 0001_initial.sql, so a
// 10-million-row database answers in well under a second.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aidi/db/database.hpp"

namespace aidi::db {

// Order statistics of a set of values (nearest-rank percentiles).
struct Stats {
  std::size_t count = 0;
  double mean = 0, median = 0, p95 = 0, min = 0, max = 0;
};
Stats statsOf(std::vector<double> values);

struct RunSummary {
  std::int64_t runId;
  int planIndex;
  std::string model, policy, condition;
  std::string board;  // the board profile's name
  std::optional<double> capacitorUf;
  int repetition;
  std::string state;
  std::string failure;
  int inferences = 0;  // recorded, finished or not
  int finished = 0;
  int correct = 0;     // finished with predicted == label
  Stats latencyS, energyUj, powerCycles;
  Stats latencyRatio;  // latency / energy-bound limit, per finished inference
  double harvestW = 0;  // mean harvested power over the finished inferences
  std::uint64_t plainCycles = 0;  // summed over finished inferences (useful work)
  // Overhead split, summed over finished inferences.
  std::uint64_t activeCycles = 0, reexecutedCycles = 0, checkpointCycles = 0, bootCycles = 0;
};

// One summary per run of the campaign, in plan order. Only the current
// attempt's rows count.
[[nodiscard]] Result<std::vector<RunSummary>> runSummaries(Database& db, std::int64_t campaignId);

struct AccuracyCell {
  std::string model, policy, condition;
  int samples = 0;   // finished inferences with a label
  int correct = 0;
  int unfinished = 0;
  double accuracy() const { return samples ? static_cast<double>(correct) / samples : 0.0; }
};

// Accuracy per model x policy x condition over the campaign's done runs.
[[nodiscard]] Result<std::vector<AccuracyCell>> accuracyMatrix(Database& db, std::int64_t campaignId);

// Every inference of a campaign's current attempts, with its run's matrix
// cell: what reports aggregate (over repetitions, per model x policy x
// condition).
struct InferenceRecord {
  std::int64_t runId;
  int planIndex;
  std::string model, policy, condition;
  std::string board;
  std::optional<double> capacitorUf;
  int repetition;
  std::string runState;
  std::string runFailure;
  std::uint32_t inference, sample;
  std::optional<int> label, predicted;
  bool finished;
  std::optional<double> latencyS, energyBoundS, harvestW, energyUj;
  std::uint64_t activeCycles = 0, powerCycles = 0, reexecutedCycles = 0, checkpointCycles = 0, bootCycles = 0,
                plainCycles = 0, nvmBytes = 0;
  // Counted on the virtual board only (0 where not).
  std::uint64_t activeM4Cycles = 0, plainM4Cycles = 0, telemetryInstructions = 0;
  std::string firmwareBuild;  // empty: not known
  std::string jobPlan;        // rows per job per layer, comma separated; empty: planned on the device
};
[[nodiscard]] Result<std::vector<InferenceRecord>> campaignInferences(Database& db, std::int64_t campaignId);

// The energy parts of a campaign's inferences (migration 0010), of each
// run's current attempt, in run and inference order.
struct EnergyRecord {
  std::int64_t runId = 0;
  std::uint32_t inference = 0;
  std::int32_t layer = -1;
  std::string activity;
  bool reexecuted = false;
  double joules = 0, seconds = 0;
};
[[nodiscard]] Result<std::vector<EnergyRecord>> campaignEnergy(Database& db, std::int64_t campaignId);

// A run's current attempt (the one whose rows count); Invalid when there is no such run.
[[nodiscard]] Result<int> currentAttempt(Database& db, std::int64_t runId);

// The campaign a run belongs to; Invalid when there is no such run.
[[nodiscard]] Result<std::int64_t> campaignOfRun(Database& db, std::int64_t runId);

// One inference's power cycles and checkpoints, in time order: a run's timeline.
struct TimelineCycle {
  std::uint32_t bootId;
  double startS, onS, offS;
  std::optional<double> vStart, vEnd;
  double sleepS = 0;
  std::optional<std::int64_t> deviceCycles;
  double shutdownS = 0;  // shut down by its own choice at the cycle's end
};
struct TimelineCheckpoint {
  std::uint32_t bootId, layer, job, cyclesSinceBoot;
  std::optional<std::uint32_t> nvmBytes;
};
struct TimelineSleep {
  double startS = 0, seconds = 0;
};
struct Timeline {
  std::int64_t runId = 0;
  std::uint32_t inference = 0;
  std::vector<TimelineSleep> sleeps;  // in time order (migration 0012)
  // The inference's request (trace time) and, when it finished, its latency.
  std::optional<double> requestS, latencyS;
  bool finished = false;
  std::string board;  // the run's board profile (its clock dates the checkpoints)
  std::vector<TimelineCycle> cycles;
  std::vector<TimelineCheckpoint> checkpoints;
};
[[nodiscard]] Result<Timeline> runTimeline(Database& db, std::int64_t runId, std::uint32_t inference);

}  // namespace aidi::db
