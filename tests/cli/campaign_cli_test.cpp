// Campaigns as a user runs them: `aidi run`, `resume`, `list`, `report`
// through the real binary, on the real virtual board (QEMU), into a real
// SQLite file. The kill -9 test is the overnight campaign's promise: whatever
// happens to the process, every planned run ends recorded exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../support/sqlite_scalar.hpp"
#include "aidi/db/database.hpp"
#include "aidi/db/waveform_store.hpp"
#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "../support/cli_run.hpp"

using namespace aidi::inst;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path kFixtures = fs::path(AIDI_SOURCE_DIR) / "fixtures";

using aidi::test::CliRun;
using aidi::test::runAidi;

void write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string read(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}


std::string campaign(const std::string& name, const std::string& models, const std::string& policies, int samples,
                     const std::string& conditionName = "weak") {
  return "[campaign]\nname = \"" + name + "\"\nsamples = " + std::to_string(samples) +
         "\ntime_limit_s = 120\n\n[matrix]\nmodels = " + models + "\npolicies = " + policies +
         "\n\n[[condition]]\nname = '" + conditionName + "'\ntrace = \"" +
         (kFixtures / "traces/indoor-weak.csv").string() + "\"\ncapacitor_uf = 100\n";
}

class CampaignCli : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("aidi-campaign-test-");
    ASSERT_TRUE(d) << d.error().message;
    dir.emplace(std::move(*d));
  }
  fs::path path(const std::string& name) const { return dir->path() / name; }
  std::optional<TempDir> dir;
};

// One default database for every command: without --db and AIDI_DB, the
// user's data folder (created on the first run); AIDI_DB names another; a
// missing one says how one comes about.
TEST_F(CampaignCli, EveryCommandFindsTheSameDefaultDatabase) {
  write(path("c.toml"), campaign("home", R"(["inas-tiny"])", R"(["aidi"])", 1));
  const std::string home = "HOME=" + path("home").string();
  const auto inHome = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"/usr/bin/env", "-u", "AIDI_DB", "-u", "XDG_DATA_HOME", home, AIDI_CLI_PATH});
    auto child = Subprocess::spawn(args);
    if (!child) return CliRun{-1, child.error().message};
    auto code = child->wait(120000ms);
    return CliRun{code ? *code : -1, child->output()};
  };
  const auto missing = inHome({"list"});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_NE(missing.output.find("no such database (`aidi run CAMPAIGN.toml` records one there"), std::string::npos)
      << missing.output;
  ASSERT_EQ(inHome({"run", path("c.toml").string()}).exitCode, 0);
  EXPECT_TRUE(fs::exists(path("home") / ".local/share/aidi-bench/aidi.sqlite"));
  EXPECT_NE(inHome({"list"}).output.find("home"), std::string::npos);
  EXPECT_NE(inHome({"report", "home", "--format", "csv"}).output.find("inas-tiny"), std::string::npos);
  // AIDI_DB: another database for every command.
  auto other = Subprocess::spawn({"/usr/bin/env", home, "AIDI_DB=" + path("other.sqlite").string(), AIDI_CLI_PATH, "list"});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->wait(60000ms).value_or(-1), 1) << other->output();
  EXPECT_NE(other->output().find(path("other.sqlite").string() + ": no such database"), std::string::npos)
      << other->output();
}

TEST_F(CampaignCli, RunsACampaignEndToEndRecordsItAndReportsIt) {
  write(path("c.toml"), campaign("e2e", R"(["inas-tiny", "mcunet-s"])", R"(["layer", "aidi"])", 2));
  const auto db = path("runs.sqlite");
  const auto r = runAidi({"run", path("c.toml"), "--db", db, "--report", path("report.html")});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("Report:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("mcunet-s     aidi"), std::string::npos) << "the headline table: " << r.output;

  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs"), 4);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT state = 'done' FROM campaigns"), 1);
  // mcunet-s under `layer` cannot finish a layer in one 100 uF power cycle:
  // recorded as failed with the reason, the others done.
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'done'"), 3);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'failed' AND model = 'mcunet-s' AND policy = 'layer'"
                       " AND failure LIKE '%did not finish%'"), 1);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences WHERE finished = 1"), 6);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences WHERE finished = 1 AND energy_bound_s > 0"
                       " AND latency_s >= energy_bound_s AND harvest_w > 0"), 6);
  // Every recorded inference carries the virtual board's cycle count and its
  // telemetry's cost (what the budget paid to be observed).
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences WHERE finished = 1"
                       " AND active_m4_cycles > active_cycles AND plain_m4_cycles > plain_cycles"
                       " AND telemetry_instructions > 0 AND telemetry_instructions < active_cycles"), 6);
  EXPECT_GT(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM power_cycles"), 20);
  EXPECT_GT(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM checkpoints"), 10);

  const std::string html = read(path("report.html"));
  for (const char* needle : {"AIDI Bench report: e2e", "mcunet-s", "inas-tiny", "<svg", "Capacitor voltage",
                             "Accuracy on device vs median latency", "did not finish", "Physical assumptions",
                             "Provenance", "Energy per inference"})
    EXPECT_NE(html.find(needle), std::string::npos) << needle;
  for (const char* external : {"src=", "href=", "<link", "<script", "url("})
    EXPECT_EQ(html.find(external), std::string::npos) << "the report must not load anything: " << external;

  const auto json = runAidi({"report", "e2e", "--db", db, "--format", "json"});
  ASSERT_EQ(json.exitCode, 0) << json.output;
  const auto j = nlohmann::json::parse(json.output);
  ASSERT_EQ(j["cells"].size(), 4u);
  for (const auto& cell : j["cells"]) {
    const bool layerOnMcunet = cell["model"] == "mcunet-s" && cell["policy"] == "layer";
    EXPECT_EQ(cell["all_finished"].get<bool>(), !layerOnMcunet) << cell.dump();
    if (!layerOnMcunet) {
      EXPECT_GE(cell["ratio"]["median"].get<double>(), 1.0) << cell.dump();
    }
  }
  EXPECT_GT(j["models"][0]["params"].get<int>(), 0);
  // Where the results come from: the campaign file, the bench that planned
  // it, and one firmware build (its hash) behind every inference.
  const auto& provenance = j["provenance"];
  EXPECT_NE(provenance["campaign_file"].get<std::string>().find("c.toml"), std::string::npos) << provenance.dump();
  EXPECT_FALSE(provenance["bench_version"].get<std::string>().empty());
  EXPECT_FALSE(provenance["host"].get<std::string>().empty());
  EXPECT_FALSE(provenance["finished_at"].get<std::string>().empty());
  ASSERT_EQ(provenance["firmware_builds"].size(), 1u) << provenance.dump();
  const std::string build = provenance["firmware_builds"].begin().key();
  EXPECT_EQ(build.size(), 16u);
  EXPECT_EQ(build.find_first_not_of("0123456789abcdef"), std::string::npos) << build;
  EXPECT_EQ(provenance["inferences_without_build"].get<int>(), 0);

  const auto csv = runAidi({"report", "1", "--db", db, "--format", "csv"});
  ASSERT_EQ(csv.exitCode, 0) << csv.output;
  EXPECT_TRUE(csv.output.starts_with("model,board,policy,condition,")) << csv.output;
  EXPECT_EQ(std::count(csv.output.begin(), csv.output.end(), '\n'), 5);

  const auto list = runAidi({"list", "--db", db});
  ASSERT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("e2e"), std::string::npos);
  // --json: one object per campaign and line, as every --json of aidi.
  const auto listed = aidi::test::jsonLines(runAidi({"list", "--db", db, "--json"}).output);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["name"], "e2e");
  EXPECT_EQ(listed[0]["state"], "done");
}

TEST_F(CampaignCli, KilledMidCampaignThenResumedRecordsEveryRunExactlyOnce) {
  write(path("c.toml"), campaign("overnight", R"(["inas-tiny", "mcunet-s"])", R"(["fixed-tile", "loop", "aidi"])", 2));
  const auto db = path("runs.sqlite");
  auto child = Subprocess::spawn({AIDI_CLI_PATH, "run", path("c.toml").string(), "--db", db.string(), "--json"});
  ASSERT_TRUE(child) << child.error().message;
  // Kill it when the mcunet-s runs (many power cycles each) are under way.
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = child->output();
    if (out.find("\"model\":\"mcunet-s\"") != std::string::npos) break;
    std::this_thread::sleep_for(20ms);
  }
  std::this_thread::sleep_for(150ms);
  ASSERT_EQ(::kill(child->pid(), SIGKILL), 0);
  (void)child->wait(10000ms);
  const auto ended = aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state IN ('done', 'failed')");
  EXPECT_GE(ended, 3) << child->output();
  EXPECT_LT(ended, 6) << "the kill came too late to test anything";

  const auto resumed = runAidi({"resume", "--db", db, "--json"});
  ASSERT_EQ(resumed.exitCode, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("campaign_ended"), std::string::npos);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'done'"), 6);
  // Exactly once: each run has its samples, from its current attempt only.
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences"), 12);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences i JOIN runs r ON r.id = i.run_id AND r.attempt = i.attempt"), 12);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM (SELECT run_id, inference FROM inferences GROUP BY run_id, inference"
                       " HAVING COUNT(*) > 1)"), 0);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM power_cycles p JOIN runs r ON r.id = p.run_id WHERE p.attempt != r.attempt"), 0);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT state = 'done' FROM campaigns"), 1);

  const auto again = runAidi({"resume", "--db", db});
  EXPECT_EQ(again.exitCode, 0) << again.output;
  EXPECT_NE(again.output.find("Nothing to resume"), std::string::npos) << again.output;
}

TEST_F(CampaignCli, CtrlCStopsCleanlyAndResumeFinishes) {
  write(path("c.toml"), campaign("interrupted", R"(["mcunet-s"])", R"(["fixed-tile", "aidi"])", 1));
  const auto db = path("runs.sqlite");
  auto child = Subprocess::spawn({AIDI_CLI_PATH, "run", path("c.toml").string(), "--db", db.string(), "--json"});
  ASSERT_TRUE(child) << child.error().message;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && child->output().find("run_started") == std::string::npos)
    std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(100ms);
  ASSERT_EQ(::kill(child->pid(), SIGINT), 0);
  auto code = child->wait(30000ms);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 130) << child->output();
  EXPECT_NE(child->output().find("aidi resume"), std::string::npos) << child->output();
  EXPECT_LT(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'done'"), 2);

  const auto resumed = runAidi({"resume", "interrupted", "--db", db});
  ASSERT_EQ(resumed.exitCode, 0) << resumed.output;
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'done'"), 2);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences"), 2);
}

TEST_F(CampaignCli, InvalidCampaignFilesFailBeforeAnyRun) {
  const std::string valid = campaign("bad", R"(["inas-tiny"])", R"(["aidi"])", 1);
  const auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = valid;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {replace("\"inas-tiny\"", "\"resnet-9000\""), "unknown model \"resnet-9000\""},
      {replace("capacitor_uf = 100", "capacitor_uf = -100"), "condition[0].capacitor_uf: must be from 0.001 to 1e+07"},
      {replace("indoor-weak.csv", "no-such-trace.csv"), "condition[0].trace"},
      {replace("[matrix]", "[matrix"), "bad TOML"},
  };
  for (const auto& [text, expected] : cases) {
    write(path("bad.toml"), text);
    const auto db = path("never.sqlite");
    const auto r = runAidi({"run", path("bad.toml"), "--db", db});
    EXPECT_EQ(r.exitCode, 1) << r.output;
    EXPECT_NE(r.output.find(path("bad.toml").string() + ":"), std::string::npos) << "names the file and line: " << r.output;
    EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(db)) << "nothing may start before the file is valid";
  }
  const auto missing = runAidi({"run", path("absent.toml"), "--db", path("never.sqlite")});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_NE(missing.output.find("absent.toml"), std::string::npos) << missing.output;
}

TEST_F(CampaignCli, ReportKeepsHostileNamesAsText) {
  // A model and a condition whose names are markup stay text in the report.
  const fs::path zoo = path("zoo");
  fs::create_directories(zoo);
  fs::copy(kFixtures / "models/inas-tiny", zoo / "<script>", fs::copy_options::recursive);
  write(path("c.toml"), campaign("<b>names</b>", R"(["<script>"])", R"(["aidi"])", 1, "<img src=x onerror=alert(1)>"));
  const auto db = path("runs.sqlite");
  const auto r = runAidi({"run", path("c.toml"), "--db", db, "--dir", zoo, "--report", path("report.html")});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const std::string html = read(path("report.html"));
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>names"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;names&lt;/b&gt;"), std::string::npos);

  const auto csv = runAidi({"report", "1", "--db", db, "--dir", zoo, "--format", "csv"});
  ASSERT_EQ(csv.exitCode, 0) << csv.output;
  EXPECT_NE(csv.output.find("<script>,mps2-an386,aidi,<img src=x onerror=alert(1)>,"), std::string::npos) << csv.output;
}

TEST_F(CampaignCli, ACampaignWhereNothingFinishesStillReports) {
  write(path("c.toml"), campaign("hopeless", R"(["mcunet-s"])", R"(["layer"])", 1));
  const auto r = runAidi({"run", path("c.toml"), "--db", path("runs.sqlite"), "--report", path("report.html")});
  ASSERT_EQ(r.exitCode, 0) << "a failed run is a result, not an error: " << r.output;
  EXPECT_NE(r.output.find("did not finish"), std::string::npos) << r.output;
  EXPECT_NE(read(path("report.html")).find("</html>"), std::string::npos);
  const auto plots = runAidi({"report", "hopeless", "--db", path("runs.sqlite"), "--format", "json", "--plots",
                              path("plots")}, 30000ms);
  ASSERT_EQ(plots.exitCode, 0) << plots.output;
  EXPECT_TRUE(fs::exists(path("plots/latency-vs-power-mcunet-s.svg"))) << "one plot per model";
}

TEST_F(CampaignCli, ReportErrorsNameWhatIsMissing) {
  const auto noDb = runAidi({"report", "demo", "--db", path("absent.sqlite")});
  EXPECT_EQ(noDb.exitCode, 1);
  EXPECT_NE(noDb.output.find("absent.sqlite"), std::string::npos) << noDb.output;
  EXPECT_FALSE(fs::exists(path("absent.sqlite"))) << "a report must not create a database";

  write(path("c.toml"), campaign("small", R"(["inas-tiny"])", R"(["aidi"])", 1));
  ASSERT_EQ(runAidi({"run", path("c.toml"), "--db", path("runs.sqlite")}).exitCode, 0);
  const auto unknown = runAidi({"report", "nightly", "--db", path("runs.sqlite")});
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_NE(unknown.output.find("no campaign named \"nightly\""), std::string::npos) << unknown.output;
  const auto noRun = runAidi({"report", "run:999", "--db", path("runs.sqlite")});
  EXPECT_EQ(noRun.exitCode, 1);
  EXPECT_NE(noRun.output.find("no run with id 999"), std::string::npos) << noRun.output;
  const auto run = runAidi({"report", "run:1", "--db", path("runs.sqlite"), "--out", path("run.html")});
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_NE(read(path("run.html")).find("run 1: inas-tiny / mps2-an386 / aidi"), std::string::npos);
}

}  // namespace

// Boards are data: a new profile file, named in a campaign, changes the
// energy-bound limit and the report with no code change. The new board
// clocks twice as fast as the virtual board's profile; inas-tiny under
// 100 uF is compute-bound (its energy fits the capacitor), so the limit
// N / f halves exactly, and the report prints the new board's figures and
// sources. The profile is recorded with the campaign: a resume after the file
// changed runs with the figures the campaign started with.
TEST_F(CampaignCli, ANewBoardProfileFileChangesTheBoundAndTheReport) {
  const fs::path boards = path("boards");
  fs::create_directories(boards);
  fs::copy(fs::path(AIDI_SOURCE_DIR) / "boards/mps2-an386.toml", boards / "mps2-an386.toml");
  std::string profile = read(fs::path(AIDI_SOURCE_DIR) / "boards/mps2-an386.toml");
  const auto replaceOnce = [](std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  };
  replaceOnce(profile, "name = \"mps2-an386\"", "name = \"fast-m4\"");
  replaceOnce(profile, "clock_hz = { value = 25e6,", "clock_hz = { value = 50e6,");
  write(boards / "fast-m4.toml", profile);

  std::string text = campaign("boards", R"(["inas-tiny"])", R"(["aidi"])", 1);
  replaceOnce(text, "policies = [\"aidi\"]", "policies = [\"aidi\"]\nboards = [\"mps2-an386\", \"fast-m4\"]");
  text += "v_start = 3.0\n";  // charged: the clock, not the first charge, decides the bound
  write(path("c.toml"), text);
  const auto db = path("runs.sqlite");
  setenv("AIDI_BOARDS", boards.c_str(), 1);
  const auto r = runAidi({"run", path("c.toml"), "--db", db});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("fast-m4"), std::string::npos) << "the table has a board column: " << r.output;
  write(boards / "fast-m4.toml", "this is no longer a profile");  // the campaign recorded its own copy
  const auto json = runAidi({"report", "boards", "--db", db, "--format", "json"});
  unsetenv("AIDI_BOARDS");
  ASSERT_EQ(json.exitCode, 0) << json.output;
  const auto j = nlohmann::json::parse(json.output);
  ASSERT_EQ(j["cells"].size(), 2u);
  std::map<std::string, double> bound;
  for (const auto& c : j["cells"]) bound[c["board"]] = c["energy_bound_s"].get<double>();
  ASSERT_GT(bound["mps2-an386"], 0);
  EXPECT_NEAR(bound["fast-m4"] / bound["mps2-an386"], 0.5, 1e-9);
  ASSERT_EQ(j["boards"].size(), 2u);
  EXPECT_EQ(j["boards"][1]["name"], "fast-m4");
  EXPECT_DOUBLE_EQ(j["boards"][1]["clock_hz"].get<double>(), 50e6);
  EXPECT_FALSE(j["boards"][1]["sources"]["clock_hz"].get<std::string>().empty());
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM board_profiles"), 2);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE board = 'fast-m4' AND state = 'done'"), 1);
}

// Read-only use: another user (or a read-only mount) can list, report and
// export a database it cannot write, WAL and all, and nothing is written.
TEST_F(CampaignCli, ReadOnlyDatabasesCanBeListedReportedAndExported) {
  if (::geteuid() != 0 || std::system("command -v runuser > /dev/null 2>&1") != 0)
    GTEST_SKIP() << "needs root and runuser to act as another user";
  write(path("c.toml"), campaign("ro", R"(["inas-tiny"])", R"(["aidi"])", 1));
  const auto db = path("runs.sqlite");
  ASSERT_EQ(runAidi({"run", path("c.toml"), "--db", db}).exitCode, 0);
  // Another user's folder and file, readable but not writable by "nobody";
  // no -shm may be created beside it.
  for (const char* leftover : {"-wal", "-shm"}) fs::remove(db.string() + leftover);
  fs::permissions(dir->path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  const auto before = fs::last_write_time(db);
  const auto asNobody = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"runuser", "-u", "nobody", "--", AIDI_CLI_PATH});
    auto child = Subprocess::spawn(args);
    if (!child) return CliRun{-1, child.error().message};
    auto code = child->wait(60000ms);
    return CliRun{code ? *code : -1, child->output()};
  };
  const auto list = asNobody({"list", "--db", db.string()});
  EXPECT_EQ(list.exitCode, 0) << list.output;
  EXPECT_NE(list.output.find("ro"), std::string::npos) << list.output;
  const auto report = asNobody({"report", "ro", "--db", db.string(), "--format", "json"});
  EXPECT_EQ(report.exitCode, 0) << report.output;
  EXPECT_NE(report.output.find("\"cells\""), std::string::npos) << report.output;
  const auto exported = asNobody({"db", "export", "--db", db.string(), "--table", "runs", "--out", "-"});
  EXPECT_EQ(exported.exitCode, 0) << exported.output;
  EXPECT_NE(exported.output.find("inas-tiny"), std::string::npos) << exported.output;
  const auto check = asNobody({"db", "check", "--db", db.string()});
  EXPECT_EQ(check.exitCode, 0) << check.output;
  EXPECT_EQ(fs::last_write_time(db), before) << "reading never writes";
  EXPECT_FALSE(fs::exists(db.string() + "-shm"));
  fs::permissions(dir->path(), fs::perms::owner_all);
}

namespace {
// `aidi run CAMPAIGN --db DB --json` in the background, returned once its
// first run has started.
Result<Subprocess> startRunUntilFirstRunStarts(const fs::path& campaignFile, const fs::path& db) {
  auto child = Subprocess::spawn({AIDI_CLI_PATH, "run", campaignFile.string(), "--db", db.string(), "--json"});
  if (!child) return child;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && child->output().find("run_started") == std::string::npos)
    std::this_thread::sleep_for(10ms);
  return child;
}
}  // namespace

// Two processes on one campaign: a run has an owner, a live owner's run is
// never taken, so the work is shared and every run ends recorded once (two
// resumes once both ran the remaining runs). The second names who holds the
// run it leaves.
TEST_F(CampaignCli, TwoProcessesOnOneCampaignShareTheRunsAndNeverRunOneTwice) {
  write(path("c.toml"), campaign("shared", R"(["inas-tiny"])", R"(["layer", "fixed-tile", "loop", "aidi"])", 2));
  const auto db = path("runs.sqlite");
  auto first = startRunUntilFirstRunStarts(path("c.toml"), db);
  ASSERT_TRUE(first) << first.error().message;
  const auto second = runAidi({"resume", "shared", "--db", db});
  EXPECT_EQ(second.exitCode, 0) << second.output;
  auto code = first->wait(120000ms);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << first->output();
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'done'"), 4)
      << "first (pid " << first->pid() << ", exit " << *code << ", " << first->output().size() << " bytes):\n"
      << first->output() << "\nsecond:\n" << second.output << "\nplanned "
      << aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'planned'") << ", running "
      << aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'running'") << ", failed "
      << aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'failed'");
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT MAX(attempt) FROM runs"), 1) << "no run was taken from a live owner";
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences"), 8);
}

TEST_F(CampaignCli, AResumeLeavesARunALiveProcessHoldsAndSaysWho) {
  // One long run: mcunet-s under the loop policy, eight images (seconds).
  write(path("c.toml"), campaign("held", R"(["mcunet-s"])", R"(["loop"])", 8));
  const auto db = path("runs.sqlite");
  auto first = startRunUntilFirstRunStarts(path("c.toml"), db);
  ASSERT_TRUE(first) << first.error().message;
  const auto second = runAidi({"resume", "held", "--db", db});
  const bool stillRunning = aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'running'") == 1;
  EXPECT_EQ(second.exitCode, 0) << second.output;
  ASSERT_TRUE(stillRunning) << "the first process finished before the second looked: nothing was tested";
  EXPECT_NE(second.output.find("is being executed by another process"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find(std::to_string(first->pid())), std::string::npos) << "names the holder: " << second.output;
  auto code = first->wait(120000ms);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0) << first->output();
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT attempt FROM runs"), 1) << "the run was never taken over";
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'done'"), 1);
}

namespace {
// A trace at the finest resolution allowed (1 us) that harvests almost
// nothing: recharging walks billions of its pieces, long enough to hang a
// process that does not check for Ctrl-C or its time limit while charging.
void writeFineDarkTrace(const fs::path& file) {
  std::ofstream out(file);
  out << "time_s,power_w\n";
  for (int i = 0; i <= 1000; ++i) out << i * 1e-6 << "," << (i % 2 ? "0" : "1e-9") << "\n";
}
}  // namespace

// Ctrl-C (and SIGTERM) are answered within a second even in the middle of a
// long simulated charge.
TEST_F(CampaignCli, CtrlCIsAnsweredWithinASecondDuringALongCharge) {
  writeFineDarkTrace(path("dark.csv"));
  for (const int sig : {SIGINT, SIGTERM}) {
    auto child = Subprocess::spawn({AIDI_CLI_PATH, "sim", "--model", "inas-tiny", "--policy", "loop", "--cap", "10",
                                    "--trace", path("dark.csv").string()});
    ASSERT_TRUE(child) << child.error().message;
    std::this_thread::sleep_for(3s);  // QEMU up, the first cycle spent, charging
    const auto sent = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(child->pid(), sig), 0);
    auto code = child->wait(10000ms);
    ASSERT_TRUE(code) << "still running 10 s after the signal";
    EXPECT_EQ(*code, 130) << child->output();
    EXPECT_LT(std::chrono::steady_clock::now() - sent, 3s) << "answered within a second (with margin for a loaded machine)";
  }
}

// A run's wall-time limit is honoured inside a power cycle's charge too: the
// run fails naming the limit, the campaign ends.
TEST_F(CampaignCli, TheTimeLimitIsHonouredInsideALongCharge) {
  writeFineDarkTrace(path("dark.csv"));
  std::string text = campaign("limited", R"(["inas-tiny"])", R"(["loop"])", 1);
  text.replace(text.find("time_limit_s = 120"), 18, "time_limit_s = 2");
  text.replace(text.find((kFixtures / "traces/indoor-weak.csv").string()),
               (kFixtures / "traces/indoor-weak.csv").string().size(), path("dark.csv").string());
  text.replace(text.find("capacitor_uf = 100"), 18, "capacitor_uf = 10");
  write(path("c.toml"), text);
  const auto db = path("runs.sqlite");
  const auto started = std::chrono::steady_clock::now();
  const auto r = runAidi({"run", path("c.toml"), "--db", db});
  EXPECT_LT(std::chrono::steady_clock::now() - started, 60s) << r.output;
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state = 'failed' AND failure LIKE "
                                         "'%wall-time limit%'"), 1) << r.output;
}

// A condition spreads its inferences over start times of the trace, each
// requested with the capacitor just browned out; a run that used the trace
// past its end says so in the events.
TEST_F(CampaignCli, StartTimesSpreadTheInferencesAndAWrappedTraceIsReported) {
  std::string text = campaign("spread", R"(["inas-tiny"])", R"(["aidi"])", 1);
  text += "starts = 3\nseed = 5\n";
  text += "\n[[condition]]\nname = 'late'\ntrace = \"" + (kFixtures / "traces/indoor-weak.csv").string() +
          "\"\ncapacitor_uf = 100\nstart_s = 58\n";
  write(path("c.toml"), text);
  const auto db = path("runs.sqlite");
  const auto r = runAidi({"run", path("c.toml"), "--db", db});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const std::string spread = " FROM inferences i JOIN runs r ON r.id = i.run_id WHERE r.condition = 'weak'";
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*)" + spread), 3);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(DISTINCT start_s)" + spread), 3);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*)" + spread + " AND sample = 0 AND v_start = 2.0"), 3);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*)" + spread + " AND start_s >= 0 AND start_s < 60"), 3);
  // Each start has its own limit: the harvest it meets differs.
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(DISTINCT energy_bound_s)" + spread), 3);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM events e JOIN runs r ON r.id = e.run_id"
                                   " WHERE e.kind = 'trace-wrapped' AND r.condition = 'late'"),
            1);
  EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM events e JOIN runs r ON r.id = e.run_id"
                                   " WHERE e.kind = 'trace-wrapped' AND r.condition = 'weak'"),
            aidi::test::sqliteScalar(db, "SELECT COUNT(*)" + spread + " AND start_s + latency_s > 60"));
}

// A continuous condition runs a window per run: a row per request served,
// its latency from the request's arrival, and a summary of the rates.
TEST_F(CampaignCli, AContinuousConditionRecordsEveryRequestAndItsRates) {
  std::string text = campaign("cont", R"(["inas-tiny"])", R"(["aidi", "loop"])", 1);
  text += "v_start = 3.0\nmode = \"continuous\"\nduration_s = 120\nperiod_s = 10\ndeadline_s = 30\n";
  write(path("c.toml"), text);
  const auto db = path("runs.sqlite");
  const auto r = runAidi({"run", path("c.toml"), "--db", db});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  for (const std::string policy : {"aidi", "loop"}) {
    const std::string rows = " FROM inferences i JOIN runs r ON r.id = i.run_id WHERE r.policy = '" + policy + "'";
    const auto served = aidi::test::sqliteScalar(db, "SELECT COUNT(*)" + rows);
    EXPECT_GE(served, 2) << policy;
    EXPECT_LE(served, 12) << policy;
    EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*)" + rows + " AND latency_s > 0 AND start_s = 10 * (inference - 1)"),
              served)
        << policy << ": each request arrives on its period";
    EXPECT_EQ(aidi::test::sqliteScalar(db, "SELECT COUNT(*) FROM events e JOIN runs r ON r.id = e.run_id"
                                           " WHERE e.kind = 'continuous' AND r.policy = '" + policy + "'"),
              1)
        << policy;
  }
}

// Waveforms on the virtual bench: each inference's modelled current, voltage
// and power, sampled at >= 100 kS/s while the device runs; their integral is
// the inference's recorded energy, current x voltage is power, and the
// voltage at each power-on is the capacitor's V_on.
TEST_F(CampaignCli, ModelledWaveformsIntegrateToTheRecordedEnergy) {
  std::string text = campaign("waves", R"(["inas-tiny", "mcunet-s"])", R"(["loop", "aidi"])", 1);
  text.insert(text.find("\n\n[matrix]"), "\nwaveforms = true");
  write(path("c.toml"), text);
  const auto dbPath = path("runs.sqlite");
  const auto r = runAidi({"run", path("c.toml"), "--db", dbPath});
  ASSERT_EQ(r.exitCode, 0) << r.output;

  auto db = aidi::db::Database::open(dbPath);
  ASSERT_TRUE(db) << db.error().message;
  aidi::db::WaveformReader reader(*db);
  int checked = 0;
  for (std::int64_t runId = 1; runId <= 4; ++runId) {
    auto channels = aidi::db::listChannels(*db, runId, 1, 0);
    ASSERT_TRUE(channels) << channels.error().message;
    ASSERT_EQ(channels->size(), 3u) << "run " << runId;
    std::map<std::string, aidi::db::ChannelInfo> by;
    for (const auto& c : *channels) by[c.name] = c;
    const auto& power = by.at("power");
    auto energy = reader.stats(power, power.startS(), power.endS());
    ASSERT_TRUE(energy) << energy.error().message;
    const double recordedJ =
        aidi::test::sqliteReal(dbPath, "SELECT energy_uj FROM inferences WHERE run_id = " + std::to_string(runId)) * 1e-6;
    ASSERT_GT(recordedJ, 0);
    EXPECT_NEAR(energy->integral, recordedJ, 0.005 * recordedJ) << "run " << runId;
    // Its parts (by layer and activity) add up to it too, and the NVM's
    // transfers show in the waveform at the board's transfer power (FRAM
    // active, 3.6 mW over the MCU's 5.9 mW).
    const double partsJ = aidi::test::sqliteReal(
        dbPath, "SELECT SUM(joules) FROM inference_energy WHERE run_id = " + std::to_string(runId));
    EXPECT_NEAR(partsJ, recordedJ, 1e-6 * recordedJ) << "run " << runId;
    EXPECT_NEAR(energy->max, 5.925e-3 + 3.6e-3, 1e-5) << "a transfer's 10 us bins, run " << runId;

    // Each power-on: sampled fast, at the capacitor's V_on, drawing power.
    const double firstOn = aidi::test::sqliteReal(
        dbPath, "SELECT MIN(start_s) FROM power_cycles WHERE run_id = " + std::to_string(runId));
    const auto fast = std::find_if(power.segments.begin(), power.segments.end(),
                                   [&](const auto& s) { return std::abs(s.t0 - firstOn) < 1e-9; });
    ASSERT_NE(fast, power.segments.end()) << "a segment starts at the power-on, run " << runId;
    EXPECT_GE(fast->rateHz, 100e3);
    auto v = reader.samples(by.at("voltage"), firstOn, firstOn + 1e-4, 100);
    auto i = reader.samples(by.at("current"), firstOn, firstOn + 1e-4, 100);
    auto p = reader.samples(power, firstOn, firstOn + 1e-4, 100);
    ASSERT_TRUE(v && i && p);
    ASSERT_FALSE(v->empty());
    EXPECT_NEAR(v->front().second, 3.0, 0.01) << "V_on of the condition";
    for (std::size_t k = 0; k < v->size(); ++k) {
      EXPECT_GT((*p)[k].second, 1e-3) << "running";
      EXPECT_NEAR((*i)[k].second * (*v)[k].second, (*p)[k].second, 1e-6);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 4);

  // The report says where the energy went, cell by cell and layer by layer.
  const auto json = runAidi({"report", "waves", "--db", dbPath, "--format", "json"});
  ASSERT_EQ(json.exitCode, 0) << json.output;
  const auto report = nlohmann::json::parse(json.output);
  for (const auto& cell : report["cells"]) {
    const auto& split = cell["energy_split_j"];
    ASSERT_TRUE(split.is_object()) << cell.dump();
    double sum = 0;
    for (const char* part : {"compute", "nvm", "boot", "reexecuted", "sensing", "asleep"}) sum += split[part].get<double>();
    EXPECT_NEAR(sum, cell["energy_per_inference_j"].get<double>(), 1e-6 * sum) << cell.dump();
    EXPECT_GT(split["layers"].size(), 4u);
    EXPECT_GT(cell["average_power_w"].get<double>(), 0.0);
  }
  const auto html = runAidi({"report", "waves", "--db", dbPath});
  EXPECT_NE(html.output.find("Where the energy goes, layer by layer: mcunet-s"), std::string::npos);
  EXPECT_NE(html.output.find("Best policy per model and condition"), std::string::npos);
}
