#include "lab_commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "aidi/core/install_layout.hpp"
#include "campaign_commands.hpp"
#include "exit_codes.hpp"
#include "aidi/core/lab.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/run_owner.hpp"

namespace aidi::cli {

namespace {

int fail(const Error& e) { return reportError(e); }

nlohmann::ordered_json tagsJson(const lab::Tags& tags) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : tags) j[k] = v;
  return j;
}

}  // namespace

int labInit(const LabOptions& o) {
  auto url = core::labUrl(o.url);
  if (!url) return fail(url.error());
  auto schema = core::initLab(*url);
  if (!schema) return fail(schema.error());
  if (o.json)
    fmt::print("{}\n", nlohmann::ordered_json{{"lab", *url}, {"schema", *schema}}.dump());
  else
    fmt::print("lab {} ready (schema {})\n", *url, *schema);
  return 0;
}

int labSubmit(const std::filesystem::path& campaign, const std::string& requires_, const std::filesystem::path& zoo,
              const LabOptions& o) {
  auto url = core::labUrl(o.url);
  if (!url) return fail(url.error());
  auto required = lab::parseTags(requires_);
  if (!required) return fail(required.error());
  auto id = core::submitToLab(*url, campaign, zoo, *required);
  if (!id) return fail(id.error());
  if (o.json)
    fmt::print("{}\n", nlohmann::ordered_json{{"event", "submitted"}, {"campaign", *id}, {"lab", *url}}.dump());
  else
    fmt::print("submitted {} to lab {} as campaign {}; `aidi worker --lab URL` runs it\n", campaign.string(), *url, *id);
  return 0;
}

int labStatus(const LabOptions& o) {
  auto url = core::labUrl(o.url);
  if (!url) return fail(url.error());
  auto s = core::labStatus(*url);
  if (!s) return fail(s.error());
  if (o.json) {
    fmt::print("{}\n", nlohmann::ordered_json{{"queue", {{"planned", s->planned}, {"running", s->running},
                                                         {"done", s->done}, {"failed", s->failed}}},
                                             {"runs_last_minute", s->endedLastMinute}}
                           .dump());
    for (const auto& w : s->workers)
      fmt::print("{}\n", nlohmann::ordered_json{{"worker", w.name}, {"host", w.host}, {"tags", tagsJson(w.tags)},
                                               {"seen_s_ago", w.secondsSinceSeen}, {"runs_done", w.runsDone}}
                             .dump());
    for (const auto& l : s->leases)
      fmt::print("{}\n", nlohmann::ordered_json{{"lease", l.runId}, {"worker", l.worker}, {"campaign", l.campaign},
                                               {"plan_index", l.planIndex}, {"attempt", l.attempt},
                                               {"seconds_left", l.secondsLeft}}
                             .dump());
    return 0;
  }
  fmt::print("lab {}\n  queue: {} planned, {} running, {} done, {} failed; {} runs in the last minute\n", *url,
             s->planned, s->running, s->done, s->failed, s->endedLastMinute);
  for (const auto& w : s->workers)
    fmt::print("  worker {} on {} [{}]: {} runs, seen {:.0f} s ago\n", w.name, w.host, lab::tagsText(w.tags), w.runsDone,
               w.secondsSinceSeen);
  for (const auto& l : s->leases)
    fmt::print("  lease: run {} of {} (attempt {}) held by {}, {:.0f} s left{}\n", l.planIndex, l.campaign, l.attempt,
               l.worker, l.secondsLeft, l.secondsLeft < 0 ? " (expired: the next claim takes it)" : "");
  return 0;
}

int labExport(const std::string& campaign, const std::filesystem::path& out, const std::filesystem::path& zoo,
              const LabOptions& o) {
  auto url = core::labUrl(o.url);
  if (!url) return fail(url.error());
  auto id = core::exportFromLab(*url, campaign, out, zoo);
  if (!id) return fail(id.error());
  if (o.json)
    fmt::print("{}\n", nlohmann::ordered_json{{"event", "exported"}, {"campaign", *id},
                                             {"database", std::filesystem::absolute(out).string()}}
                           .dump());
  else
    fmt::print("campaign {} of lab {} is campaign {} of {}; `aidi report {} --db {}` reports it\n", campaign, *url, *id,
               out.string(), *id, out.string());
  return 0;
}

int labReport(const std::string& which, const std::string& format, const std::filesystem::path& out,
              const std::filesystem::path& plots, const std::string& given, const CampaignOptions& o) {
  auto url = core::labUrl(given);
  if (!url) return fail(url.error());
  auto copy = core::LabCopy::make(*url, which, o.modelZoo);
  if (!copy) return fail(copy.error());
  CampaignOptions local = o;
  local.database = copy->database();
  return reportCampaign(std::to_string(copy->campaignId()), format, out, plots, local);
}

int runWorkerCommand(const WorkerCommandOptions& c) {
  auto url = core::labUrl(c.url);
  if (!url) return fail(url.error());
  auto extra = lab::parseTags(c.tags);
  if (!extra) return fail(extra.error());
  core::WorkerOptions o;
  o.url = *url;
  o.benchFile = c.bench == "virtual" ? std::filesystem::path() : std::filesystem::path(c.bench);
  auto tags = core::benchTags(o.benchFile, *extra);
  if (!tags) return fail(tags.error());
  o.tags = *tags;
  o.name = c.name.empty() ? core::hostName() + "-" + std::to_string(::getpid()) : c.name;
  o.journal = c.journal.empty() ? core::defaultDatabasePath().parent_path() / ("worker-" + o.name + ".sqlite") : c.journal;
  if (std::error_code ec; o.journal.has_parent_path() && !std::filesystem::create_directories(o.journal.parent_path(), ec) && ec)
    return fail({ErrorCode::Io, o.journal.parent_path().string() + ": cannot create the journal's folder: " + ec.message()});
  o.modelZoo = c.modelZoo;
  o.subset = core::subsetFileFor(c.modelZoo);
  o.leaseS = c.leaseS;
  o.untilEmpty = c.untilEmpty;
  o.onLog = [&](const std::string& line) {
    if (c.json)
      fmt::print("{}\n", nlohmann::ordered_json{{"event", "log"}, {"worker", o.name}, {"message", line}}.dump());
    else
      fmt::print(stderr, "worker {}: {}\n", o.name, line);
    std::fflush(stdout);
  };
  if (!c.json)
    fmt::print(stderr, "worker {} [{}] on lab {}, journal {}\n", o.name, lab::tagsText(o.tags), o.url, o.journal.string());
  auto summary = core::runWorker(o);
  if (!summary) return fail(summary.error());
  if (c.json)
    fmt::print("{}\n", nlohmann::ordered_json{{"event", "worker_ended"}, {"worker", o.name}, {"runs", summary->runs},
                                             {"uploaded", summary->uploaded}, {"duplicates", summary->duplicates}}
                           .dump());
  else
    fmt::print(stderr, "worker {}: {} runs, {} uploaded, {} recorded already\n", o.name, summary->runs, summary->uploaded,
               summary->duplicates);
  return 0;
}

}  // namespace aidi::cli
