// What the bench records during a run, as the batched writer takes it. Every
// telemetry row carries (runId, attempt): rows of an attempt that a crash cut
// short are replaced when the run is claimed again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace aidi::db {

struct PowerCycleRow {
  std::int64_t runId;
  int attempt;
  std::uint32_t bootId;
  double startS;  // time of power-on since the inference began, simulated or instrument time
  double onS;
  double offS;
  std::optional<std::int64_t> deviceCycles;
  std::optional<double> vStart, vEnd;
  std::uint32_t inference = 0;
  double sleepS = 0;  // asleep, powered, waiting for energy
  double shutdownS = 0;  // shut down by its own choice, waiting for V_on (ends the cycle)
};

struct CheckpointRow {
  std::int64_t runId;
  int attempt;
  std::uint32_t bootId;
  std::uint32_t seq;
  std::uint32_t inference;
  std::uint32_t layer;
  std::uint32_t job;
  std::uint32_t cyclesSinceBoot;
  std::optional<std::uint32_t> jobCycles;
  std::optional<std::uint32_t> nvmBytes;
  std::optional<std::int64_t> hostTimeNs;
};

struct InferenceRow {
  std::int64_t runId;
  int attempt;
  std::uint32_t inference;
  std::uint32_t sample;
  std::optional<int> label;
  std::optional<int> predicted;  // none when the inference did not finish
  bool finished = true;
  std::optional<double> latencyS;
  std::optional<double> energyUj;
  std::optional<std::uint64_t> activeCycles, powerCycles, reexecutedCycles, checkpointCycles, bootCycles, nvmBytes;
  std::optional<std::uint32_t> logitsCrc;
  std::optional<double> energyBoundS;       // the limit for this sample's plain instruction count
  std::optional<std::uint64_t> plainCycles;  // instructions of the plain inference
  std::optional<double> harvestW;           // mean harvested power while it ran
  // The virtual board's cycle-approximate Cortex-M4 cycles (all it ran on
  // its budgets; the plain inference) and its telemetry's instructions.
  std::optional<std::uint64_t> activeM4Cycles, plainM4Cycles, telemetryInstructions;
  // Requested at this time of the trace, the capacitor at this voltage.
  std::optional<double> startS, vStart;
  std::optional<std::string> firmwareBuild;  // the build hash of the board's Hello
  std::optional<std::string> jobPlan;        // rows per job per layer, when the bench chose them (inas)
};

struct EventRow {
  std::optional<std::int64_t> campaignId;
  std::optional<std::int64_t> runId;
  std::string level;  // debug, info, warning, error
  std::string kind;
  std::string message;
};

// Ends a run's attempt. Sent through the writer so it commits after (or with)
// the attempt's last telemetry rows; ignored when the attempt is stale.
struct RunFinished {
  std::int64_t runId;
  int attempt;
  bool ok;
  std::string failure;  // empty when ok
};

// One sleep of the device within a power cycle (migration 0012).
struct SleepRow {
  std::int64_t runId;
  int attempt;
  std::uint32_t inference, bootId;
  double startS = 0, seconds = 0;
};

// One part of an inference's energy (migration 0010): a layer's activity.
struct EnergyRow {
  std::int64_t runId;
  int attempt;
  std::uint32_t inference;
  std::int32_t layer;    // -1: boot and restore, sleeps
  std::string activity;  // compute, nvm_read, nvm_write, nvm_wake, adc, asleep, shut_down
  bool reexecuted = false;
  double joules = 0, seconds = 0;
};

using Row = std::variant<PowerCycleRow, CheckpointRow, InferenceRow, EventRow, RunFinished, EnergyRow, SleepRow>;

}  // namespace aidi::db
