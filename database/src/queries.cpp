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
                   " COALESCE(failure, ''), energy_bound_s, attempt FROM runs WHERE campaign_id = ? ORDER BY plan_index");
  if (!runs) return std::unexpected(runs.error());
  auto rows = sql::Statement::prepare(
      db.handle(), "SELECT finished, label, predicted, latency_s, energy_uj, power_cycles, active_cycles,"
                   " reexecuted_cycles, checkpoint_cycles, boot_cycles FROM inferences"
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
    if (!runs->isNull(9)) s.energyBoundS = runs->real(9);
    const std::int64_t attempt = runs->integer(10);

    std::vector<double> latency, energy, cycles;
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
    }
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

Result<std::vector<SeriesColumn>> decimatedSeries(Database& db, std::int64_t runId, const std::string& instrument,
                                                  double tStart, double tEnd, int columns) {
  if (columns <= 0 || !(tEnd > tStart))
    return fail(ErrorCode::Invalid, "decimatedSeries: need columns > 0 and tEnd > tStart");
  const double width = (tEnd - tStart) / columns;
  auto stmt = sql::Statement::prepare(
      db.handle(),
      "SELECT MIN(CAST((t_s - ?1) / ?2 AS INTEGER), ?3 - 1) AS col, COUNT(*), MIN(volts), MAX(volts),"
      " MIN(amps), MAX(amps) FROM instrument_samples"
      " WHERE run_id = ?4 AND instrument = ?5 AND t_s >= ?1 AND t_s <= ?6 GROUP BY col ORDER BY col");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, tStart).bind(2, width).bind(3, columns).bind(4, runId).bind(5, instrument).bind(6, tEnd);
  std::vector<SeriesColumn> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const auto col = stmt->integer(0);
    SeriesColumn c;
    c.t0 = tStart + static_cast<double>(col) * width;
    c.t1 = c.t0 + width;
    c.count = static_cast<std::size_t>(stmt->integer(1));
    c.vMin = stmt->real(2);
    c.vMax = stmt->real(3);
    c.aMin = stmt->real(4);
    c.aMax = stmt->real(5);
    out.push_back(c);
  }
  return out;
}

}  // namespace aidi::db
