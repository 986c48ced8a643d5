// `aidi run`, `aidi resume`, `aidi list`, `aidi report`: campaigns from the
// command line. Progress goes to stderr (a one-line bar on a terminal, a line
// per run otherwise) or, with --json, as JSON lines on stdout for scripts.
#include "campaign_commands.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "aidi/core/campaign_runner.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/report.hpp"
#include "aidi/core/interrupt.hpp"
#include "aidi/core/run_browser.hpp"
#include "exit_codes.hpp"

namespace aidi::cli {
namespace {

int fail(const Error& e) { return reportError(e); }

std::string clock(double seconds) {
  if (seconds < 0) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  return s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60) : fmt::format("{}:{:02}", s / 60, s % 60);
}

const char* kindName(core::CampaignEvent::Kind k) {
  switch (k) {
    case core::CampaignEvent::Kind::RunStarted: return "run_started";
    case core::CampaignEvent::Kind::PowerCycle: return "power_cycle";
    case core::CampaignEvent::Kind::Checkpoint: return "checkpoint";
    case core::CampaignEvent::Kind::SampleDone: return "sample_done";
    case core::CampaignEvent::Kind::RunEnded: return "run_ended";
  }
  return "?";
}

// Prints progress as the runner reports it.
class ProgressPrinter {
 public:
  explicit ProgressPrinter(bool json) : m_json(json), m_tty(isatty(STDERR_FILENO) == 1) {}

  void operator()(const core::CampaignEvent& e) {
    if (m_json) {
      if (e.kind == core::CampaignEvent::Kind::PowerCycle || e.kind == core::CampaignEvent::Kind::Checkpoint)
        return;  // too many for a script
      nlohmann::ordered_json j{{"event", kindName(e.kind)}, {"campaign", e.campaignId},
                               {"run", e.run.runId},        {"plan_index", e.run.planIndex},
                               {"model", e.run.plan.model}, {"policy", e.run.plan.policy},
                               {"condition", e.run.plan.condition}, {"repetition", e.run.plan.repetition},
                               {"sample", e.sample},        {"samples", e.samples},
                               {"runs_ended", e.runsEnded}, {"runs_total", e.runsTotal},
                               {"power_cycles", e.powerCycles}, {"elapsed_s", e.elapsedS}};
      if (e.etaS >= 0) j["eta_s"] = e.etaS;
      if (e.kind == core::CampaignEvent::Kind::RunEnded || e.kind == core::CampaignEvent::Kind::SampleDone) {
        j["ok"] = e.ok;
        if (!e.failure.empty()) j["failure"] = e.failure;
      }
      fmt::print("{}\n", j.dump());
      std::fflush(stdout);
      return;
    }
    const std::string what = fmt::format("{} / {} / {}{}", core::printable(e.run.plan.model), e.run.plan.policy,
                                         core::printable(e.run.plan.condition),
                                         e.run.plan.repetition ? fmt::format(" rep {}", e.run.plan.repetition) : "");
    if (e.kind == core::CampaignEvent::Kind::Checkpoint) return;
    if (m_tty) {
      constexpr int kWidth = 24;
      const int filled = e.runsTotal ? kWidth * e.runsEnded / e.runsTotal : 0;
      fmt::print(stderr, "\r\x1b[K[{}{}] {}/{} runs  {}  sample {}/{}  {} power cycles  ETA {}",
                 std::string(filled, '#'), std::string(kWidth - filled, '.'), e.runsEnded, e.runsTotal, what,
                 e.sample + 1, e.samples, e.powerCycles, clock(e.etaS));
      if (e.kind == core::CampaignEvent::Kind::RunEnded && !e.ok)
        fmt::print(stderr, "\r\x1b[K  run {} ({}): {}\n", e.run.runId, what, e.failure);
      std::fflush(stderr);
    } else if (e.kind == core::CampaignEvent::Kind::RunEnded) {
      fmt::print(stderr, "[{}/{}] {}: {}  (elapsed {}, ETA {})\n", e.runsEnded, e.runsTotal, what,
                 e.ok ? "done" : "failed: " + e.failure, clock(e.elapsedS), clock(e.etaS));
    }
  }
  void finish() {
    if (m_tty && !m_json) fmt::print(stderr, "\n");
  }

 private:
  bool m_json, m_tty;
};

// A database to read; a missing one says how one comes about.
Result<core::RunBrowser> openRecorded(const std::filesystem::path& database) {
  auto db = core::RunBrowser::open(database);
  if (std::error_code ec; !db && !std::filesystem::exists(database, ec))
    db.error().message += " (`aidi run CAMPAIGN.toml` records one there; --db or AIDI_DB names another)";
  return db;
}

// Runs (what remains of) a campaign, then prints where the results are.
int execute(std::int64_t campaignId, const CampaignOptions& o) {
  core::RunnerOptions runner;
  runner.database = o.database;
  runner.modelZoo = o.modelZoo;
  runner.subset = aidi::core::subsetFileFor(o.modelZoo);
  ProgressPrinter printer(o.json);
  runner.onEvent = [&](const core::CampaignEvent& e) { printer(e); };
  auto progress = core::runCampaign(campaignId, runner);
  printer.finish();
  if (!progress) return fail(progress.error());
  // Runs another process is executing are its to finish.
  if (progress->running > 0) {
    if (auto db = core::RunBrowser::open(o.database)) {
      if (auto held = db->heldRuns(campaignId); held && !held->empty()) {
        for (const auto& h : *held)
          fmt::print(stderr, "Run {} of campaign {} is being executed by another process ({}); it finishes it.\n",
                     h.runId, campaignId, h.owner);
      }
    }
  }

  auto report = core::buildReport(o.database, campaignId, o.modelZoo);
  if (!report) return fail(report.error());
  std::filesystem::path html = o.reportPath;
  if (html.empty()) html = std::filesystem::path(o.database).replace_extension("").string() + "-report.html";
  {
    std::ofstream out(html);
    core::writeHtml(*report, out);
    if (!out) return fail({ErrorCode::Io, "cannot write the report " + html.string()});
  }
  if (o.json) {
    fmt::print("{}\n", nlohmann::ordered_json{{"event", "campaign_ended"}, {"campaign", campaignId},
                                             {"done", progress->done}, {"failed", progress->failed},
                                             {"database", std::filesystem::absolute(o.database).string()},
                                             {"report", std::filesystem::absolute(html).string()}}
                           .dump());
  } else {
    fmt::print("\nCampaign {} \"{}\": {} runs done, {} failed.\n\n", campaignId, report->campaignName, progress->done,
               progress->failed);
    core::writeTerminalTable(*report, std::cout);
    fmt::print("\nDatabase: {}\nReport:   {}\n", std::filesystem::absolute(o.database).string(),
               std::filesystem::absolute(html).string());
  }
  return 0;
}

}  // namespace

int runCampaignFile(const std::filesystem::path& file, const CampaignOptions& o) {
  auto campaign = o.bench.empty() ? core::loadCampaignFile(file, o.modelZoo)
                                  : core::loadCampaignFileOnBench(file, o.bench, o.modelZoo);
  if (!campaign) return fail(campaign.error());
  if (std::error_code ec; o.database.has_parent_path() && !std::filesystem::create_directories(o.database.parent_path(), ec) && ec)
    return fail({ErrorCode::Io, o.database.parent_path().string() + ": cannot create the database's folder: " + ec.message()});
  auto id = core::planCampaign(*campaign, o.database);
  if (!id) return fail(id.error());
  if (!o.json)
    fmt::print(stderr, "Campaign {} \"{}\": {} runs x {} samples recorded in {}\n", *id, core::printable(campaign->name),
               campaign->runCount(), campaign->samples, o.database.string());
  return execute(*id, o);
}

int resumeCampaigns(const std::string& which, const CampaignOptions& o) {
  std::vector<std::int64_t> ids;
  {
    auto db = openRecorded(o.database);
    if (!db) return fail(db.error());
    if (!which.empty()) {
      auto id = db->resolveCampaign(which);
      if (!id) return fail(id.error());
      ids.push_back(*id);
    } else {
      auto unfinished = db->unfinishedCampaigns();
      if (!unfinished) return fail(unfinished.error());
      ids = *unfinished;
    }
  }
  if (ids.empty()) {
    fmt::print(stderr, "Nothing to resume: every campaign in {} is complete.\n", o.database.string());
    return 0;
  }
  for (const auto id : ids) {
    if (const int code = execute(id, o); code != 0) return code;
  }
  return 0;
}

int listCampaigns(const CampaignOptions& o) {
  auto db = openRecorded(o.database);
  if (!db) return fail(db.error());
  auto campaigns = db->campaigns();
  if (!campaigns) return fail(campaigns.error());
  if (o.json) {
    for (const auto& c : *campaigns)
      fmt::print("{}\n", nlohmann::ordered_json{{"id", c.id}, {"name", c.name}, {"state", c.state},
                                               {"created_at", c.createdAt}, {"runs", c.progress.total()},
                                               {"done", c.progress.done}, {"failed", c.progress.failed},
                                               {"remaining", c.progress.planned + c.progress.running}}
                                 .dump());
    return 0;
  }
  fmt::print("{:>4}  {:<24} {:<8} {:>5} {:>5} {:>7} {:>9}  {}\n", "id", "name", "state", "runs", "done", "failed",
             "remaining", "created");
  for (const auto& c : *campaigns)
    fmt::print("{:>4}  {:<24} {:<8} {:>5} {:>5} {:>7} {:>9}  {}\n", c.id, core::printable(c.name), c.state, c.progress.total(),
               c.progress.done, c.progress.failed, c.progress.planned + c.progress.running, c.createdAt);
  return 0;
}

int reportCampaign(const std::string& which, const std::string& format, const std::filesystem::path& out,
                   const std::filesystem::path& plots, const CampaignOptions& o) {
  std::int64_t campaignId = 0;
  std::optional<std::int64_t> run;
  {
    auto db = openRecorded(o.database);
    if (!db) return fail(db.error());
    if (which.starts_with("run:")) {
      const std::string id = which.substr(4);
      if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos)
        return fail({ErrorCode::NotFound, "\"" + which + "\": expected run:ID with a numeric id"});
      auto summaries = db->campaignOfRun(std::stoll(id));
      if (!summaries) return fail({ErrorCode::NotFound, summaries.error().message});
      campaignId = *summaries;
      run = std::stoll(id);
    } else {
      auto id = db->resolveCampaign(which);
      if (!id) return fail(id.error());
      campaignId = *id;
    }
  }
  auto report = core::buildReport(o.database, campaignId, o.modelZoo, run);
  if (!report) return fail(report.error());
  std::ofstream file;
  if (out != "-") {
    file.open(out);
    if (!file) return fail({ErrorCode::Io, "cannot write " + out.string()});
  }
  std::ostream& stream = out == "-" ? std::cout : file;
  if (format == "html") core::writeHtml(*report, stream);
  else if (format == "csv") core::writeCsv(*report, stream);
  else core::writeJson(*report, stream);
  stream.flush();
  if (!stream) return fail({ErrorCode::Io, "writing the report failed (disk full?): " + out.string()});
  if (out != "-") fmt::print(stderr, "Report: {}\n", std::filesystem::absolute(out).string());
  if (!plots.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(plots, ec);
    for (const auto& [name, svg] : core::plotSvgs(*report)) {
      const auto svgFile = plots / (name + ".svg");
      std::ofstream(svgFile) << svg << "\n";
      if (!std::filesystem::exists(svgFile, ec)) return fail({ErrorCode::Io, "cannot write " + svgFile.string()});
    }
  }
  return 0;
}

}  // namespace aidi::cli
