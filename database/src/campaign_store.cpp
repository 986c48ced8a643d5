#include "aidi/db/campaign_store.hpp"

#include "sqlite.hpp"

namespace aidi::db {
namespace {

// Commits on success, rolls back otherwise.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : m_db(db) {}
  Status begin() { return sql::exec(m_db, "BEGIN IMMEDIATE"); }
  Status commit() {
    auto ok = sql::exec(m_db, "COMMIT");
    m_done = ok.has_value();
    return ok;
  }
  ~Transaction() {
    if (!m_done) (void)sql::exec(m_db, "ROLLBACK");
  }

 private:
  sqlite3* m_db;
  bool m_done = false;
};

}  // namespace

Result<std::int64_t> CampaignStore::createCampaign(const std::string& name, const std::string& sourcePath,
                                                   const std::string& configToml, std::span<const PlannedRun> runs,
                                                   std::span<const RecordedBoard> boards,
                                                   const CampaignProvenance& provenance) {
  sqlite3* db = m_db.handle();
  Transaction tx(db);
  if (auto ok = tx.begin(); !ok) return std::unexpected(ok.error());
  auto insertCampaign = sql::Statement::prepare(
      db, "INSERT INTO campaigns (name, source_path, config_toml, bench_version, host) VALUES (?,?,?,?,?)");
  if (!insertCampaign) return std::unexpected(insertCampaign.error());
  const auto orNull = [](const std::string& v) { return v.empty() ? std::optional<std::string>() : v; };
  if (auto ok = insertCampaign->bind(1, name).bind(2, sourcePath).bind(3, configToml)
                    .bind(4, orNull(provenance.benchVersion)).bind(5, orNull(provenance.host)).run();
      !ok)
    return std::unexpected(ok.error());
  const std::int64_t campaignId = sqlite3_last_insert_rowid(db);
  auto insertRun = sql::Statement::prepare(
      db, "INSERT INTO runs (campaign_id, plan_index, model, policy, condition, capacitor_uf, repetition, samples,"
          " board) VALUES (?,?,?,?,?,?,?,?,?)");
  if (!insertRun) return std::unexpected(insertRun.error());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const PlannedRun& r = runs[i];
    auto ok = insertRun->bind(1, campaignId).bind(2, static_cast<int>(i)).bind(3, r.model).bind(4, r.policy)
                  .bind(5, r.condition).bind(6, r.capacitorUf).bind(7, r.repetition).bind(8, r.samples)
                  .bind(9, r.board).run();
    if (!ok) return std::unexpected(ok.error());
  }
  auto insertBoard = sql::Statement::prepare(
      db, "INSERT INTO board_profiles (campaign_id, name, source_path, profile_toml) VALUES (?,?,?,?)");
  if (!insertBoard) return std::unexpected(insertBoard.error());
  for (const RecordedBoard& b : boards) {
    if (auto ok = insertBoard->bind(1, campaignId).bind(2, b.name).bind(3, b.sourcePath).bind(4, b.profileToml).run(); !ok)
      return std::unexpected(ok.error());
  }
  if (auto ok = tx.commit(); !ok) return std::unexpected(ok.error());
  return campaignId;
}

Result<std::optional<ClaimedRun>> CampaignStore::claimNextRun(std::int64_t campaignId, const RunOwnership* ownership,
                                                               std::optional<int> onlyPlanIndex) {
  sqlite3* db = m_db.handle();
  Transaction tx(db);
  if (auto ok = tx.begin(); !ok) return std::unexpected(ok.error());
  auto pick = sql::Statement::prepare(
      db, "SELECT id, plan_index, attempt, model, policy, condition, capacitor_uf, repetition, samples, board,"
          " COALESCE(owner, ''), COALESCE(heartbeat_at, 0), state FROM runs"
          " WHERE campaign_id = ? AND state IN ('running', 'planned') AND (? IS NULL OR plan_index = ?)"
          " ORDER BY state = 'planned', plan_index");
  if (!pick) return std::unexpected(pick.error());
  const std::optional<std::int64_t> only = onlyPlanIndex ? std::optional<std::int64_t>(*onlyPlanIndex) : std::nullopt;
  pick->bind(1, campaignId).bind(2, only).bind(3, only);
  bool found = false;
  for (;;) {
    auto row = pick->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    if (pick->text(12) == "running" && ownership && ownership->heldByAnother(pick->text(10), pick->real(11)))
      continue;  // someone is on it
    found = true;
    break;
  }
  if (!found) return std::optional<ClaimedRun>{};

  ClaimedRun claimed;
  claimed.runId = pick->integer(0);
  claimed.planIndex = static_cast<int>(pick->integer(1));
  claimed.attempt = static_cast<int>(pick->integer(2)) + 1;
  claimed.plan.model = pick->text(3);
  claimed.plan.policy = pick->text(4);
  claimed.plan.condition = pick->text(5);
  if (!pick->isNull(6)) claimed.plan.capacitorUf = pick->real(6);
  claimed.plan.repetition = static_cast<int>(pick->integer(7));
  claimed.plan.samples = static_cast<int>(pick->integer(8));
  claimed.plan.board = pick->text(9);
  pick->reset();

  // Rows of earlier attempts are what a crash left half-written: drop them.
  for (const char* table : {"power_cycles", "checkpoints", "inferences", "inference_energy", "sleeps", "waveform_channels"}) {
    auto del = sql::Statement::prepare(db, std::string("DELETE FROM ") + table + " WHERE run_id = ?");
    if (!del) return std::unexpected(del.error());
    if (auto ok = del->bind(1, claimed.runId).run(); !ok) return std::unexpected(ok.error());
  }
  auto update = sql::Statement::prepare(
      db, "UPDATE runs SET state = 'running', attempt = ?, failure = NULL, finished_at = NULL,"
          " started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), owner = ?, heartbeat_at = ? WHERE id = ?");
  if (!update) return std::unexpected(update.error());
  const std::optional<std::string> owner = ownership ? std::optional<std::string>(ownership->owner) : std::nullopt;
  const std::optional<double> now = ownership ? std::optional<double>(ownership->now) : std::nullopt;
  if (auto ok = update->bind(1, claimed.attempt).bind(2, owner).bind(3, now).bind(4, claimed.runId).run(); !ok)
    return std::unexpected(ok.error());
  auto campaign = sql::Statement::prepare(db, "UPDATE campaigns SET state = 'running' WHERE id = ?");
  if (!campaign) return std::unexpected(campaign.error());
  if (auto ok = campaign->bind(1, campaignId).run(); !ok) return std::unexpected(ok.error());
  if (auto ok = tx.commit(); !ok) return std::unexpected(ok.error());
  return std::optional<ClaimedRun>{claimed};
}

Status CampaignStore::heartbeat(std::int64_t runId, const std::string& owner, double now) {
  auto stmt = sql::Statement::prepare(m_db.handle(), "UPDATE runs SET heartbeat_at = ? WHERE id = ? AND owner = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->bind(1, now).bind(2, runId).bind(3, owner).run();
}

Result<std::vector<HeldRun>> CampaignStore::heldRuns(std::int64_t campaignId, const RunOwnership& ownership) {
  auto stmt = sql::Statement::prepare(
      m_db.handle(), "SELECT id, plan_index, COALESCE(owner, ''), COALESCE(heartbeat_at, 0) FROM runs"
                     " WHERE campaign_id = ? AND state = 'running' ORDER BY plan_index");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, campaignId);
  std::vector<HeldRun> held;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    HeldRun h{stmt->integer(0), static_cast<int>(stmt->integer(1)), stmt->text(2), stmt->real(3)};
    if (ownership.heldByAnother(h.owner, h.heartbeatAt)) held.push_back(std::move(h));
  }
  return held;
}

Result<CampaignProgress> CampaignStore::progress(std::int64_t campaignId) {
  auto stmt = sql::Statement::prepare(m_db.handle(), "SELECT state, COUNT(*) FROM runs WHERE campaign_id = ? GROUP BY state");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, campaignId);
  CampaignProgress p;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const std::string state = stmt->text(0);
    const int n = static_cast<int>(stmt->integer(1));
    if (state == "planned") p.planned = n;
    else if (state == "running") p.running = n;
    else if (state == "done") p.done = n;
    else if (state == "failed") p.failed = n;
  }
  return p;
}

Status CampaignStore::updateCampaignState(std::int64_t campaignId) {
  auto p = progress(campaignId);
  if (!p) return std::unexpected(p.error());
  const char* state = !p->complete() ? (p->running + p->done + p->failed > 0 ? "running" : "planned")
                                     : (p->failed > 0 && p->done == 0 ? "failed" : "done");
  auto stmt = sql::Statement::prepare(
      m_db.handle(), "UPDATE campaigns SET state = ?, finished_at = CASE WHEN ? IN ('done', 'failed')"
                     " THEN strftime('%Y-%m-%dT%H:%M:%fZ', 'now') END WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->bind(1, state).bind(2, state).bind(3, campaignId).run();
}

Result<std::vector<CampaignInfo>> CampaignStore::listCampaigns() {
  auto stmt = sql::Statement::prepare(m_db.handle(), "SELECT id, name, state, created_at FROM campaigns ORDER BY id");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<CampaignInfo> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({stmt->integer(0), stmt->text(1), stmt->text(2), stmt->text(3), {}});
  }
  for (auto& c : out) {
    auto p = progress(c.id);
    if (!p) return std::unexpected(p.error());
    c.progress = *p;
  }
  return out;
}

Result<RecordedCampaign> CampaignStore::recorded(std::int64_t campaignId) {
  auto stmt = sql::Statement::prepare(
      m_db.handle(), "SELECT id, name, COALESCE(source_path, ''), COALESCE(config_toml, ''), state,"
                     " COALESCE(bench_version, ''), COALESCE(host, ''), created_at, COALESCE(finished_at, '')"
                     " FROM campaigns WHERE id = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, campaignId);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail(ErrorCode::Invalid, "no campaign with id " + std::to_string(campaignId));
  RecordedCampaign recorded{stmt->integer(0), stmt->text(1), stmt->text(2), stmt->text(3), stmt->text(4), {},
                            {stmt->text(5), stmt->text(6)}, stmt->text(7), stmt->text(8)};
  auto boards = sql::Statement::prepare(
      m_db.handle(), "SELECT name, COALESCE(source_path, ''), profile_toml FROM board_profiles WHERE campaign_id = ?"
                     " ORDER BY rowid");  // the campaign's order
  if (!boards) return std::unexpected(boards.error());
  boards->bind(1, campaignId);
  for (;;) {
    auto next = boards->step();
    if (!next) return std::unexpected(next.error());
    if (!*next) break;
    recorded.boards.push_back({boards->text(0), boards->text(1), boards->text(2)});
  }
  return recorded;
}

Result<std::int64_t> CampaignStore::findByName(const std::string& name) {
  auto stmt = sql::Statement::prepare(m_db.handle(), "SELECT MAX(id) FROM campaigns WHERE name = ?");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, name);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (!*row || stmt->isNull(0)) return fail(ErrorCode::Invalid, "no campaign named \"" + name + "\"");
  return stmt->integer(0);
}

Result<std::vector<std::int64_t>> CampaignStore::unfinishedCampaigns() {
  auto stmt = sql::Statement::prepare(
      m_db.handle(), "SELECT DISTINCT campaign_id FROM runs WHERE state IN ('planned', 'running') ORDER BY campaign_id");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<std::int64_t> ids;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    ids.push_back(stmt->integer(0));
  }
  return ids;
}

}  // namespace aidi::db
