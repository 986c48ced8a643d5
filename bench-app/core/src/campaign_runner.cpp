#include "aidi/core/campaign_runner.hpp"

#include <chrono>
#include <map>
#include <utility>

#include "aidi/core/model_zoo.hpp"
#include "aidi/core/real_bench.hpp"
#include "aidi/core/simulation.hpp"
#include "aidi/db/batch_writer.hpp"
#include "aidi/db/database.hpp"
#include "aidi/inst/interrupt.hpp"
#include "physical_assumptions.hpp"

namespace aidi::core {
namespace {

using Clock = std::chrono::steady_clock;

std::unexpected<inst::Error> fromDb(const db::Error& e) { return inst::fail(inst::ErrorCode::Io, e.message); }

const HarvestCondition* findCondition(const CampaignFile& campaign, const std::string& name) {
  for (const auto& c : campaign.conditions)
    if (c.name == name) return &c;
  return nullptr;
}

// The rows one inference leaves in the database.
std::vector<db::Row> rowsOf(const db::ClaimedRun& run, int sample, const SimulationResult& r,
                            const inst::HarvestTrace& trace) {
  std::vector<db::Row> rows;
  rows.reserve(r.cycles.size() + r.checkpointEvents.size() + 1);
  const auto inference = static_cast<std::uint32_t>(sample);
  for (std::size_t i = 0; i < r.cycles.size(); ++i) {
    const auto& c = r.cycles[i];
    rows.emplace_back(db::PowerCycleRow{run.runId, run.attempt, static_cast<std::uint32_t>(i + 1), c.startS, c.onS,
                                        c.offS, static_cast<std::int64_t>(c.instructions), c.vOn, c.vOff, inference,
                                        c.sleepS});
  }
  std::uint32_t seq = 0;
  for (const auto& c : r.checkpointEvents) {
    rows.emplace_back(db::CheckpointRow{run.runId, run.attempt, c.boot, seq++, inference, c.layer, c.job,
                                        c.cyclesSinceBoot, std::nullopt, c.nvmBytes, std::nullopt});
  }
  db::InferenceRow row{};
  row.runId = run.runId;
  row.attempt = run.attempt;
  row.inference = inference;
  row.sample = inference;
  if (r.label >= 0) row.label = r.label;
  row.finished = r.finished;
  if (r.finished) {
    row.predicted = r.predicted;
    row.latencyS = r.latencyS;
    row.logitsCrc = r.logitsCrc;
    if (r.latencyS > 0) row.harvestW = trace.energy(0, r.latencyS) / r.latencyS;
  }
  row.energyUj = static_cast<double>(r.deviceInstructions) / fw::physical::kClockHz * fw::physical::kActivePowerW * 1e6;
  row.activeCycles = r.deviceInstructions;
  row.powerCycles = r.cycles.size();
  row.reexecutedCycles = r.overhead.reexecuted;
  row.checkpointCycles = r.overhead.checkpoint;
  row.bootCycles = r.overhead.boot;
  row.nvmBytes = r.nvmBytesWritten;
  row.energyBoundS = r.energyBoundS;
  row.plainCycles = r.plainInstructions;
  rows.emplace_back(std::move(row));
  return rows;
}

db::EventRow event(const db::ClaimedRun& run, std::int64_t campaignId, std::string level, std::string kind,
                   std::string message) {
  return {campaignId, run.runId, std::move(level), std::move(kind), std::move(message)};
}

}  // namespace

inst::Result<std::int64_t> planCampaign(const CampaignFile& campaign, const std::filesystem::path& database) {
  auto db = db::Database::open(database);
  if (!db) return fromDb(db.error());
  std::vector<db::PlannedRun> runs;
  for (const auto& model : campaign.models)
    for (const auto& policy : campaign.policies)
      for (const auto& condition : campaign.conditions)
        for (int rep = 0; rep < campaign.repetitions; ++rep)
          runs.push_back({model, policy, condition.name, condition.storage.capacitanceF * 1e6, rep, campaign.samples});
  db::CampaignStore store(*db);
  auto id = store.createCampaign(campaign.name, std::filesystem::absolute(campaign.path).string(), campaign.text, runs);
  if (!id) return fromDb(id.error());
  return *id;
}

inst::Result<CampaignFile> recordedCampaign(const std::filesystem::path& database, std::int64_t campaignId,
                                            const std::filesystem::path& modelZoo) {
  auto db = db::Database::open(database);
  if (!db) return fromDb(db.error());
  auto recorded = db::CampaignStore(*db).recorded(campaignId);
  if (!recorded) return fromDb(recorded.error());
  if (recorded->configToml.empty())
    return inst::fail(inst::ErrorCode::Protocol, "campaign " + std::to_string(campaignId) + " has no stored campaign file");
  return parseCampaign(recorded->configToml, recorded->sourcePath, modelZoo);
}

inst::Result<db::CampaignProgress> runCampaign(std::int64_t campaignId, const RunnerOptions& options) {
  auto campaign = recordedCampaign(options.database, campaignId, options.modelZoo);
  if (!campaign) return std::unexpected(campaign.error());
  auto db = db::Database::open(options.database);
  if (!db) return fromDb(db.error());
  db::CampaignStore store(*db);
  auto writer = db::BatchWriter::start(options.database);
  if (!writer) return fromDb(writer.error());

  const auto stopped = [] { return inst::interruptRequested(); };
  const auto emit = [&](const CampaignEvent& e) {
    if (options.onEvent) options.onEvent(e);
  };
  const auto started = Clock::now();
  int endedHere = 0;
  std::map<std::pair<std::string, int>, std::uint64_t> plainInstructions;  // (model, sample)

  for (;;) {
    if (stopped()) return inst::fail(inst::ErrorCode::Cancelled, "stopped; `aidi resume` continues the campaign");
    auto claimed = store.claimNextRun(campaignId);
    if (!claimed) return fromDb(claimed.error());
    if (!*claimed) break;
    const db::ClaimedRun run = **claimed;
    auto progress = store.progress(campaignId);
    if (!progress) return fromDb(progress.error());

    CampaignEvent e;
    e.campaignId = campaignId;
    e.runsTotal = progress->total();
    e.runsEnded = progress->done + progress->failed;
    e.run = run;
    e.samples = run.plan.samples;
    const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
    e.elapsedS = elapsed();
    if (endedHere > 0) e.etaS = e.elapsedS / endedHere * (e.runsTotal - e.runsEnded);
    e.kind = CampaignEvent::Kind::RunStarted;
    emit(e);

    const HarvestCondition* condition = findCondition(*campaign, run.plan.condition);
    std::string failure;
    bool cancelled = false;
    if (!condition) failure = "condition \"" + run.plan.condition + "\" is not in the stored campaign file";
    inst::HarvestTrace trace = inst::HarvestTrace::constant(condition ? condition->constantWatts : 0.0);
    if (condition && !condition->trace.empty()) {
      auto loaded = inst::HarvestTrace::load(condition->trace);
      if (loaded) trace = std::move(*loaded);
      else failure = loaded.error().message;
    }

    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(campaign->timeLimitS));
    const auto onPowerCycle = [&](const inst::PowerCycleRecord& cycle) {
      e.kind = CampaignEvent::Kind::PowerCycle;
      e.powerCycles = cycle.index + 1;
      e.cycle = cycle;
      e.elapsedS = elapsed();
      emit(e);
      if (stopped()) cancelled = true;
    };
    int layerCount = 0;
    if (auto summary = loadModelSummary(options.modelZoo / run.plan.model))
      layerCount = static_cast<int>(summary->manifest.value("layers", nlohmann::json::array()).size());
    const auto onCheckpoint = [&](const CheckpointEvent& c) {
      e.kind = CampaignEvent::Kind::Checkpoint;
      e.layer = c.layer;
      e.layers = layerCount;
      emit(e);
    };
    // One inference's rows, its telemetry warnings, its progress event.
    const auto record = [&](int sample, const SimulationResult& result) -> inst::Status {
      for (auto& row : rowsOf(run, sample, result, trace)) {
        if (auto ok = writer.value()->push(std::move(row)); !ok) return fromDb(ok.error());
      }
      e.framesDropped += result.decoder.droppedFrames() + result.decoder.framesMissed;
      if (result.decoder.droppedFrames() || result.decoder.framesMissed) {
        const std::string text = "telemetry: " + std::to_string(result.decoder.droppedFrames()) + " frames dropped, " +
                                 std::to_string(result.decoder.framesMissed) + " missed (sample " +
                                 std::to_string(sample) + ")";
        if (auto ok = writer.value()->push(event(run, campaignId, "warning", "decoder", text)); !ok)
          return fromDb(ok.error());
      }
      e.sample = sample;
      e.kind = CampaignEvent::Kind::SampleDone;
      e.ok = result.finished;
      e.predicted = result.predicted;
      e.label = result.label;
      e.latencyS = result.latencyS;
      e.failure = result.failure;
      e.elapsedS = elapsed();
      emit(e);
      if (!result.finished && failure.empty()) failure = "sample " + std::to_string(sample) + ": " + result.failure;
      return {};
    };
    const auto runError = [&](const inst::Error& error) -> inst::Status {
      if (error.code == inst::ErrorCode::Cancelled || stopped()) {
        cancelled = true;
        return {};
      }
      failure = error.message;
      if (auto ok = writer.value()->push(event(run, campaignId, "error", "run-error", failure)); !ok)
        return fromDb(ok.error());
      return {};
    };

    // Instructions of the plain inference of a sample on the virtual board:
    // the energy-bound limit of both benches rests on it; measured once per
    // model and sample in this process.
    const auto plainFor = [&](int sample) -> inst::Result<std::uint64_t> {
      const auto key = std::make_pair(run.plan.model, sample);
      if (const auto it = plainInstructions.find(key); it != plainInstructions.end()) return it->second;
      SimulationRequest plain;
      plain.modelDirectory = options.modelZoo / run.plan.model;
      plain.subset = options.subset;
      plain.sample = static_cast<std::size_t>(sample);
      plain.storage = condition->storage;
      auto n = measurePlainInstructions(plain);
      if (n) plainInstructions[key] = *n;
      return n;
    };

    if (failure.empty() && !campaign->benchFile.empty()) {
      // A real bench: the board runs the samples in order after the probe's reset.
      auto bench = loadBenchFile(campaign->benchFile);
      if (!bench) {
        failure = bench.error().message;
      } else {
        RealRunRequest request;
        request.bench = *bench;
        request.model = run.plan.model;
        request.policy = run.plan.policy;
        request.samples = run.plan.samples;
        request.trace = trace;
        request.storage = condition->storage;
        request.subset = options.subset;
        request.deadline = deadline;
        request.onPowerCycle = onPowerCycle;
        request.timeScale = options.realBenchTimeScale;
        auto results = runOnRealBench(request);
        if (!results) {
          if (auto ok = runError(results.error()); !ok) return std::unexpected(ok.error());
        } else {
          for (std::size_t i = 0; i < results->size(); ++i) {
            SimulationResult& result = (*results)[i];
            if (result.finished) {
              if (auto n = plainFor(static_cast<int>(i))) {
                result.plainInstructions = *n;
                result.energyBoundS = inst::energyBoundLatency(condition->storage, trace, static_cast<double>(*n),
                                                               fw::physical::kClockHz, fw::physical::kActivePowerW);
                result.overhead = splitOverhead(result);
              }
            }
            if (auto ok = record(static_cast<int>(i), result); !ok) return std::unexpected(ok.error());
          }
        }
      }
    }
    for (int sample = 0; failure.empty() && !cancelled && campaign->benchFile.empty() && sample < run.plan.samples;
         ++sample) {
      SimulationRequest request;
      request.modelDirectory = options.modelZoo / run.plan.model;
      request.subset = options.subset;
      request.sample = static_cast<std::size_t>(sample);
      request.policy = run.plan.policy;
      request.trace = trace;
      request.storage = condition->storage;
      request.deadline = deadline;
      auto plain = plainFor(sample);
      if (!plain) {
        if (auto ok = runError(plain.error()); !ok) return std::unexpected(ok.error());
        break;
      }
      request.plainInstructions = *plain;
      e.sample = sample;
      e.powerCycles = 0;
      request.onPowerCycle = onPowerCycle;
      request.onCheckpoint = onCheckpoint;
      auto result = simulate(request);
      if (cancelled || stopped()) {
        cancelled = true;
        break;
      }
      if (!result) {
        if (auto ok = runError(result.error()); !ok) return std::unexpected(ok.error());
        break;
      }
      if (auto ok = record(sample, *result); !ok) return std::unexpected(ok.error());
    }

    if (cancelled) {
      // The run stays "running": resume claims it again and starts it over.
      if (auto ok = writer.value()->flush(); !ok) return fromDb(ok.error());
      return inst::fail(inst::ErrorCode::Cancelled, "stopped; `aidi resume` continues the campaign");
    }
    if (auto ok = writer.value()->push(db::RunFinished{run.runId, run.attempt, failure.empty(), failure}); !ok)
      return fromDb(ok.error());
    if (auto ok = writer.value()->flush(); !ok) return fromDb(ok.error());
    ++endedHere;
    e.kind = CampaignEvent::Kind::RunEnded;
    e.ok = failure.empty();
    e.failure = failure;
    e.runsEnded += 1;
    e.elapsedS = elapsed();
    e.etaS = e.elapsedS / endedHere * (e.runsTotal - e.runsEnded);
    emit(e);
  }
  if (auto ok = writer.value()->close(); !ok) return fromDb(ok.error());
  if (auto ok = store.updateCampaignState(campaignId); !ok) return fromDb(ok.error());
  auto progress = store.progress(campaignId);
  if (!progress) return fromDb(progress.error());
  return *progress;
}

}  // namespace aidi::core
