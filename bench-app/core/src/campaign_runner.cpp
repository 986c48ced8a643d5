#include "aidi/core/campaign_runner.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <utility>

#include <fmt/format.h>

#include "aidi/core/model_zoo.hpp"
#include "aidi/core/waveforms.hpp"
#include "aidi/core/real_bench.hpp"
#include "aidi/core/run_owner.hpp"
#include "aidi/core/simulation.hpp"
#include "aidi/db/batch_writer.hpp"
#include "aidi/db/database.hpp"
#include "aidi/inst/interrupt.hpp"
#include "recorded_boards.hpp"

namespace aidi::core {
namespace {

using Clock = std::chrono::steady_clock;


// What one claimed run needs, resolved from the recorded campaign.
struct RunSetup {
  const CampaignFile& campaign;
  const db::ClaimedRun& run;
  const HarvestCondition& condition;
  const BoardProfile& board;
  inst::HarvestTrace trace;
  inst::StorageParams storage;
  Clock::time_point deadline;
};

inst::Result<RunSetup> resolveRun(const CampaignFile& campaign, const db::ClaimedRun& run) {
  const HarvestCondition* condition = campaign.findCondition(run.plan.condition);
  if (!condition)
    return inst::fail(inst::ErrorCode::NotFound,
                      "condition \"" + run.plan.condition + "\" is not in the stored campaign file");
  const BoardProfile* board = campaign.findBoard(run.plan.board);
  if (!board)
    return inst::fail(inst::ErrorCode::NotFound, "board \"" + run.plan.board + "\" is not in the stored campaign");
  inst::HarvestTrace trace = inst::HarvestTrace::constant(condition->constantWatts);
  if (!condition->trace.empty()) {
    auto loaded = inst::HarvestTrace::load(condition->trace);
    if (!loaded) return std::unexpected(loaded.error());
    trace = std::move(*loaded);
  }
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(campaign.timeLimitS));
  return RunSetup{campaign, run, *condition, *board, std::move(trace), condition->storage(*board), deadline};
}

// One inference of a run: which image, requested when and how. A run holds
// the campaign's images at each of its condition's start times, in that
// order (inference = start index x images + image).
struct InferencePlan {
  int index = 0, image = 0;
  RunWindow window;
};
InferencePlan inferencePlan(const RunSetup& s, int index) {
  const int images = std::max(1, s.campaign.samples);
  InferencePlan p{index, index % images, s.condition.window};
  const auto starts = s.condition.startTimes(s.trace);
  p.window.startS = starts[static_cast<std::size_t>(index / images) % starts.size()];
  return p;
}

// The power cycles of a run's inference (0: of a continuous window) as rows.
void addPowerCycleRows(std::vector<db::Row>& rows, const db::ClaimedRun& run, std::uint32_t inference,
                       const std::vector<inst::PowerCycleRecord>& cycles) {
  for (std::size_t i = 0; i < cycles.size(); ++i) {
    const auto& c = cycles[i];
    rows.emplace_back(db::PowerCycleRow{run.runId, run.attempt, static_cast<std::uint32_t>(i + 1), c.startS, c.onS,
                                        c.offS, static_cast<std::int64_t>(c.instructions), c.vOn, c.vOff, inference,
                                        c.sleepS, c.shutdownS});
    for (const auto& sleep : c.sleepSpans)
      rows.emplace_back(db::SleepRow{run.runId, run.attempt, inference, static_cast<std::uint32_t>(i + 1),
                                     sleep.startS, sleep.seconds});
  }
}

// Where the energy of an inference (0: of a continuous window) went, as
// rows: the board's activity by layer, mode and loss, summed over its power
// cycles, and its sleeps. None where nothing marked the board's activity.
void addEnergyRows(std::vector<db::Row>& rows, const db::ClaimedRun& run, std::uint32_t inference,
                   const std::vector<inst::PowerCycleRecord>& cycles, const BoardProfile& board) {
  std::map<std::tuple<std::int32_t, inst::DeviceMode, bool>, std::pair<double, double>> parts;
  double asleepS = 0, shutDownS = 0;
  for (const auto& c : cycles) {
    for (const auto& a : c.activity) {
      auto& [joules, seconds] = parts[{a.layer, a.mode, a.reexecuted}];
      joules += a.joules;
      seconds += a.seconds;
    }
    asleepS += c.sleepS;
    shutDownS += c.shutdownS;
  }
  if (parts.empty()) return;
  for (const auto& [key, sum] : parts) {
    const auto& [layer, mode, reexecuted] = key;
    rows.emplace_back(db::EnergyRow{run.runId, run.attempt, inference, layer, inst::deviceModeName(mode), reexecuted,
                                    sum.first, sum.second});
  }
  if (asleepS > 0)
    rows.emplace_back(db::EnergyRow{run.runId, run.attempt, inference, -1, "asleep", false,
                                    asleepS * board.sleepingPowerW(), asleepS});
  if (shutDownS > 0)
    rows.emplace_back(db::EnergyRow{run.runId, run.attempt, inference, -1, "shut_down", false,
                                    shutDownS * board.shutdownPowerW, shutDownS});
}

// The rows one inference leaves in the database.
std::vector<db::Row> rowsOf(const RunSetup& s, const InferencePlan& plan, const SimulationResult& r) {
  const db::ClaimedRun& run = s.run;
  std::vector<db::Row> rows;
  rows.reserve(r.cycles.size() + r.checkpointEvents.size() + 1);
  const auto inference = static_cast<std::uint32_t>(plan.index);
  addPowerCycleRows(rows, run, inference, r.cycles);
  addEnergyRows(rows, run, inference, r.cycles, s.board);
  std::uint32_t seq = 0;
  for (const auto& c : r.checkpointEvents) {
    rows.emplace_back(db::CheckpointRow{run.runId, run.attempt, c.boot, seq++, inference, c.layer, c.job,
                                        c.cyclesSinceBoot, std::nullopt, c.nvmBytes, std::nullopt});
  }
  db::InferenceRow row{};
  row.runId = run.runId;
  row.attempt = run.attempt;
  row.inference = inference;
  row.sample = static_cast<std::uint32_t>(plan.image);
  row.startS = plan.window.startS;
  row.vStart = plan.window.startVolts(s.storage);
  if (r.label >= 0) row.label = r.label;
  row.finished = r.finished;
  if (r.finished) {
    row.predicted = r.predicted;
    row.latencyS = r.latencyS;
    row.logitsCrc = r.logitsCrc;
    if (r.latencyS > 0)
      row.harvestW = s.trace.energy(plan.window.startS, plan.window.startS + r.latencyS) / r.latencyS;
  }
  row.energyUj = deviceEnergyJ(r, s.board) * 1e6;
  row.activeCycles = r.deviceInstructions;
  row.powerCycles = r.cycles.size();
  row.reexecutedCycles = r.overhead.reexecuted;
  row.checkpointCycles = r.overhead.checkpoint;
  row.bootCycles = r.overhead.boot;
  row.nvmBytes = r.nvmBytesWritten;
  row.energyBoundS = r.energyBoundS;
  row.plainCycles = r.plainInstructions;
  const auto counted = [](std::uint64_t n) { return n ? std::optional<std::uint64_t>(n) : std::nullopt; };
  row.activeM4Cycles = counted(r.poweredCycles);
  row.plainM4Cycles = counted(r.plainCycles);
  row.telemetryInstructions = counted(r.telemetryInstructions);
  if (!r.firmwareBuild.empty()) row.firmwareBuild = r.firmwareBuild;
  if (!r.jobPlan.empty()) row.jobPlan = planText(r.jobPlan);
  rows.emplace_back(std::move(row));
  return rows;
}

// One sample of the run on the virtual board, as the plain count and the
// intermittent run both need it.
SimulationRequest sampleRequest(const RunSetup& s, const RunnerOptions& options, int sample) {
  SimulationRequest r;
  r.modelDirectory = options.modelZoo / s.run.plan.model;
  r.subset = options.subset;
  r.sample = static_cast<std::size_t>(sample);
  r.board = s.board;
  r.storage = s.storage;
  return r;
}

// An intermittent run's request on the virtual bench, `image` of the run's
// model under its policy, condition and campaign settings, with the plain
// count measured already.
SimulationRequest intermittentRequest(const RunSetup& s, const RunnerOptions& options, int image,
                                      const PlainCount& plainCount,
                                      const std::function<void(const inst::PowerCycleRecord&)>& onPowerCycle) {
  SimulationRequest r = sampleRequest(s, options, image);
  r.policy = s.run.plan.policy;
  r.trace = s.trace;
  r.window = s.condition.window;
  r.oracleSensing = s.campaign.oracleSensing;
  r.deadline = s.deadline;
  r.plain = plainCount;
  r.onPowerCycle = onPowerCycle;
  return r;
}

// Hands each inference's result to the recorder as the bench produces it.
using SampleSink = std::function<inst::Status(const InferencePlan& plan, SimulationResult& result)>;

// The plain inference's instructions of a (model, sample) on the virtual
// board: the energy-bound limit of both benches rests on it; measured once
// per model, board and sample in this process, whatever campaign asks
// (aidi advise runs many).
class PlainCounts {
 public:
  explicit PlainCounts(const RunnerOptions& options) : m_options(options) {}
  inst::Result<PlainCount> of(const RunSetup& s, int sample) {
    const auto key = std::make_tuple((m_options.modelZoo / s.run.plan.model).string(), s.board.name, s.board.target,
                                     s.board.clockHz, sample);
    static std::mutex mutex;
    static std::map<decltype(key), PlainCount> counts;
    {
      std::lock_guard lock(mutex);
      if (const auto it = counts.find(key); it != counts.end()) return it->second;
    }
    SimulationRequest plain = sampleRequest(s, m_options, sample);
    plain.board = virtualStandIn(s.board);
    auto n = measurePlain(plain);  // two runners may both count it once: the same number
    if (n) {
      std::lock_guard lock(mutex);
      counts[key] = *n;
    }
    return n;
  }

 private:
  // A real board's plain inference is counted on the virtual board, in
  // instructions; its profile's clock then turns them into time.
  static BoardProfile virtualStandIn(const BoardProfile& board) {
    if (board.target == kDefaultBoard) return board;
    BoardProfile standIn = board;
    standIn.target = kDefaultBoard;
    return standIn;
  }
  const RunnerOptions& m_options;
};

// The virtual bench: one simulated inference per sample.
inst::Status virtualSamples(const RunSetup& s, const RunnerOptions& options, PlainCounts& plain,
                            const std::function<void(const inst::PowerCycleRecord&)>& onPowerCycle,
                            const std::function<void(const CheckpointEvent&)>& onCheckpoint, const SampleSink& sink) {
  for (int index = 0; index < s.run.plan.samples; ++index) {
    const InferencePlan inference = inferencePlan(s, index);
    auto n = plain.of(s, inference.image);
    if (!n) return std::unexpected(n.error());
    SimulationRequest request = intermittentRequest(s, options, inference.image, *n, onPowerCycle);
    request.window = inference.window;
    request.onCheckpoint = onCheckpoint;
    auto result = simulate(request);
    if (!result) return std::unexpected(result.error());
    if (inst::interruptRequested()) return inst::fail(inst::ErrorCode::Cancelled, "interrupted");
    if (auto ok = sink(inference, *result); !ok) return ok;
  }
  return {};
}

// Continuous operation on the virtual bench: one window per run. Its rows:
// the power cycles, an inference per request finished (latency from the
// request's arrival to its result, the window's energy shared among them),
// and a summary event with the rates the report and the study read.
inst::Status continuousRun(const RunSetup& s, const RunnerOptions& options, PlainCounts& plain,
                           const std::function<void(const inst::PowerCycleRecord&)>& onPowerCycle,
                           const std::function<inst::Status(db::Row)>& write) {
  auto n = plain.of(s, 0);
  if (!n) return std::unexpected(n.error());
  SimulationRequest request = intermittentRequest(s, options, 0, *n, onPowerCycle);
  request.continuous = s.condition.continuous;
  auto result = simulateContinuous(request);
  if (!result) return std::unexpected(result.error());
  const db::ClaimedRun& run = s.run;
  std::vector<db::Row> cycles;
  addPowerCycleRows(cycles, run, 0, result->cycles);
  addEnergyRows(cycles, run, 0, result->cycles, s.board);
  for (auto& row : cycles)
    if (auto ok = write(std::move(row)); !ok) return ok;
  const double shareUj = result->energyPerInferenceJ() * 1e6;
  for (const auto& done : result->completions) {
    db::InferenceRow row{};
    row.runId = run.runId;
    row.attempt = run.attempt;
    row.inference = done.id;
    row.sample = 0;
    row.finished = true;
    if (result->predicted >= 0) row.predicted = result->predicted;
    row.latencyS = done.doneS - done.arrivalS;
    row.startS = done.arrivalS;
    row.energyUj = shareUj;
    row.plainCycles = n->instructions;
    row.plainM4Cycles = n->cycles;
    if (auto ok = write(std::move(row)); !ok) return ok;
  }
  const auto& plan = *s.condition.continuous;
  const std::string summary = fmt::format(
      "continuous: {} inferences in {:g} s ({:.1f} per day; the harvest pays for {:.1f} per day), {} dropped, {} "
      "missed the deadline, {} results disagreed, {:.4g} uJ per inference, {:g} s dark",
      result->completions.size(), result->durationS, result->perDay(), result->boundPerDay(), result->dropped,
      result->missed(plan.deadlineS), result->disagreeing, shareUj, result->darkS);
  if (auto ok = write(db::EventRow{std::nullopt, run.runId, "info", "continuous", summary}); !ok) return ok;
  for (const auto& warning : result->warnings)
    if (auto ok = write(db::EventRow{std::nullopt, run.runId, "warning", warning.kind, warning.text}); !ok) return ok;
  if (result->disagreeing > 0)
    return inst::fail(inst::ErrorCode::Protocol, std::to_string(result->disagreeing) +
                                                     " results of the same image disagreed with the first");
  return {};
}

// A real bench: the board runs the samples in order after the probe's reset.
inst::Status realSamples(const RunSetup& s, const RunnerOptions& options, PlainCounts& plain,
                         const std::function<void(const inst::PowerCycleRecord&)>& onPowerCycle,
                         const SampleSink& sink, const std::function<inst::Status(db::Row)>& write) {
  auto bench = loadBenchFile(s.campaign.benchFile);
  if (!bench) return std::unexpected(bench.error());
  const auto event = [&](const char* level, const char* kind, std::string text) {
    return write(db::EventRow{std::nullopt, s.run.runId, level, kind, std::move(text)});
  };
  std::optional<inst::EmulationReport> emulation;
  RealRunRequest request;
  request.bench = *bench;
  request.board = s.board;
  request.model = s.run.plan.model;
  request.policy = s.run.plan.policy;
  request.samples = s.run.plan.samples;
  request.trace = s.trace;
  request.storage = s.storage;
  request.window = s.condition.window;
  request.subset = options.subset;
  request.deadline = s.deadline;
  request.onPowerCycle = onPowerCycle;
  request.timeScale = options.realBenchTimeScale;
  // Waveforms asked for: the supply's readings, as fast as it answers (at most 100 a second).
  if (s.campaign.waveforms) request.measureIntervalS = 0.01;
  // The meter's stream, over the whole run, as it arrives (its own thread
  // and connection); how much it lost is recorded with the run.
  std::optional<MeterWaveform> meterWaveform;
  MeterStream lastStream;
  if (s.campaign.waveforms && bench->meter) {
    meterWaveform.emplace(options.database, s.run.runId, s.run.attempt, options.onWaveform);
    request.onMeterChunk = [&](const MeterStream& stream, const inst::MeterChunk& chunk) {
      lastStream = stream;
      return meterWaveform->write(stream, chunk);
    };
  }
  request.onSample = [&](int sample, SimulationResult& result) -> inst::Status {
    const InferencePlan inference = inferencePlan(s, sample);
    if (result.emulation) emulation = result.emulation;
    if (result.finished) {
      if (auto n = plain.of(s, inference.image)) {
        result.plainInstructions = n->instructions;
        result.plainCycles = n->cycles;
        result.energyBoundS =
            energyBoundOf(s.storage, s.trace, static_cast<double>(n->cycles), s.board, inference.window);
        result.overhead = splitOverhead(result);
      }
    }
    return sink(inference, result);
  };
  auto ran = runOnRealBench(request);  // the meter's thread has ended here
  // The harvest emulation's error, as Ekho and Shepherd report theirs: what
  // the trace asked of the instrument against what it measured delivering.
  if (emulation)
    if (auto ok = event(emulation->error() <= 0.02 ? "info" : "warning", "harvest-emulation",
                        fmt::format("{} emulation: requested {:.6g} J, delivered {:.6g} J, error {:.2f} % over {} steps "
                                    "({} clamped at the current limit, {} at V_max)",
                                    bench->harvest.mode, emulation->requestedJ, emulation->deliveredJ,
                                    100 * emulation->error(), emulation->steps, emulation->clampedSteps,
                                    emulation->fullSteps));
        !ok)
      return ok;
  if (meterWaveform) {
    if (auto ok = meterWaveform->finish(); !ok && ran) ran = std::unexpected(ok.error());
    if (ran && lastStream.lost > 0)
      if (auto ok = event("warning", "meter", fmt::format("meter {}: {} of {} samples lost (gaps in its waveform)",
                                                          lastStream.source, lastStream.lost,
                                                          meterWaveform->samples() + lastStream.lost));
          !ok)
        return ok;
  }
  return ran;
}

}  // namespace

std::vector<db::PlannedRun> plannedRuns(const CampaignFile& campaign) {
  std::vector<db::PlannedRun> runs;
  runs.reserve(campaign.runCount());
  for (const auto& model : campaign.models)
    for (const auto& board : campaign.boards)
      for (const auto& policy : campaign.policies)
        for (const auto& condition : campaign.conditions)
          for (int rep = 0; rep < campaign.repetitions; ++rep)
            runs.push_back({model, policy, condition.name, condition.capacitorUf, rep,
                            condition.continuous ? 1 : campaign.samples * condition.starts, board.name});
  return runs;
}

inst::Result<std::int64_t> planCampaign(const CampaignFile& campaign, const std::filesystem::path& database) {
  auto db = db::Database::open(database);
  if (!db) return std::unexpected(db.error());
  const std::vector<db::PlannedRun> runs = plannedRuns(campaign);
  std::vector<db::RecordedBoard> boards;
  for (const auto& b : campaign.boards) boards.push_back({b.name, b.path.string(), b.text});
  db::CampaignStore store(*db);
  const db::CampaignProvenance provenance{AIDI_VERSION, hostName()};
  auto id = store.createCampaign(campaign.name, std::filesystem::absolute(campaign.path).string(), campaign.text, runs,
                                 boards, provenance);
  if (!id) return std::unexpected(id.error());
  return *id;
}

inst::Result<CampaignFile> recordedCampaign(const std::filesystem::path& database, std::int64_t campaignId,
                                            const std::filesystem::path& modelZoo) {
  auto db = db::Database::open(database);
  if (!db) return std::unexpected(db.error());
  auto recorded = db::CampaignStore(*db).recorded(campaignId);
  if (!recorded) return std::unexpected(recorded.error());
  if (recorded->configToml.empty())
    return inst::fail(inst::ErrorCode::Protocol, "campaign " + std::to_string(campaignId) + " has no stored campaign file");
  auto boards = recordedBoards(*recorded);
  if (!boards) return std::unexpected(boards.error());
  return parseCampaign(recorded->configToml, recorded->sourcePath, modelZoo, defaultBoardDirectory(), *boards);
}

inst::Result<db::CampaignProgress> runCampaign(std::int64_t campaignId, const RunnerOptions& options) {
  auto campaign = recordedCampaign(options.database, campaignId, options.modelZoo);
  if (!campaign) return std::unexpected(campaign.error());
  auto db = db::Database::open(options.database);
  if (!db) return std::unexpected(db.error());
  db::CampaignStore store(*db);
  auto opened = db::BatchWriter::start(options.database);
  if (!opened) return std::unexpected(opened.error());
  db::BatchWriter& writer = **opened;

  const auto emit = [&](const CampaignEvent& e) {
    if (options.onEvent) options.onEvent(e);
  };
  const auto started = Clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  const auto cancelled = [] {
    return inst::fail(inst::ErrorCode::Cancelled, "stopped; `aidi resume` continues the campaign");
  };
  int endedHere = 0;
  PlainCounts plain(options);
  // Another process may be working on this campaign: it keeps its runs.
  db::RunOwnership ownership{thisProcessOwner() + (options.ownerTag.empty() ? "" : " " + options.ownerTag), ownerAlive, 0};

  for (;;) {
    if (inst::interruptRequested()) return cancelled();
    ownership.now = unixSeconds();
    auto claimed = store.claimNextRun(campaignId, &ownership, options.onlyPlanIndex);
    if (!claimed) return std::unexpected(claimed.error());
    if (!*claimed) break;
    const db::ClaimedRun run = **claimed;
    auto progress = store.progress(campaignId);
    if (!progress) return std::unexpected(progress.error());

    CampaignEvent e;
    e.campaignId = campaignId;
    e.runsTotal = progress->total();
    e.runsEnded = progress->done + progress->failed;
    e.run = run;
    e.samples = run.plan.samples;
    e.elapsedS = elapsed();
    if (endedHere > 0) e.etaS = e.elapsedS / endedHere * (e.runsTotal - e.runsEnded);
    e.kind = CampaignEvent::Kind::RunStarted;
    emit(e);

    int layerCount = 0;
    if (auto summary = loadModelSummary(options.modelZoo / run.plan.model))
      layerCount = static_cast<int>(summary->manifest.value("layers", nlohmann::json::array()).size());
    double lastBeat = unixSeconds();
    const auto beat = [&] {
      if (const double now = unixSeconds(); now - lastBeat >= kHeartbeatSeconds) {
        (void)store.heartbeat(run.runId, ownership.owner, now);  // a missed beat only shortens the lease
        lastBeat = now;
      }
    };
    const auto onPowerCycle = [&](const inst::PowerCycleRecord& cycle) {
      beat();
      e.kind = CampaignEvent::Kind::PowerCycle;
      e.powerCycles = cycle.index + 1;
      e.cycle = cycle;
      e.elapsedS = elapsed();
      emit(e);
    };
    const BoardProfile* runBoard = campaign->findBoard(run.plan.board);
    const double clockHz = runBoard ? runBoard->clockHz : 0;
    const auto onCheckpoint = [&](const CheckpointEvent& c) {
      e.kind = CampaignEvent::Kind::Checkpoint;
      e.layer = c.layer;
      e.sinceBootS = clockHz > 0 ? c.cyclesSinceBoot / clockHz : 0;
      e.layers = layerCount;
      emit(e);
    };

    std::string failure;
    std::optional<inst::Error> dbFailure;  // the database broke: the campaign stops
    const auto dbError = [&](const db::Error& error) {
      dbFailure = error;
      return std::unexpected(*dbFailure);
    };
    auto setup = resolveRun(*campaign, run);
    // One inference's rows, its telemetry warnings, its progress event.
    const SampleSink record = [&](const InferencePlan& inference, SimulationResult& result) -> inst::Status {
      const int sample = inference.index;
      for (auto& row : rowsOf(*setup, inference, result))
        if (auto ok = writer.push(std::move(row)); !ok) return dbError(ok.error());
      if (campaign->waveforms && !result.loads.empty())
        if (auto ok = recordModelledWaveform(*db, run.runId, run.attempt, sample, result.loads,
                                             setup->storage.capacitanceF, {}, options.onWaveform);
            !ok)
          return dbError(ok.error());
      if (campaign->waveforms && !result.measured.empty())
        if (auto ok = recordMeasuredWaveform(*db, run.runId, run.attempt, sample, result.measured, options.onWaveform); !ok)
          return dbError(ok.error());
      const auto lost = result.decoder.droppedFrames() + result.decoder.framesMissed;
      e.framesDropped += lost;
      if (lost) {
        const std::string text = "telemetry: " + std::to_string(result.decoder.droppedFrames()) + " frames dropped, " +
                                 std::to_string(result.decoder.framesMissed) + " missed (sample " +
                                 std::to_string(sample) + ")";
        if (auto ok = writer.push(db::EventRow{campaignId, run.runId, "warning", "decoder", text}); !ok)
          return dbError(ok.error());
      }
      for (const auto& warning : result.warnings)
        if (auto ok = writer.push(db::EventRow{campaignId, run.runId, "warning", warning.kind,
                                               "inference " + std::to_string(sample) + ": " + warning.text});
            !ok)
          return dbError(ok.error());
      e.sample = sample;
      e.powerCycles = 0;
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

    const auto writeRow = [&](db::Row row) -> inst::Status {
      if (auto* event = std::get_if<db::EventRow>(&row)) event->campaignId = campaignId;
      if (auto ok = writer.push(std::move(row)); !ok) return dbError(ok.error());
      return {};
    };
    inst::Status ran = setup ? inst::Status{} : inst::Status{std::unexpected(setup.error())};
    if (ran && setup->condition.continuous) {
      ran = continuousRun(*setup, options, plain, onPowerCycle, writeRow);
    } else if (ran) {
      ran = campaign->benchFile.empty() ? virtualSamples(*setup, options, plain, onPowerCycle, onCheckpoint, record)
                                        : realSamples(*setup, options, plain, onPowerCycle, record, writeRow);
    }
    if (!ran && (ran.error().code == inst::ErrorCode::Cancelled || inst::interruptRequested())) {
      // The run stays "running": resume claims it again and starts it over.
      if (auto ok = writer.flush(); !ok) return std::unexpected(ok.error());
      return cancelled();
    }
    if (dbFailure) return std::unexpected(*dbFailure);
    if (!ran) {
      failure = ran.error().message;
      if (auto ok = writer.push(db::EventRow{campaignId, run.runId, "error", "run-error", failure}); !ok)
        return std::unexpected(ok.error());
    }
    if (auto ok = writer.push(db::RunFinished{run.runId, run.attempt, failure.empty(), failure}); !ok)
      return std::unexpected(ok.error());
    if (auto ok = writer.flush(); !ok) return std::unexpected(ok.error());
    ++endedHere;
    e.kind = CampaignEvent::Kind::RunEnded;
    e.ok = failure.empty();
    e.failure = failure;
    e.runsEnded += 1;
    e.elapsedS = elapsed();
    e.etaS = e.elapsedS / endedHere * (e.runsTotal - e.runsEnded);
    emit(e);
  }
  if (auto ok = writer.close(); !ok) return std::unexpected(ok.error());
  if (auto ok = store.updateCampaignState(campaignId); !ok) return std::unexpected(ok.error());
  auto progress = store.progress(campaignId);
  if (!progress) return std::unexpected(progress.error());
  return *progress;
}

}  // namespace aidi::core
