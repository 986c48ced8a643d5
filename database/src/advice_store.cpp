#include "aidi/db/advice_store.hpp"

#include "sqlite.hpp"

namespace aidi::db {

namespace {

Result<std::vector<AdviceRecord>> select(Database& db, const std::string& where, std::optional<std::int64_t> id) {
  auto stmt = sql::Statement::prepare(db.handle(), "SELECT id, name, request, COALESCE(result, ''), state, created_at"
                                                   " FROM advice " + where + " ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  if (id) stmt->bind(1, *id);
  std::vector<AdviceRecord> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({stmt->integer(0), stmt->text(1), stmt->text(2), stmt->text(3), stmt->text(4), stmt->text(5)});
  }
  return out;
}

}  // namespace

Result<AdviceRecord> AdviceStore::openOrCreate(const std::string& name, const std::string& request) {
  {
    auto find = sql::Statement::prepare(m_db.handle(),
                                        "SELECT id FROM advice WHERE request = ? AND state = 'running' ORDER BY id DESC LIMIT 1");
    if (!find) return std::unexpected(find.error());
    find->bind(1, request);
    auto row = find->step();
    if (!row) return std::unexpected(row.error());
    if (*row) return get(find->integer(0));
  }
  auto insert = sql::Statement::prepare(m_db.handle(), "INSERT INTO advice (name, request) VALUES (?, ?)");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, name).bind(2, request);
  if (auto ran = insert->step(); !ran) return std::unexpected(ran.error());
  return get(sqlite3_last_insert_rowid(m_db.handle()));
}

Status AdviceStore::addCampaign(std::int64_t adviceId, std::int64_t campaignId, const std::string& role) {
  auto insert = sql::Statement::prepare(
      m_db.handle(), "INSERT OR IGNORE INTO advice_campaigns (advice_id, campaign_id, role) VALUES (?, ?, ?)");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, adviceId).bind(2, campaignId).bind(3, role);
  if (auto ran = insert->step(); !ran) return std::unexpected(ran.error());
  return {};
}

Result<std::vector<AdviceCampaign>> AdviceStore::campaigns(std::int64_t adviceId) {
  auto stmt = sql::Statement::prepare(
      m_db.handle(), "SELECT campaign_id, role FROM advice_campaigns WHERE advice_id = ? ORDER BY campaign_id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, adviceId);
  std::vector<AdviceCampaign> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({stmt->integer(0), stmt->text(1)});
  }
  return out;
}

Status AdviceStore::finish(std::int64_t adviceId, const std::string& result) {
  auto update = sql::Statement::prepare(
      m_db.handle(), "UPDATE advice SET result = ?, state = 'done', ended_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                     " WHERE id = ?");
  if (!update) return std::unexpected(update.error());
  update->bind(1, result).bind(2, adviceId);
  if (auto ran = update->step(); !ran) return std::unexpected(ran.error());
  return {};
}

Result<std::vector<AdviceRecord>> AdviceStore::all() { return select(m_db, "", std::nullopt); }

Result<AdviceRecord> AdviceStore::get(std::int64_t adviceId) {
  auto found = select(m_db, "WHERE id = ?", adviceId);
  if (!found) return std::unexpected(found.error());
  if (found->empty()) return fail(ErrorCode::Invalid, "no advice with id " + std::to_string(adviceId));
  return found->front();
}

Result<std::optional<std::pair<std::int64_t, std::int64_t>>> latestMeasuredRun(Database& db, const std::string& model,
                                                                           const std::string& policy,
                                                                           const std::string& board,
                                                                           const std::string& condition) {
  auto stmt = sql::Statement::prepare(db.handle(),
                                      "SELECT campaign_id, id FROM runs WHERE model = ? AND policy = ? AND board = ?"
                                      " AND condition = ? AND (state = 'done' OR (state = 'failed' AND"
                                      " (SELECT count(*) FROM inferences i WHERE i.run_id = runs.id AND i.attempt = runs.attempt)"
                                      " >= runs.samples)) ORDER BY id DESC LIMIT 1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, model).bind(2, policy).bind(3, board).bind(4, condition);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::pair<std::int64_t, std::int64_t>>{};
  return std::optional<std::pair<std::int64_t, std::int64_t>>{{stmt->integer(0), stmt->integer(1)}};
}

Result<std::vector<InferenceOutcome>> inferenceOutcomes(Database& db, std::int64_t runId) {
  auto stmt = sql::Statement::prepare(db.handle(),
                                      "SELECT i.finished, COALESCE(i.latency_s, 0), COALESCE(i.start_s, 0), COALESCE(i.energy_bound_s, 0),"
                                      " COALESCE(i.plain_cycles, 0), COALESCE(i.energy_uj, 0) FROM inferences i"
                                      " JOIN runs r ON r.id = i.run_id AND r.attempt = i.attempt WHERE i.run_id = ?"
                                      " ORDER BY i.inference");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, runId);
  std::vector<InferenceOutcome> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({stmt->integer(0) != 0, stmt->real(1), stmt->real(2), stmt->real(3), stmt->real(4), stmt->real(5)});
  }
  return out;
}

}  // namespace aidi::db
