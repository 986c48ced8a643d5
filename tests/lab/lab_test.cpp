// The lab on a real PostgreSQL server started by the test: the store's
// queue (claims, leases, tags, idempotent uploads), its schema and
// connection errors, and `aidi worker` processes running a campaign
// together: every run recorded exactly once, a worker killed mid-run, the
// server stopped mid-campaign.
#include "aidi/core/api_client.hpp"
#include "aidi/core/api_messages.hpp"
#include "aidi/core/api_server.hpp"
#include "aidi/core/model_zoo.hpp"
#include <mutex>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "../support/cli_run.hpp"
#include "../support/postgres_server.hpp"
#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "aidi/lab/lab_store.hpp"

using namespace aidi;
using namespace std::chrono_literals;

namespace {

// One server per test binary: starting a cluster takes a second or two.
test::PostgresServer* g_server = nullptr;
std::string g_skip;
int g_database = 0;

class LabEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ::setenv("PGPASSWORD", test::PostgresServer::kPassword, 1);
    ::unsetenv("AIDI_LAB");
    m_server = test::PostgresServer::start(g_skip);
    g_server = m_server.get();
  }
  void TearDown() override {
    g_server = nullptr;
    m_server.reset();
  }

 private:
  std::unique_ptr<test::PostgresServer> m_server;
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new LabEnvironment);

// A fresh database on the shared server for each test: its lab URL.
std::string freshLab() {
  const std::string name = "lab" + std::to_string(++g_database);
  PGconn* c = PQconnectdb((g_server->url() + "").c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PQclear(PQexec(c, ("CREATE DATABASE " + name).c_str()));
  PQfinish(c);
  return g_server->url(name);
}

// SQL on a lab, one value.
std::string scalar(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  std::string value = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "?";
  if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) value = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(c);
  return value;
}

int count(const std::string& url, const std::string& sql) {
  const std::string v = scalar(url, sql);
  return v.find_first_not_of("0123456789") == std::string::npos && !v.empty() ? std::stoi(v) : -1;
}

#define NEED_SERVER() \
  if (!g_server) GTEST_SKIP() << g_skip

lab::LabRunPlan plan(int index, lab::Tags required = {{"target", "mps2-an386"}}) {
  return {index, "inas-tiny", "aidi", "steady", "mps2-an386", std::move(required)};
}

// A campaign of `conditions` constant-power conditions x `policies` x
// `repetitions`, one image each (fast runs).
std::string campaignText(const std::string& name, int conditions, const std::string& policies, int repetitions) {
  std::string text = "[campaign]\nname = \"" + name + "\"\nsamples = 1\nrepetitions = " + std::to_string(repetitions) +
                     "\ntime_limit_s = 120\n[matrix]\nmodels = [\"inas-tiny\"]\npolicies = " + policies + "\n";
  for (int i = 0; i < conditions; ++i)
    text += "[[condition]]\nname = \"c" + std::to_string(i) + "\"\nconstant_w = " + std::to_string(0.002 + 0.0005 * i) +
            "\ncapacitor_uf = 100\n";
  return text;
}

inst::Subprocess startWorker(const std::string& url, const std::string& name, const inst::TempDir& dir,
                             const std::vector<std::string>& more = {}) {
  std::vector<std::string> argv = {AIDI_CLI_PATH, "worker", "--lab", url, "--name", name, "--journal",
                                   (dir.path() / (name + ".sqlite")).string(), "--until-empty", "--json"};
  argv.insert(argv.end(), more.begin(), more.end());
  auto child = inst::Subprocess::spawn(argv);
  EXPECT_TRUE(child) << child.error().message;
  return std::move(*child);
}

}  // namespace

TEST(LabStore, ClaimsLeasesTagsAndRecordsEachRunOnce) {
  NEED_SERVER();
  const std::string url = freshLab();
  auto store = lab::LabStore::init(url);
  ASSERT_TRUE(store) << store.error().message;
  auto id = store->submit("queue", "[campaign]\n", {}, {plan(0), plan(1), plan(2, {{"target", "nucleo-f412zg"}})});
  ASSERT_TRUE(id) << id.error().message;

  // A virtual bench never gets the NUCLEO's run.
  const lab::Tags virtualBench{{"target", "mps2-an386"}, {"bench", "virtual"}};
  auto a = store->claim("A", virtualBench, 0.5);
  auto b = store->claim("B", virtualBench, 30);
  ASSERT_TRUE(a && *a && b && *b);
  EXPECT_EQ((*a)->planIndex, 0);
  EXPECT_EQ((*b)->planIndex, 1);
  auto none = store->claim("B", virtualBench, 30);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none) << "run 2 needs a NUCLEO; runs 0 and 1 are leased";

  // A's lease runs out: the run is claimed again, as attempt 2.
  std::this_thread::sleep_for(800ms);
  auto again = store->claim("C", virtualBench, 30);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->planIndex, 0);
  EXPECT_EQ((*again)->attempt, 2);
  EXPECT_FALSE(store->renew((*a)->runId, "A", (*a)->attempt, 30)) << "A's lease is C's now";
  EXPECT_TRUE(store->renew((*again)->runId, "C", 2, 30));

  // Both finish; the first upload records the run, the second is a no-op.
  lab::LabRunResult r{(*a)->uuid, "A", 1, true, "", {{1, 0, 9, 9, true, 1.5, 1.4, 100.0, 2}}};
  auto first = store->upload(r);
  r.worker = "C";
  r.attempt = 2;
  r.inferences[0].latencyS = 99;
  auto second = store->upload(r);
  ASSERT_TRUE(first && second);
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*second);
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_inferences"), "1");
  EXPECT_EQ(scalar(url, "SELECT latency_s FROM lab_inferences"), "1.5") << "the first upload's";
  EXPECT_EQ(scalar(url, "SELECT state FROM lab_runs WHERE plan_index = 0"), "done");

  // The NUCLEO bench gets its run.
  auto nucleo = store->claim("N", {{"target", "nucleo-f412zg"}}, 30);
  ASSERT_TRUE(nucleo && *nucleo);
  EXPECT_EQ((*nucleo)->planIndex, 2);
  auto status = store->status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->done, 1);
  EXPECT_EQ(status->running, 2);
}

TEST(LabStore, SchemaAndConnectionErrorsAreClear) {
  NEED_SERVER();
  const std::string url = freshLab();
  auto notALab = lab::LabStore::connect(url);
  ASSERT_FALSE(notALab);
  EXPECT_NE(notALab.error().message.find("not an AIDI lab"), std::string::npos) << notALab.error().message;
  EXPECT_NE(notALab.error().message.find("aidi lab init"), std::string::npos);
  ASSERT_TRUE(lab::LabStore::init(url));
  ASSERT_TRUE(lab::LabStore::init(url)) << "init twice is harmless";

  scalar(url, "UPDATE lab_meta SET value = '99' WHERE key = 'schema'");
  auto newer = lab::LabStore::connect(url);
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, ErrorCode::TooNew);
  EXPECT_NE(newer.error().message.find("version 99, newer than this aidi's 1: upgrade aidi"), std::string::npos)
      << newer.error().message;
  EXPECT_FALSE(lab::LabStore::init(url)) << "init never downgrades a newer lab";
  scalar(url, "UPDATE lab_meta SET value = '0' WHERE key = 'schema'");
  auto older = lab::LabStore::connect(url);
  ASSERT_FALSE(older);
  EXPECT_NE(older.error().message.find("older than 1: `aidi lab init --lab URL` upgrades it"), std::string::npos)
      << older.error().message;

  ::setenv("PGPASSWORD", "wrong", 1);
  auto refused = lab::LabStore::connect(url);
  ::setenv("PGPASSWORD", test::PostgresServer::kPassword, 1);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("refused the credentials"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("~/.pgpass"), std::string::npos);

  auto unreachable = lab::LabStore::connect("postgresql://aidi@127.0.0.1:1/postgres");
  ASSERT_FALSE(unreachable);
  EXPECT_NE(unreachable.error().message.find("cannot connect"), std::string::npos) << unreachable.error().message;

  auto secret = lab::LabStore::connect("postgresql://aidi:hunter2@127.0.0.1:5432/postgres");
  ASSERT_FALSE(secret);
  EXPECT_NE(secret.error().message.find("holds a password"), std::string::npos) << secret.error().message;
  EXPECT_EQ(secret.error().message.find("hunter2"), std::string::npos) << "the password is not echoed";
  EXPECT_FALSE(lab::parseTags("target"));
  EXPECT_FALSE(lab::parseTags("a=1,a=2"));
  EXPECT_FALSE(lab::parseTags("room=a b"));
  auto tags = lab::parseTags("target=nucleo-f412zg,room=lab-2");
  ASSERT_TRUE(tags);
  EXPECT_EQ(tags->size(), 2u);
}

// Four workers on one machine finish a 200-run virtual campaign: every run
// recorded exactly once, its inference once, each by one worker.
TEST(LabWorkers, FourWorkersFinishTwoHundredRunsEachExactlyOnce) {
  NEED_SERVER();
  const std::string url = freshLab();
  auto dir = inst::TempDir::create("aidi-lab-");
  ASSERT_TRUE(dir);
  ASSERT_EQ(test::runAidi({"lab", "init", "--lab", url}).exitCode, 0);
  const auto file = dir->path() / "big.toml";
  std::ofstream(file) << campaignText("big", 10, R"(["layer", "fixed-tile", "loop", "aidi"])", 5);
  const auto submitted = test::runAidi({"lab", "submit", file.string(), "--lab", url});
  ASSERT_EQ(submitted.exitCode, 0) << submitted.output;
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_runs"), "200");

  std::vector<inst::Subprocess> workers;
  for (int i = 0; i < 4; ++i) workers.push_back(startWorker(url, "w" + std::to_string(i), *dir));
  for (auto& w : workers) {
    auto code = w.wait(inst::Millis{600000});
    ASSERT_TRUE(code && *code == 0) << w.output();
  }
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_runs WHERE state IN ('done', 'failed')"), "200");
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_results"), "200");
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_inferences"), "200") << "one image per run, recorded once";
  EXPECT_EQ(scalar(url, "SELECT count(DISTINCT worker) FROM lab_results"), "4") << "every worker took part";
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_inferences WHERE finished AND predicted = label"), "200");
  const auto status = test::runAidi({"lab", "status", "--lab", url});
  EXPECT_NE(status.output.find("0 planned, 0 running, 200 done"), std::string::npos) << status.output;
}

// kill -9 of a worker mid-run: its lease runs out, another worker claims
// the run again and finishes it; it is recorded once.
TEST(LabWorkers, AKilledWorkersRunIsClaimedAgainAndRecordedOnce) {
  NEED_SERVER();
  const std::string url = freshLab();
  auto dir = inst::TempDir::create("aidi-lab-");
  ASSERT_TRUE(dir);
  ASSERT_EQ(test::runAidi({"lab", "init", "--lab", url}).exitCode, 0);
  const auto file = dir->path() / "slow.toml";
  // mcunet-s under a weak constant harvest: many power cycles, seconds per run.
  std::ofstream(file) << "[campaign]\nname = \"slow\"\nsamples = 1\n[matrix]\nmodels = [\"mcunet-s\"]\n"
                         "policies = [\"loop\", \"aidi\"]\n[[condition]]\nname = \"weak\"\nconstant_w = 0.0002\n"
                         "capacitor_uf = 100\n";
  ASSERT_EQ(test::runAidi({"lab", "submit", file.string(), "--lab", url}).exitCode, 0);
  auto victim = startWorker(url, "victim", *dir, {"--lease", "2"});
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline &&
         scalar(url, "SELECT count(*) FROM lab_runs WHERE worker = 'victim' AND state = 'running'") != "1")
    std::this_thread::sleep_for(50ms);
  // The run it holds now (each takes seconds): killed in the middle of it.
  const std::string held = scalar(url, "SELECT plan_index FROM lab_runs WHERE worker = 'victim' AND state = 'running'");
  victim.signal(SIGKILL);
  (void)victim.wait(inst::Millis{10000});
  ASSERT_NE(held, "?") << victim.output();

  auto rescuer = startWorker(url, "rescuer", *dir, {"--lease", "2"});
  auto code = rescuer.wait(inst::Millis{300000});
  ASSERT_TRUE(code && *code == 0) << rescuer.output();
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_results"), "2");
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_inferences"), "2");
  EXPECT_EQ(scalar(url, "SELECT attempts >= 2 FROM lab_runs WHERE plan_index = " + held), "t")
      << "the killed run, claimed again";
  EXPECT_EQ(scalar(url, "SELECT r.worker FROM lab_results r JOIN lab_runs u ON u.uuid = r.run_uuid WHERE u.plan_index = " +
                            held),
            "rescuer");
}

// The server stops mid-campaign: the workers finish the runs in hand, keep
// them in their journals, and upload them when it is back; nothing is lost
// or recorded twice.
TEST(LabWorkers, AServerStoppedMidCampaignLosesNothing) {
  NEED_SERVER();
  const std::string url = freshLab();
  auto dir = inst::TempDir::create("aidi-lab-");
  ASSERT_TRUE(dir);
  ASSERT_EQ(test::runAidi({"lab", "init", "--lab", url}).exitCode, 0);
  const auto file = dir->path() / "outage.toml";
  std::ofstream(file) << campaignText("outage", 6, R"(["loop", "aidi"])", 2);
  ASSERT_EQ(test::runAidi({"lab", "submit", file.string(), "--lab", url}).exitCode, 0);
  std::vector<inst::Subprocess> workers;
  for (int i = 0; i < 2; ++i) workers.push_back(startWorker(url, "o" + std::to_string(i), *dir));
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && count(url, "SELECT count(*) FROM lab_results") < 3)
    std::this_thread::sleep_for(50ms);
  g_server->stop();
  std::this_thread::sleep_for(3s);  // the runs in hand end meanwhile
  ASSERT_EQ(g_server->restart(), "");
  for (auto& w : workers) {
    auto code = w.wait(inst::Millis{300000});
    ASSERT_TRUE(code && *code == 0) << w.output();
  }
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_results"), "24");
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_inferences"), "24");
  bool sawLoss = false;
  for (auto& w : workers) sawLoss |= w.output().find("lab server lost") != std::string::npos;
  EXPECT_TRUE(sawLoss) << "a worker noticed the outage";
}

// Tags route runs: a campaign for room a is not taken by room b's bench.
TEST(LabWorkers, TagsRouteRunsOnlyToBenchesThatHaveThem) {
  NEED_SERVER();
  const std::string url = freshLab();
  auto dir = inst::TempDir::create("aidi-lab-");
  ASSERT_TRUE(dir);
  ASSERT_EQ(test::runAidi({"lab", "init", "--lab", url}).exitCode, 0);
  const auto file = dir->path() / "room.toml";
  // c0 a constant harvest; c1 a trace beside the campaign, which travels
  // with it to the workers (they do not share this folder's files).
  std::filesystem::create_directories(dir->path() / "traces");
  std::filesystem::copy_file(AIDI_SOURCE_DIR "/fixtures/traces/indoor-strong.csv", dir->path() / "traces/light.csv");
  std::ofstream(file) << campaignText("room", 1, R"(["aidi"])", 1)
                      << "[[condition]]\nname = \"c1\"\ntrace = \"traces/light.csv\"\ncapacitor_uf = 100\n";
  ASSERT_EQ(test::runAidi({"lab", "submit", file.string(), "--lab", url, "--requires", "room=a"}).exitCode, 0);
  auto other = startWorker(url, "room-b", *dir, {"--tags", "room=b"});
  ASSERT_TRUE(other.wait(inst::Millis{60000}));
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_results"), "0") << other.output();
  auto right = startWorker(url, "room-a", *dir, {"--tags", "room=a"});
  ASSERT_TRUE(right.wait(inst::Millis{120000}));
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_results WHERE worker = 'room-a'"), "2") << right.output();

  // The lab's campaign pulled into a SQLite file reads as any run database.
  const auto out = dir->path() / "room.sqlite";
  const auto exported = test::runAidi({"lab", "export", "room", "--lab", url, "--out", out.string()});
  ASSERT_EQ(exported.exitCode, 0) << exported.output;
  const auto listed = test::jsonLines(test::runAidi({"list", "--db", out.string(), "--json"}).output);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["state"], "done");
  EXPECT_EQ(listed[0]["done"], 2);
  const auto report = test::runAidi({"report", "room", "--db", out.string(), "--format", "csv"});
  EXPECT_EQ(report.exitCode, 0) << report.output;
  EXPECT_NE(report.output.find("inas-tiny,mps2-an386,aidi,c0"), std::string::npos) << report.output;
  EXPECT_EQ(test::runAidi({"lab", "export", "room", "--lab", url, "--out", out.string()}).exitCode, 1)
      << "never over an existing database";
  // aidi report straight from the lab.
  const auto direct = test::runAidi({"report", "room", "--lab", url, "--format", "csv"});
  EXPECT_EQ(direct.exitCode, 0) << direct.output;
  EXPECT_NE(direct.output.find("inas-tiny,mps2-an386,aidi,c1"), std::string::npos) << direct.output;
  // A read-only role exports too (docs/lab.md).
  scalar(url, "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'aidi_reader') THEN "
              "CREATE ROLE aidi_reader LOGIN PASSWORD '" + std::string(test::PostgresServer::kPassword) + "'; END IF; END$$");
  scalar(url, "GRANT SELECT ON ALL TABLES IN SCHEMA public TO aidi_reader");
  std::string readerUrl = url;
  readerUrl.replace(readerUrl.find("aidi@"), 5, "aidi_reader@");
  const auto read = test::runAidi({"lab", "export", "room", "--lab", readerUrl, "--out", (dir->path() / "r.sqlite").string()});
  EXPECT_EQ(read.exitCode, 0) << read.output;
  EXPECT_NE(scalar(readerUrl, "INSERT INTO lab_meta VALUES ('x', 'y')").find("permission denied"), std::string::npos)
      << "the reader cannot write";
  const auto missing = test::runAidi({"lab", "export", "nope", "--lab", url, "--out", (dir->path() / "n.sqlite").string()});
  EXPECT_NE(missing.output.find("no campaign \"nope\""), std::string::npos) << missing.output;

  const auto bad = test::runAidi({"worker", "--lab", url, "--tags", "room"});
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.output.find("needs KEY=VALUE"), std::string::npos) << bad.output;
}

// A campaign for real benches exports too: its stored text named a bench
// file on each worker's host; the export stands a bench of the same target
// in for it, and the runs the lab recorded read as any run database's.
TEST(LabWorkers, ARealBenchCampaignExports) {
  NEED_SERVER();
  const std::string url = freshLab();
  auto dir = inst::TempDir::create("aidi-lab-");
  ASSERT_TRUE(dir);
  ASSERT_EQ(test::runAidi({"lab", "init", "--lab", url}).exitCode, 0);
  const auto submitted =
      test::runAidi({"lab", "submit", AIDI_SOURCE_DIR "/fixtures/campaigns/nucleo-demo.toml", "--lab", url});
  ASSERT_EQ(submitted.exitCode, 0) << submitted.output;
  EXPECT_EQ(scalar(url, "SELECT count(*) FROM lab_runs WHERE required->>'target' = 'nucleo-f412zg'"), "16");
  auto store = lab::LabStore::connect(url);
  ASSERT_TRUE(store);
  auto claim = store->claim("desk", {{"target", "nucleo-f412zg"}}, 30);
  ASSERT_TRUE(claim && *claim);
  ASSERT_TRUE(store->upload({(*claim)->uuid, "desk", 1, true, "", {{1, 0, 9, 9, true, 20.0, 15.5, 900.0, 3}}}));
  const auto out = dir->path() / "desk.sqlite";
  const auto exported = test::runAidi({"lab", "export", "nucleo-demo", "--lab", url, "--out", out.string()});
  ASSERT_EQ(exported.exitCode, 0) << exported.output;
  const auto listed = test::jsonLines(test::runAidi({"list", "--db", out.string(), "--json"}).output);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["done"], 1);
  EXPECT_EQ(listed[0]["remaining"], 15) << "what the lab has not recorded stays planned";
}

// aidi serve --lab: a campaign started over the API goes to the lab's
// workers; the server follows it to its end and lists, reports and exports
// it from the lab; what the lab does not keep is refused by name.
TEST(LabServe, ACampaignStartedOverTheApiRunsOnTheWorkersAndIsReadBack) {
  NEED_SERVER();
  const std::string url = freshLab();
  auto dir = inst::TempDir::create("aidi-lab-serve-");
  ASSERT_TRUE(dir);
  ASSERT_EQ(test::runAidi({"lab", "init", "--lab", url}).exitCode, 0);
  core::ApiServerOptions options;
  options.lab = url;
  options.modelZoo = core::defaultModelDirectory();
  auto server = core::ApiServer::start(options);
  ASSERT_TRUE(server) << server.error().message;
  core::ApiClientOptions to;
  to.port = (*server)->port();
  std::vector<nlohmann::json> streamed;
  std::mutex streamedMutex;
  to.onMessage = [&](const nlohmann::json& m) {
    std::lock_guard lock(streamedMutex);
    streamed.push_back(m);
  };
  auto client = core::ApiClient::connect(to);
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_EQ((*client)->hello()["lab"], url);
  ASSERT_TRUE((*client)->call("subscribe"));
  ASSERT_TRUE((*client)->call("lock"));
  auto started = (*client)->call("campaign.start", {{"toml", campaignText("served", 1, R"(["loop", "aidi"])", 1)}});
  ASSERT_TRUE(started) << started.error().message;
  const auto id = (*started)["campaign"].get<std::int64_t>();
  EXPECT_EQ(count(url, "SELECT count(*) FROM lab_runs"), 2);
  auto listed = (*client)->call("runs");
  ASSERT_TRUE(listed) << listed.error().message;
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0]["state"], "planned");
  auto worker = startWorker(url, "served-worker", *dir);
  auto waited = (*client)->call("campaign.wait", {{"timeout_s", 300}}, std::chrono::minutes(6));
  ASSERT_TRUE(waited) << waited.error().message;
  EXPECT_FALSE(waited->contains("error")) << waited->dump();
  ASSERT_TRUE(worker.wait(inst::Millis{60000}));
  {
    std::lock_guard lock(streamedMutex);
    ASSERT_FALSE(streamed.empty());
    EXPECT_EQ(streamed.back()["event"], "campaign_ended");
    EXPECT_EQ(streamed.back()["done"], 2);
  }
  auto runs = (*client)->call("runs", {{"campaign", id}});
  ASSERT_TRUE(runs) << runs.error().message;
  ASSERT_EQ(runs->size(), 2u);
  for (const auto& r : *runs) {
    auto summary = core::runSummaryOf(r);
    ASSERT_TRUE(summary) << r.dump();
    EXPECT_EQ(summary->state, "done");
    EXPECT_EQ(summary->finished, 1);
  }
  auto csv = (*client)->call("export", {{"campaign", id}, {"format", "csv"}});
  ASSERT_TRUE(csv) << csv.error().message;
  EXPECT_NE((*csv)["content"].get<std::string>().find("inas-tiny,mps2-an386,aidi,c0"), std::string::npos);
  auto sqlite = (*client)->call("export", {{"campaign", id}, {"format", "sqlite"}});
  ASSERT_TRUE(sqlite) << sqlite.error().message;
  EXPECT_GT((*sqlite)["bytes"].get<std::size_t>(), 0u);
  // What the lab does not keep, or cannot name.
  auto waveform = (*client)->call("stats", {{"run", 1}});
  ASSERT_FALSE(waveform);
  EXPECT_NE(waveform.error().message.find("keeps no waveforms"), std::string::npos) << waveform.error().message;
  auto byRun = (*client)->call("export", {{"run", 1}});
  ASSERT_FALSE(byRun);
  EXPECT_NE(byRun.error().message.find("export a campaign"), std::string::npos);
  auto unknown = (*client)->call("runs", {{"campaign", 999}});
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("999"), std::string::npos) << unknown.error().message;
  // A lab that is not there: the CLI refuses a password in the URL first.
  const auto refused = test::runAidi({"serve", "--lab", "postgresql://u:secret@127.0.0.1:1/x"});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_NE(refused.output.find("password"), std::string::npos) << refused.output;
  EXPECT_EQ(refused.output.find("secret"), std::string::npos) << "never echoed";
}
