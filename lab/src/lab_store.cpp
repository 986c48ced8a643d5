#include "aidi/lab/lab_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "lab_schema.hpp"
#include "pg.hpp"

namespace aidi::lab {

namespace {

bool tagCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == ':' || c == '/';
}

std::string jsonOf(const Tags& tags) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j.dump();
}

Tags tagsOf(const std::string& json) {
  Tags tags;
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) tags[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return tags;
}

std::string number(double v) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

// Runs `work` inside one transaction; rolls back when it fails.
template <class F>
auto inTransaction(pg::Connection& c, const std::string& purpose, F&& work) -> decltype(work()) {
  if (auto ok = c.execute("BEGIN", purpose + " (begin)"); !ok) return std::unexpected(ok.error());
  auto result = work();
  if (!result) {
    (void)c.execute("ROLLBACK", purpose + " (roll back)");
    return result;
  }
  if (auto ok = c.execute("COMMIT", purpose + " (commit)"); !ok) return std::unexpected(ok.error());
  return result;
}

}  // namespace

Result<Tags> parseTags(const std::string& text) {
  Tags tags;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto end = std::min(text.find(',', at), text.size());
    const std::string pair = text.substr(at, end - at);
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size())
      return fail(ErrorCode::Invalid, "tag \"" + pair + "\": needs KEY=VALUE (e.g. target=nucleo-f412zg)");
    const std::string key = pair.substr(0, eq), value = pair.substr(eq + 1);
    for (const char c : key + value)
      if (!tagCharacter(c))
        return fail(ErrorCode::Invalid, "tag \"" + pair + "\": only letters, digits and . _ - : / may be used");
    if (tags.contains(key)) return fail(ErrorCode::Invalid, "tag \"" + key + "\" given twice");
    tags[key] = value;
    at = end + 1;
  }
  return tags;
}

std::string tagsText(const Tags& tags) {
  std::string out;
  for (const auto& [k, v] : tags) out += (out.empty() ? "" : ",") + k + "=" + v;
  return out;
}

Status checkLabUrl(const std::string& url) {
  if (url.empty()) return fail(ErrorCode::Invalid, "no lab given: --lab URL or AIDI_LAB (postgresql://USER@HOST:PORT/DATABASE)");
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (!options) {
    const std::string why = error ? error : "not a connection URL";
    PQfreemem(error);
    return fail(ErrorCode::Invalid, "lab URL: " + why);
  }
  bool password = false;
  for (PQconninfoOption* o = options; o->keyword; ++o)
    if (std::string(o->keyword) == "password" && o->val && *o->val) password = true;
  PQconninfoFree(options);
  if (password)
    return fail(ErrorCode::Invalid, "lab URL: it holds a password, which every user of this host can read on the "
                                    "command line; put it in ~/.pgpass (or PGPASSFILE, or PGPASSWORD) instead");
  return {};
}

LabStore::LabStore(std::unique_ptr<pg::Connection> connection, std::string url)
    : m_conn(std::move(connection)), m_url(std::move(url)) {}
LabStore::LabStore(LabStore&&) noexcept = default;
LabStore& LabStore::operator=(LabStore&&) noexcept = default;
LabStore::~LabStore() = default;

Result<LabStore> LabStore::connect(const std::string& url) {
  if (auto ok = checkLabUrl(url); !ok) return std::unexpected(ok.error());
  auto c = pg::Connection::open(url, "lab " + url);
  if (!c) return std::unexpected(c.error());
  auto version = c->exec("SELECT value FROM lab_meta WHERE key = 'schema'", {}, "read the lab's schema version");
  if (!version || version->size() != 1)
    return fail(ErrorCode::Invalid, "lab " + url + ": not an AIDI lab (no lab_meta schema version); `aidi lab init --lab URL` "
                                    "creates one");
  const int found = std::atoi(version->text(0, 0).c_str());
  if (found > kLabSchemaVersion)
    return fail(ErrorCode::TooNew, "lab " + url + ": its schema is version " + std::to_string(found) +
                                       ", newer than this aidi's " + std::to_string(kLabSchemaVersion) + ": upgrade aidi");
  if (found < kLabSchemaVersion)
    return fail(ErrorCode::Invalid, "lab " + url + ": its schema is version " + std::to_string(found) + ", older than " +
                                        std::to_string(kLabSchemaVersion) + ": `aidi lab init --lab URL` upgrades it");
  return LabStore(std::make_unique<pg::Connection>(std::move(*c)), url);
}

Result<LabStore> LabStore::init(const std::string& url) {
  if (auto ok = checkLabUrl(url); !ok) return std::unexpected(ok.error());
  auto c = pg::Connection::open(url, "lab " + url);
  if (!c) return std::unexpected(c.error());
  // One initialiser at a time (two hosts setting up the same lab).
  auto made = inTransaction(*c, "create the lab's tables", [&]() -> Status {
    if (auto ok = c->execute("SELECT pg_advisory_xact_lock(4242001)", "lock the lab's schema"); !ok) return ok;
    if (auto ok = c->execute(kLabSchemaSql, "create the lab's tables"); !ok) return ok;
    auto found = c->exec("SELECT value FROM lab_meta WHERE key = 'schema'", {}, "read the lab's schema version");
    if (!found) return std::unexpected(found.error());
    if (found->size() == 1 && std::atoi(found->text(0, 0).c_str()) > kLabSchemaVersion)
      return fail(ErrorCode::TooNew, "lab " + url + ": its schema is version " + found->text(0, 0) +
                                         ", newer than this aidi's " + std::to_string(kLabSchemaVersion) + ": upgrade aidi");
    auto set = c->exec("INSERT INTO lab_meta (key, value) VALUES ('schema', $1) "
                       "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                       {std::to_string(kLabSchemaVersion)}, "record the lab's schema version");
    if (!set) return std::unexpected(set.error());
    return {};
  });
  if (!made) return std::unexpected(made.error());
  return connect(url);
}

Result<std::int64_t> LabStore::submit(const std::string& name, const std::string& configToml,
                                      const std::vector<LabFile>& files, const std::vector<LabRunPlan>& runs) {
  return inTransaction(*m_conn, "submit campaign " + name, [&]() -> Result<std::int64_t> {
    auto made = m_conn->exec("INSERT INTO lab_campaigns (name, config_toml) VALUES ($1, $2) RETURNING id",
                             {name, configToml}, "record campaign " + name);
    if (!made) return std::unexpected(made.error());
    const std::int64_t id = made->integer(0, 0);
    for (const auto& f : files) {
      // bytea from text in its hex escape, so any byte of a file survives.
      std::size_t length = 0;
      unsigned char* escaped = PQescapeByteaConn(m_conn->handle(), reinterpret_cast<const unsigned char*>(f.content.data()),
                                                 f.content.size(), &length);
      if (!escaped) return fail(ErrorCode::Io, "lab: cannot escape file " + f.path);
      std::string hex(reinterpret_cast<const char*>(escaped));
      PQfreemem(escaped);
      auto ok = m_conn->exec("INSERT INTO lab_files (campaign_id, path, content) VALUES ($1, $2, $3::bytea)",
                             {std::to_string(id), f.path, hex}, "store file " + f.path);
      if (!ok) return std::unexpected(ok.error());
    }
    std::string lines;
    for (const auto& r : runs)
      lines += std::to_string(id) + "\t" + std::to_string(r.planIndex) + "\t" + pg::copyField(r.model) + "\t" +
               pg::copyField(r.policy) + "\t" + pg::copyField(r.condition) + "\t" + pg::copyField(r.board) + "\t" +
               pg::copyField(jsonOf(r.required)) + "\n";
    if (auto ok = m_conn->execute("CREATE TEMP TABLE IF NOT EXISTS lab_run_plans (campaign_id bigint, plan_index integer, "
                                  "model text, policy text, condition text, board text, required jsonb) ON COMMIT DROP",
                                  "stage the runs");
        !ok)
      return std::unexpected(ok.error());
    if (auto ok = m_conn->copyIn("COPY lab_run_plans FROM STDIN", lines, "stage the runs"); !ok)
      return std::unexpected(ok.error());
    if (auto ok = m_conn->execute("INSERT INTO lab_runs (campaign_id, plan_index, uuid, model, policy, condition, board, "
                                  "required) SELECT campaign_id, plan_index, gen_random_uuid(), model, policy, condition, "
                                  "board, required FROM lab_run_plans",
                                  "record the runs");
        !ok)
      return std::unexpected(ok.error());
    return id;
  });
}

Result<std::optional<LabClaim>> LabStore::claim(const std::string& worker, const Tags& tags, double leaseS) {
  auto rows = m_conn->exec(
      "UPDATE lab_runs r SET state = 'running', worker = $1, lease_until = now() + make_interval(secs => $2), "
      "attempts = r.attempts + 1 "
      "FROM lab_campaigns c "
      "WHERE r.id = (SELECT id FROM lab_runs WHERE (state = 'planned' OR (state = 'running' AND lease_until < now())) "
      "AND required <@ $3::jsonb ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) AND c.id = r.campaign_id "
      "RETURNING r.id, r.campaign_id, r.plan_index, r.attempts, r.uuid, c.name, c.config_toml",
      {worker, number(leaseS), jsonOf(tags)}, "claim a run");
  if (!rows) return std::unexpected(rows.error());
  if (rows->size() == 0) return std::optional<LabClaim>{};
  LabClaim c;
  c.runId = rows->integer(0, 0);
  c.campaignId = rows->integer(0, 1);
  c.planIndex = static_cast<int>(rows->integer(0, 2));
  c.attempt = static_cast<int>(rows->integer(0, 3));
  c.uuid = rows->text(0, 4);
  c.campaignName = rows->text(0, 5);
  c.configToml = rows->text(0, 6);
  return std::optional<LabClaim>(std::move(c));
}

Result<int> LabStore::unfinished(const Tags& tags) {
  auto rows = m_conn->exec("SELECT count(*) FROM lab_runs WHERE state IN ('planned', 'running') AND required <@ $1::jsonb",
                           {jsonOf(tags)}, "count the runs left");
  if (!rows) return std::unexpected(rows.error());
  return static_cast<int>(rows->integer(0, 0));
}

Status LabStore::renew(std::int64_t runId, const std::string& worker, int attempt, double leaseS) {
  auto rows = m_conn->exec("UPDATE lab_runs SET lease_until = now() + make_interval(secs => $4) "
                           "WHERE id = $1 AND worker = $2 AND attempts = $3 AND state = 'running' RETURNING id",
                           {std::to_string(runId), worker, std::to_string(attempt), number(leaseS)}, "renew a lease");
  if (!rows) return std::unexpected(rows.error());
  if (rows->size() == 0)
    return fail(ErrorCode::Invalid, "run " + std::to_string(runId) + ": the lease is no longer " + worker +
                                        "'s (it expired and another worker claimed the run, or it ended)");
  return {};
}

Result<bool> LabStore::upload(const LabRunResult& r) {
  return inTransaction(*m_conn, "upload run " + r.uuid, [&]() -> Result<bool> {
    auto inserted = m_conn->exec("INSERT INTO lab_results (run_uuid, worker, attempt) VALUES ($1::uuid, $2, $3) "
                                 "ON CONFLICT (run_uuid) DO NOTHING RETURNING run_uuid",
                                 {r.uuid, r.worker, std::to_string(r.attempt)}, "record run " + r.uuid);
    if (!inserted) return std::unexpected(inserted.error());
    if (inserted->size() == 0) return false;  // recorded already, by an earlier attempt's upload
    std::string lines;
    const auto opt = [](const auto& v) -> std::optional<std::string> {
      if (!v) return std::nullopt;
      if constexpr (std::is_same_v<std::decay_t<decltype(*v)>, double>) return number(*v);
      else return std::to_string(*v);
    };
    for (const auto& i : r.inferences)
      lines += r.uuid + "\t" + std::to_string(i.inference) + "\t" + std::to_string(i.sample) + "\t" +
               pg::copyField(opt(i.label)) + "\t" + pg::copyField(opt(i.predicted)) + "\t" + (i.finished ? "t" : "f") +
               "\t" + pg::copyField(opt(i.latencyS)) + "\t" + pg::copyField(opt(i.energyBoundS)) + "\t" +
               pg::copyField(opt(i.energyUj)) + "\t" + std::to_string(i.powerCycles) + "\n";
    if (!lines.empty())
      if (auto ok = m_conn->copyIn("COPY lab_inferences (run_uuid, inference, sample, label, predicted, finished, "
                                   "latency_s, energy_bound_s, energy_uj, power_cycles) FROM STDIN",
                                   lines, "upload the inferences of run " + r.uuid);
          !ok)
        return std::unexpected(ok.error());
    auto ended = m_conn->exec("UPDATE lab_runs SET state = $2, failure = $3, ended_at = now(), lease_until = NULL, "
                              "worker = $4 WHERE uuid = $1::uuid",
                              {r.uuid, r.done ? "done" : "failed",
                               r.done ? std::nullopt : std::optional<std::string>(r.failure), r.worker},
                              "end run " + r.uuid);
    if (!ended) return std::unexpected(ended.error());
    auto counted = m_conn->exec("UPDATE lab_workers SET runs_done = runs_done + 1 WHERE name = $1", {r.worker},
                                "count the worker's run");
    if (!counted) return std::unexpected(counted.error());
    return true;
  });
}

Status LabStore::seen(const std::string& worker, const std::string& host, const Tags& tags) {
  auto ok = m_conn->exec("INSERT INTO lab_workers (name, host, tags, last_seen) VALUES ($1, $2, $3::jsonb, now()) "
                         "ON CONFLICT (name) DO UPDATE SET host = EXCLUDED.host, tags = EXCLUDED.tags, last_seen = now()",
                         {worker, host, jsonOf(tags)}, "record worker " + worker);
  if (!ok) return std::unexpected(ok.error());
  return {};
}

Result<std::vector<LabFile>> LabStore::files(std::int64_t campaignId) {
  auto rows = m_conn->exec("SELECT path, content FROM lab_files WHERE campaign_id = $1 ORDER BY path",
                           {std::to_string(campaignId)}, "read the campaign's files");
  if (!rows) return std::unexpected(rows.error());
  std::vector<LabFile> out;
  for (int i = 0; i < rows->size(); ++i) {
    // bytea comes as text in its hex escape; libpq undoes it.
    std::size_t length = 0;
    unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(rows->text(i, 1).c_str()), &length);
    if (!bytes) return fail(ErrorCode::Io, "lab: out of memory reading file " + rows->text(i, 0));
    out.push_back({rows->text(i, 0), std::string(reinterpret_cast<const char*>(bytes), length)});
    PQfreemem(bytes);
  }
  return out;
}

Result<LabStatus> LabStore::status() {
  LabStatus s;
  auto counts = m_conn->exec("SELECT state, count(*) FROM lab_runs GROUP BY state", {}, "count the runs");
  if (!counts) return std::unexpected(counts.error());
  for (int i = 0; i < counts->size(); ++i) {
    const std::string state = counts->text(i, 0);
    const int n = static_cast<int>(counts->integer(i, 1));
    (state == "planned" ? s.planned : state == "running" ? s.running : state == "done" ? s.done : s.failed) = n;
  }
  auto workers = m_conn->exec("SELECT name, host, tags::text, extract(epoch FROM now() - last_seen), runs_done "
                              "FROM lab_workers ORDER BY name",
                              {}, "list the workers");
  if (!workers) return std::unexpected(workers.error());
  for (int i = 0; i < workers->size(); ++i)
    s.workers.push_back({workers->text(i, 0), workers->text(i, 1), tagsOf(workers->text(i, 2)), workers->real(i, 3),
                         static_cast<int>(workers->integer(i, 4))});
  auto leases = m_conn->exec("SELECT r.id, r.worker, c.name, r.plan_index, r.attempts, "
                             "extract(epoch FROM r.lease_until - now()) FROM lab_runs r JOIN lab_campaigns c "
                             "ON c.id = r.campaign_id WHERE r.state = 'running' ORDER BY r.id",
                             {}, "list the leases");
  if (!leases) return std::unexpected(leases.error());
  for (int i = 0; i < leases->size(); ++i)
    s.leases.push_back({leases->integer(i, 0), leases->text(i, 1), leases->text(i, 2),
                        static_cast<int>(leases->integer(i, 3)), static_cast<int>(leases->integer(i, 4)),
                        leases->real(i, 5)});
  auto recent = m_conn->exec("SELECT count(*) FROM lab_runs WHERE ended_at > now() - interval '60 seconds'", {},
                             "count the last minute's runs");
  if (!recent) return std::unexpected(recent.error());
  s.endedLastMinute = static_cast<int>(recent->integer(0, 0));
  return s;
}

Result<std::vector<LabCampaign>> LabStore::campaigns() {
  auto rows = m_conn->exec(
      "SELECT c.id, c.name, c.config_toml, to_char(c.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "count(r.id), count(r.id) FILTER (WHERE r.state = 'done'), count(r.id) FILTER (WHERE r.state = 'failed') "
      "FROM lab_campaigns c LEFT JOIN lab_runs r ON r.campaign_id = c.id GROUP BY c.id ORDER BY c.id",
      {}, "list the campaigns");
  if (!rows) return std::unexpected(rows.error());
  std::vector<LabCampaign> out;
  for (int i = 0; i < rows->size(); ++i)
    out.push_back({rows->integer(i, 0), rows->text(i, 1), rows->text(i, 2), rows->text(i, 3),
                   static_cast<int>(rows->integer(i, 4)), static_cast<int>(rows->integer(i, 5)),
                   static_cast<int>(rows->integer(i, 6))});
  return out;
}

Result<std::map<int, LabRunResult>> LabStore::results(std::int64_t campaignId) {
  auto runs = m_conn->exec("SELECT r.plan_index, r.uuid, res.worker, res.attempt, r.state, coalesce(r.failure, '') "
                           "FROM lab_runs r JOIN lab_results res ON res.run_uuid = r.uuid WHERE r.campaign_id = $1",
                           {std::to_string(campaignId)}, "read the campaign's results");
  if (!runs) return std::unexpected(runs.error());
  std::map<int, LabRunResult> out;
  std::map<std::string, int> byUuid;
  for (int i = 0; i < runs->size(); ++i) {
    LabRunResult r;
    r.uuid = runs->text(i, 1);
    r.worker = runs->text(i, 2);
    r.attempt = static_cast<int>(runs->integer(i, 3));
    r.done = runs->text(i, 4) == "done";
    r.failure = runs->text(i, 5);
    byUuid[r.uuid] = static_cast<int>(runs->integer(i, 0));
    out[static_cast<int>(runs->integer(i, 0))] = std::move(r);
  }
  auto inf = m_conn->exec("SELECT i.run_uuid, i.inference, i.sample, i.label, i.predicted, i.finished, i.latency_s, "
                          "i.energy_bound_s, i.energy_uj, i.power_cycles FROM lab_inferences i JOIN lab_runs r "
                          "ON r.uuid = i.run_uuid WHERE r.campaign_id = $1 ORDER BY i.run_uuid, i.inference",
                          {std::to_string(campaignId)}, "read the campaign's inferences");
  if (!inf) return std::unexpected(inf.error());
  for (int i = 0; i < inf->size(); ++i) {
    LabInference x;
    x.inference = static_cast<int>(inf->integer(i, 1));
    x.sample = static_cast<int>(inf->integer(i, 2));
    if (!inf->null(i, 3)) x.label = static_cast<int>(inf->integer(i, 3));
    if (!inf->null(i, 4)) x.predicted = static_cast<int>(inf->integer(i, 4));
    x.finished = inf->text(i, 5) == "t";
    if (!inf->null(i, 6)) x.latencyS = inf->real(i, 6);
    if (!inf->null(i, 7)) x.energyBoundS = inf->real(i, 7);
    if (!inf->null(i, 8)) x.energyUj = inf->real(i, 8);
    x.powerCycles = inf->integer(i, 9);
    out[byUuid[inf->text(i, 0)]].inferences.push_back(x);
  }
  return out;
}

}  // namespace aidi::lab
