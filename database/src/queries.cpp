#include "aidi/db/queries.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sqlite.hpp"

namespace aidi::db {

Stats statsOf(std::vector<double> values) {
  Stats s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const auto rank = [&](double q) {
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(k, 1, values.size()) - 1];
  };
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  s.median = values.size() % 2 ? values[values.size() / 2]
                               : (values[values.size() / 2 - 1] + values[values.size() / 2]) / 2.0;
  s.p95 = rank(0.95);
  s.min = values.front();
  s.max = values.back();
  return s;
}

Result<std::vector<RunSummary>> runSummaries(Database& db, std::int64_t campaignId) {
  auto runs = sql::Statement::prepare(
      db.handle(), "SELECT id, plan_index, model, policy, condition, capacitor_uf, repetition, state,"
                   " COALESCE(failure, ''), attempt, board FROM runs WHERE campaign_id = ? ORDER BY plan_index");
  if (!runs) return std::unexpected(runs.error());
  auto rows = sql::Statement::prepare(
      db.handle(), "SELECT finished, label, predicted, latency_s, energy_uj, power_cycles, active_cycles,"
                   " reexecuted_cycles, checkpoint_cycles, boot_cycles, energy_bound_s, harvest_w, plain_cycles FROM inferences"
                   " WHERE run_id = ? AND attempt = ?");
  if (!rows) return std::unexpected(rows.error());

  std::vector<RunSummary> out;
  runs->bind(1, campaignId);
  for (;;) {
    auto more = runs->step();
    if (!more) return std::unexpected(more.error());
    if (!*more) break;
    RunSummary s;
    s.runId = runs->integer(0);
    s.planIndex = static_cast<int>(runs->integer(1));
    s.model = runs->text(2);
    s.policy = runs->text(3);
    s.condition = runs->text(4);
    if (!runs->isNull(5)) s.capacitorUf = runs->real(5);
    s.repetition = static_cast<int>(runs->integer(6));
    s.state = runs->text(7);
    s.failure = runs->text(8);
    const std::int64_t attempt = runs->integer(9);
    s.board = runs->text(10);

    std::vector<double> latency, energy, cycles, ratio;
    double harvest = 0;
    int harvestCount = 0;
    rows->bind(1, s.runId).bind(2, attempt);
    for (;;) {
      auto r = rows->step();
      if (!r) return std::unexpected(r.error());
      if (!*r) break;
      ++s.inferences;
      if (rows->integer(0) == 0) continue;
      ++s.finished;
      if (!rows->isNull(1) && !rows->isNull(2) && rows->integer(1) == rows->integer(2)) ++s.correct;
      if (!rows->isNull(3)) latency.push_back(rows->real(3));
      if (!rows->isNull(4)) energy.push_back(rows->real(4));
      if (!rows->isNull(5)) cycles.push_back(static_cast<double>(rows->integer(5)));
      s.activeCycles += static_cast<std::uint64_t>(rows->integer(6));
      s.reexecutedCycles += static_cast<std::uint64_t>(rows->integer(7));
      s.checkpointCycles += static_cast<std::uint64_t>(rows->integer(8));
      s.bootCycles += static_cast<std::uint64_t>(rows->integer(9));
      if (!rows->isNull(3) && !rows->isNull(10) && rows->real(10) > 0) ratio.push_back(rows->real(3) / rows->real(10));
      if (!rows->isNull(11)) {
        harvest += rows->real(11);
        ++harvestCount;
      }
      s.plainCycles += static_cast<std::uint64_t>(rows->integer(12));
    }
    if (harvestCount) s.harvestW = harvest / harvestCount;
    s.latencyRatio = statsOf(std::move(ratio));
    rows->reset();
    s.latencyS = statsOf(std::move(latency));
    s.energyUj = statsOf(std::move(energy));
    s.powerCycles = statsOf(std::move(cycles));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<AccuracyCell>> accuracyMatrix(Database& db, std::int64_t campaignId) {
  auto stmt = sql::Statement::prepare(
      db.handle(),
      "SELECT r.model, r.policy, r.condition,"
      " SUM(i.finished = 1 AND i.label IS NOT NULL),"
      " SUM(i.finished = 1 AND i.label IS NOT NULL AND i.label = i.predicted),"
      " SUM(i.finished = 0)"
      " FROM runs r JOIN inferences i ON i.run_id = r.id AND i.attempt = r.attempt"
      " WHERE r.campaign_id = ? AND r.state = 'done'"
      " GROUP BY r.model, r.policy, r.condition ORDER BY r.model, r.policy, r.condition");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, campaignId);
  std::vector<AccuracyCell> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({stmt->text(0), stmt->text(1), stmt->text(2), static_cast<int>(stmt->integer(3)),
                   static_cast<int>(stmt->integer(4)), static_cast<int>(stmt->integer(5))});
  }
  return out;
}

Result<std::vector<EnergyRecord>> campaignEnergy(Database& db, std::int64_t campaignId) {
  auto stmt = sql::Statement::prepare(
      db.handle(),
      "SELECT e.run_id, e.inference, e.layer, e.activity, e.reexecuted, e.joules, e.seconds"
      " FROM runs r JOIN inference_energy e ON e.run_id = r.id AND e.attempt = r.attempt"
      " WHERE r.campaign_id = ? ORDER BY r.plan_index, e.inference, e.layer");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, campaignId);
  std::vector<EnergyRecord> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({stmt->integer(0), static_cast<std::uint32_t>(stmt->integer(1)),
                   static_cast<std::int32_t>(stmt->integer(2)), stmt->text(3), stmt->integer(4) != 0, stmt->real(5),
                   stmt->real(6)});
  }
  return out;
}

Result<std::vector<InferenceRecord>> campaignInferences(Database& db, std::int64_t campaignId) {
  auto stmt = sql::Statement::prepare(
      db.handle(),
      "SELECT r.id, r.plan_index, r.model, r.policy, r.condition, r.capacitor_uf, r.repetition, r.state,"
      " COALESCE(r.failure, ''), i.inference, i.sample, i.label, i.predicted, i.finished, i.latency_s,"
      " i.energy_bound_s, i.harvest_w, i.energy_uj, COALESCE(i.active_cycles, 0), COALESCE(i.power_cycles, 0),"
      " COALESCE(i.reexecuted_cycles, 0), COALESCE(i.checkpoint_cycles, 0), COALESCE(i.boot_cycles, 0),"
      " COALESCE(i.plain_cycles, 0), COALESCE(i.nvm_bytes, 0), r.board, COALESCE(i.active_m4_cycles, 0),"
      " COALESCE(i.plain_m4_cycles, 0), COALESCE(i.telemetry_instructions, 0), COALESCE(i.firmware_build, ''),"
      " COALESCE(i.job_plan, '') FROM runs r JOIN inferences i ON i.run_id = r.id AND i.attempt = r.attempt"
      " WHERE r.campaign_id = ? ORDER BY r.plan_index, i.inference");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, campaignId);
  std::vector<InferenceRecord> out;
  const auto optReal = [&](int col) { return stmt->isNull(col) ? std::optional<double>{} : stmt->real(col); };
  const auto optInt = [&](int col) {
    return stmt->isNull(col) ? std::optional<int>{} : static_cast<int>(stmt->integer(col));
  };
  const auto u64 = [&](int col) { return static_cast<std::uint64_t>(stmt->integer(col)); };
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    InferenceRecord r;
    r.runId = stmt->integer(0);
    r.planIndex = static_cast<int>(stmt->integer(1));
    r.model = stmt->text(2);
    r.policy = stmt->text(3);
    r.condition = stmt->text(4);
    r.capacitorUf = optReal(5);
    r.repetition = static_cast<int>(stmt->integer(6));
    r.runState = stmt->text(7);
    r.runFailure = stmt->text(8);
    r.inference = static_cast<std::uint32_t>(stmt->integer(9));
    r.sample = static_cast<std::uint32_t>(stmt->integer(10));
    r.label = optInt(11);
    r.predicted = optInt(12);
    r.finished = stmt->integer(13) != 0;
    r.latencyS = optReal(14);
    r.energyBoundS = optReal(15);
    r.harvestW = optReal(16);
    r.energyUj = optReal(17);
    r.activeCycles = u64(18);
    r.powerCycles = u64(19);
    r.reexecutedCycles = u64(20);
    r.checkpointCycles = u64(21);
    r.bootCycles = u64(22);
    r.plainCycles = u64(23);
    r.nvmBytes = u64(24);
    r.board = stmt->text(25);
    r.activeM4Cycles = u64(26);
    r.plainM4Cycles = u64(27);
    r.telemetryInstructions = u64(28);
    r.firmwareBuild = stmt->text(29);
    r.jobPlan = stmt->text(30);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::int64_t> campaignOfRun(Database& db, std::int64_t runId) {
  auto stmt = sql::Statement::prepare(db.handle(), "SELECT campaign_id FROM runs WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, runId);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::Invalid, "no run with id " + std::to_string(runId));
  return stmt->integer(0);
}

Result<int> currentAttempt(Database& db, std::int64_t runId) {
  auto stmt = sql::Statement::prepare(db.handle(), "SELECT attempt FROM runs WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, runId);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::Invalid, "no run " + std::to_string(runId) + " in the database");
  return static_cast<int>(stmt->integer(0));
}

Result<Timeline> runTimeline(Database& db, std::int64_t runId, std::uint32_t inference) {
  Timeline t;
  t.runId = runId;
  t.inference = inference;
  auto board = sql::Statement::prepare(db.handle(), "SELECT board FROM runs WHERE id = ?");
  if (!board) return std::unexpected(board.error());
  board->bind(1, runId);
  auto found = board->step();
  if (!found) return std::unexpected(found.error());
  if (*found) t.board = board->text(0);
  auto cycles = sql::Statement::prepare(
      db.handle(), "SELECT p.boot_id, p.start_s, p.on_s, p.off_s, p.v_start, p.v_end, p.device_cycles, p.sleep_s,"
                   " p.shutdown_s FROM power_cycles p JOIN runs r ON r.id = p.run_id AND r.attempt = p.attempt"
                   " WHERE p.run_id = ? AND p.inference = ? ORDER BY p.start_s");
  if (!cycles) return std::unexpected(cycles.error());
  cycles->bind(1, runId).bind(2, static_cast<std::int64_t>(inference));
  for (;;) {
    auto row = cycles->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    TimelineCycle c{static_cast<std::uint32_t>(cycles->integer(0)), cycles->real(1), cycles->real(2), cycles->real(3),
                    {}, {}, cycles->real(7), {}};
    if (!cycles->isNull(4)) c.vStart = cycles->real(4);
    if (!cycles->isNull(5)) c.vEnd = cycles->real(5);
    if (!cycles->isNull(6)) c.deviceCycles = cycles->integer(6);
    c.shutdownS = cycles->real(8);
    t.cycles.push_back(c);
  }
  auto checkpoints = sql::Statement::prepare(
      db.handle(), "SELECT c.boot_id, c.layer, c.job, c.cycles_since_boot, c.nvm_bytes"
                   " FROM checkpoints c JOIN runs r ON r.id = c.run_id AND r.attempt = c.attempt"
                   " WHERE c.run_id = ? AND c.inference = ? ORDER BY c.boot_id, c.seq");
  if (!checkpoints) return std::unexpected(checkpoints.error());
  checkpoints->bind(1, runId).bind(2, static_cast<std::int64_t>(inference));
  for (;;) {
    auto row = checkpoints->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    t.checkpoints.push_back({static_cast<std::uint32_t>(checkpoints->integer(0)),
                             static_cast<std::uint32_t>(checkpoints->integer(1)),
                             static_cast<std::uint32_t>(checkpoints->integer(2)),
                             static_cast<std::uint32_t>(checkpoints->integer(3)),
                             checkpoints->isNull(4) ? std::optional<std::uint32_t>()
                                                    : static_cast<std::uint32_t>(checkpoints->integer(4))});
  }
  auto sleeps = sql::Statement::prepare(
      db.handle(), "SELECT s.start_s, s.seconds FROM sleeps s JOIN runs r ON r.id = s.run_id AND r.attempt = s.attempt"
                   " WHERE s.run_id = ? AND s.inference = ? ORDER BY s.start_s");
  if (!sleeps) return std::unexpected(sleeps.error());
  sleeps->bind(1, runId).bind(2, static_cast<std::int64_t>(inference));
  for (;;) {
    auto row = sleeps->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    t.sleeps.push_back({sleeps->real(0), sleeps->real(1)});
  }
  auto request = sql::Statement::prepare(
      db.handle(), "SELECT i.start_s, i.latency_s, i.finished FROM inferences i"
                   " JOIN runs r ON r.id = i.run_id AND r.attempt = i.attempt WHERE i.run_id = ? AND i.inference = ?");
  if (!request) return std::unexpected(request.error());
  request->bind(1, runId).bind(2, static_cast<std::int64_t>(t.inference));
  auto got = request->step();
  if (!got) return std::unexpected(got.error());
  if (*got) {
    if (!request->isNull(0)) t.requestS = request->real(0);
    if (!request->isNull(1)) t.latencyS = request->real(1);
    t.finished = request->integer(2) != 0;
  }
  return t;
}

}  // namespace aidi::db
