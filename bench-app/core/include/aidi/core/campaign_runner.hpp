// Runs a campaign unattended: every planned run (model x policy x condition x
// repetition) over its samples on the virtual bench, telemetry streamed into
// the run database through the one BatchWriter. A run that fails (did not
// finish, device error, QEMU crash) is recorded as failed with its reason and
// the campaign goes on; only a broken database or a stop request ends it.
//
// The database is the campaign's memory: `resume` needs nothing but the
// database file (the campaign's TOML is stored in it), and a run cut short by
// a killed process is re-run from scratch, so each run ends recorded once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "aidi/core/campaign_file.hpp"
#include "aidi/core/waveforms.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/inst/harvester.hpp"
#include "aidi/inst/result.hpp"

namespace aidi::core {

struct CampaignEvent {
  enum class Kind { RunStarted, PowerCycle, Checkpoint, SampleDone, RunEnded };
  Kind kind = Kind::RunStarted;
  std::int64_t campaignId = 0;
  int runsEnded = 0;   // runs done or failed so far (this one included once ended)
  int runsTotal = 0;
  db::ClaimedRun run{};
  int sample = 0;      // of the current run, 0-based
  int samples = 0;
  std::uint64_t powerCycles = 0;  // of the current inference
  bool ok = true;                 // RunEnded / SampleDone: finished?
  std::string failure;
  double elapsedS = 0;  // since this process started the campaign
  double etaS = -1;     // < 0: unknown yet
  inst::PowerCycleRecord cycle;       // PowerCycle: the cycle that just ended
  int layer = -1, layers = 0;         // Checkpoint: the layer committed, of the model's
  double sinceBootS = 0;              // Checkpoint: since its power cycle began (device cycles / clock)
  int predicted = -1, label = -1;     // SampleDone: the device's answer and the truth
  double latencyS = 0;                // SampleDone
  std::uint64_t framesDropped = 0;    // telemetry frames lost so far in this process
};

struct RunnerOptions {
  std::filesystem::path database;
  std::filesystem::path modelZoo;
  std::filesystem::path subset;  // fixtures/fashion-mnist/test-1000.bin
  // Called on the runner's thread; the stop request is inst::requestInterrupt()
  // (Ctrl-C, or a GUI's stop button), polled between power cycles.
  std::function<void(const CampaignEvent&)> onEvent;
  // Handed each stretch of waveform as it is recorded (campaigns with
  // `waveforms = true`), on the thread that records it.
  WaveformListener onWaveform;
  // A real bench runs in real time (1); tests against the simulated supply
  // stretch a tiny capacitor's cycles instead.
  double realBenchTimeScale = 1.0;
  // Only this run of the campaign (a lab worker runs the one it claimed).
  std::optional<int> onlyPlanIndex;
  // Several runners of one process on one campaign (aidi advise's jobs):
  // each its own tag, so none takes a run another is executing.
  std::string ownerTag;
};

// The campaign's runs in the order they execute (plan index 0..n-1): model,
// board, policy, condition, repetition.
std::vector<db::PlannedRun> plannedRuns(const CampaignFile& campaign);

// Records the campaign (its TOML included) and its planned runs.
[[nodiscard]] inst::Result<std::int64_t> planCampaign(const CampaignFile& campaign,
                                                      const std::filesystem::path& database);

// The campaign as recorded: parsed again from the stored TOML.
[[nodiscard]] inst::Result<CampaignFile> recordedCampaign(const std::filesystem::path& database,
                                                          std::int64_t campaignId,
                                                          const std::filesystem::path& modelZoo);

// Runs what remains of campaign `campaignId`. Cancelled when stopped (the run
// in progress is left to be re-run by the next resume).
[[nodiscard]] inst::Result<db::CampaignProgress> runCampaign(std::int64_t campaignId, const RunnerOptions& options);

}  // namespace aidi::core
