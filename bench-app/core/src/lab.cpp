#include "aidi/core/lab.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "aidi/core/bench_file.hpp"
#include "aidi/core/campaign_file.hpp"
#include "aidi/core/campaign_runner.hpp"
#include "aidi/core/install_layout.hpp"
#include "aidi/core/run_owner.hpp"
#include "aidi/db/batch_writer.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/queries.hpp"
#include "aidi/inst/interrupt.hpp"
#include "toml_file.hpp"

namespace aidi::core {

namespace {

void log(const WorkerOptions& o, const std::string& line) {
  if (o.onLog) o.onLog(line);
}

// A run ended in the journal, as the lab records it.
inst::Result<lab::LabRunResult> journalResult(const std::filesystem::path& journal, std::int64_t localCampaign,
                                              int planIndex) {
  auto db = db::Database::open(journal);
  if (!db) return std::unexpected(db.error());
  auto runs = db::runSummaries(*db, localCampaign);
  if (!runs) return std::unexpected(runs.error());
  const auto run = std::find_if(runs->begin(), runs->end(), [&](const db::RunSummary& r) { return r.planIndex == planIndex; });
  if (run == runs->end() || (run->state != "done" && run->state != "failed"))
    return inst::fail(inst::ErrorCode::Invalid, "run " + std::to_string(planIndex) + " has not ended in " + journal.string());
  lab::LabRunResult r;
  r.done = run->state == "done";
  r.failure = run->failure;
  auto inferences = db::campaignInferences(*db, localCampaign);
  if (!inferences) return std::unexpected(inferences.error());
  for (const auto& i : *inferences)
    if (i.runId == run->runId)
      r.inferences.push_back({static_cast<int>(i.inference), static_cast<int>(i.sample), i.label, i.predicted, i.finished,
                              i.latencyS, i.energyBoundS, i.energyUj, static_cast<std::int64_t>(i.powerCycles)});
  return r;
}

// A lab campaign made local: its files and text in the journal's folder, its
// bench this worker's, planned once in the journal.
struct LocalCampaign {
  std::int64_t id = 0;
};

inst::Result<LocalCampaign> localCampaign(const WorkerOptions& o, lab::LabStore& store, const lab::LabClaim& claim) {
  // Beside this worker's own journal: workers sharing a folder never write
  // each other's copies (one read another's half-written campaign once).
  const auto dir = o.journal.parent_path() / (o.journal.stem().string() + "-lab-" + std::to_string(claim.campaignId));
  const std::string localName = claim.campaignName + "@lab" + std::to_string(claim.campaignId);
  {
    auto db = db::Database::open(o.journal);
    if (!db) return std::unexpected(db.error());
    if (auto found = db::CampaignStore(*db).findByName(localName)) return LocalCampaign{*found};
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return inst::fail(inst::ErrorCode::Io, dir.string() + ": cannot create the campaign's folder: " + ec.message());
  auto files = store.files(claim.campaignId);
  if (!files) return std::unexpected(files.error());
  for (const auto& f : *files) {
    const auto to = dir / f.path;
    if (f.path.find("..") != std::string::npos || std::filesystem::path(f.path).is_absolute())
      return inst::fail(inst::ErrorCode::Protocol, "lab campaign " + std::to_string(claim.campaignId) + ": file path \"" +
                                                       f.path + "\" leaves the campaign's folder");
    std::filesystem::create_directories(to.parent_path(), ec);
    std::ofstream out(to, std::ios::binary);
    out << f.content;
    if (!out) return inst::fail(inst::ErrorCode::Io, to.string() + ": cannot write");
  }
  const auto file = dir / "campaign.toml";
  auto text = rewriteToml(claim.configToml, file, [&](toml::table& t) -> Status {
    toml::table* campaign = t["campaign"].as_table();
    if (!campaign) return fail(ErrorCode::Protocol, "lab campaign without [campaign]");
    campaign->insert_or_assign("name", localName);
    campaign->insert_or_assign("bench", o.benchFile.empty() ? std::string("virtual")
                                                            : std::filesystem::absolute(o.benchFile).string());
    return {};
  });
  if (!text) return std::unexpected(text.error());
  {
    // Written whole, then put in place: a reader never sees half of it.
    const auto part = dir / "campaign.toml.part";
    std::ofstream(part) << *text;
    std::filesystem::rename(part, file, ec);
    if (ec) return inst::fail(inst::ErrorCode::Io, file.string() + ": cannot write: " + ec.message());
  }
  auto parsed = loadCampaignFile(file, o.modelZoo);
  if (!parsed) return std::unexpected(parsed.error());
  auto id = planCampaign(*parsed, o.journal);
  if (!id) return std::unexpected(id.error());
  return LocalCampaign{*id};
}

// Renews the lease on its own connection while a run goes on.
class LeaseKeeper {
 public:
  LeaseKeeper(const WorkerOptions& o, const lab::LabClaim& claim) : m_o(o), m_claim(claim) {
    m_thread = std::thread([this] { loop(); });
  }
  ~LeaseKeeper() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
  }

 private:
  void loop() {
    std::optional<lab::LabStore> store;
    std::unique_lock lock(m_mutex);
    const auto every = std::chrono::duration<double>(m_o.leaseS / 3);
    while (!m_wake.wait_for(lock, every, [this] { return m_stop; })) {
      lock.unlock();
      if (!store)
        if (auto opened = lab::LabStore::connect(m_o.url)) store.emplace(std::move(*opened));
      if (store) {
        if (auto ok = store->renew(m_claim.runId, m_o.name, m_claim.attempt, m_o.leaseS); !ok) {
          log(m_o, "lease of run " + std::to_string(m_claim.runId) + ": " + ok.error().message);
          if (ok.error().code == ErrorCode::Io) store.reset();  // reconnect next time
        }
      }
      lock.lock();
    }
  }
  const WorkerOptions& m_o;
  lab::LabClaim m_claim;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  std::thread m_thread;
};

bool interruptibleSleep(std::chrono::milliseconds span) {
  const auto until = std::chrono::steady_clock::now() + span;
  while (std::chrono::steady_clock::now() < until) {
    if (inst::interruptRequested()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace

inst::Result<std::string> labUrl(const std::string& given) {
  std::string url = given;
  if (url.empty())
    if (const char* env = std::getenv("AIDI_LAB"); env) url = env;
  if (auto ok = lab::checkLabUrl(url); !ok) return std::unexpected(ok.error());
  return url;
}

inst::Result<std::int64_t> submitToLab(const std::string& url, const std::filesystem::path& campaignFile,
                                       const std::filesystem::path& modelZoo, const lab::Tags& required) {
  auto campaign = loadCampaignFile(campaignFile, modelZoo);
  if (!campaign) return std::unexpected(campaign.error());
  return submitToLab(url, *campaign, required);
}

inst::Result<std::vector<lab::LabCampaign>> labCampaigns(const std::string& url) {
  auto store = lab::LabStore::connect(url);
  if (!store) return std::unexpected(store.error());
  return store->campaigns();
}

inst::Result<std::int64_t> submitToLab(const std::string& url, const CampaignFile& parsed, const lab::Tags& required) {
  const CampaignFile* campaign = &parsed;
  const std::filesystem::path& campaignFile = parsed.path;
  // Every worker gets the traces; the stored text names them in the lab.
  std::vector<lab::LabFile> files;
  std::map<std::string, std::string> traceOf;  // condition -> path in the lab
  for (std::size_t i = 0; i < campaign->conditions.size(); ++i) {
    const auto& c = campaign->conditions[i];
    if (c.trace.empty()) continue;
    auto content = readTextFile(c.trace, "trace", 256u << 20);
    if (!content) return std::unexpected(content.error());
    const std::string path = "traces/" + std::to_string(i) + "-" + c.trace.filename().string();
    files.push_back({path, std::move(*content)});
    traceOf[c.name] = path;
  }
  auto text = rewriteToml(campaign->text, campaignFile, [&](toml::table& t) -> Status {
    if (toml::array* conditions = t["condition"].as_array())
      for (auto& node : *conditions)
        if (toml::table* c = node.as_table(); c && c->contains("trace"))
          c->insert_or_assign("trace", traceOf[(*c)["name"].value_or(std::string())]);
    return {};
  });
  if (!text) return std::unexpected(text.error());
  std::vector<lab::LabRunPlan> runs;
  const auto planned = plannedRuns(*campaign);
  for (std::size_t i = 0; i < planned.size(); ++i) {
    lab::LabRunPlan r{static_cast<int>(i), planned[i].model, planned[i].policy, planned[i].condition, planned[i].board,
                      required};
    if (const BoardProfile* board = campaign->findBoard(planned[i].board)) r.required["target"] = board->target;
    runs.push_back(std::move(r));
  }
  auto store = lab::LabStore::connect(url);
  if (!store) return std::unexpected(store.error());
  return store->submit(campaign->name, *text, files, runs);
}

inst::Result<std::int64_t> exportFromLab(const std::string& url, const std::string& which,
                                         const std::filesystem::path& out, const std::filesystem::path& modelZoo) {
  if (std::error_code ec; std::filesystem::exists(out, ec))
    return inst::fail(inst::ErrorCode::Invalid, out.string() + ": exists already; the export writes a new database");
  auto store = lab::LabStore::connect(url);
  if (!store) return std::unexpected(store.error());
  auto campaigns = store->campaigns();
  if (!campaigns) return std::unexpected(campaigns.error());
  const lab::LabCampaign* chosen = nullptr;
  for (const auto& c : *campaigns)
    if (std::to_string(c.id) == which || c.name == which) chosen = &c;  // by name: the newest
  if (!chosen) return inst::fail(inst::ErrorCode::Invalid, "lab " + url + ": no campaign \"" + which + "\"");
  // Its files beside the database, where its stored text finds them.
  const auto dir = std::filesystem::absolute(out).parent_path() / (out.stem().string() + "-files");
  auto files = store->files(chosen->id);
  if (!files) return std::unexpected(files.error());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const auto& f : *files) {
    if (f.path.find("..") != std::string::npos || std::filesystem::path(f.path).is_absolute())
      return inst::fail(inst::ErrorCode::Protocol, "lab file path \"" + f.path + "\" leaves the campaign's folder");
    std::filesystem::create_directories((dir / f.path).parent_path(), ec);
    std::ofstream(dir / f.path, std::ios::binary) << f.content;
  }
  // A campaign of real benches named a bench file on each worker's host:
  // here a bench of the same target stands for them (nothing is switched).
  auto text = rewriteToml(chosen->configToml, dir / "campaign.toml", [&](toml::table& t) -> Status {
    toml::table* c = t["campaign"].as_table();
    const std::string bench = c ? (*c)["bench"].value_or(std::string("virtual")) : "virtual";
    if (bench == "virtual") return {};
    const toml::array* boards = t["matrix"]["boards"].as_array();
    std::string target = boards && !boards->empty() ? (*boards)[0].value_or(std::string()) : std::string();
    if (!target.empty()) {
      auto profile = findBoardProfile(target);
      target = profile ? profile->target : target;
    } else {
      target = "nucleo-f412zg";  // the one real target there is
    }
    std::ofstream(dir / "exported-bench.toml") << "# Stands for the lab's benches in this export; nothing is switched.\n"
                                                  "[bench]\nname = \"lab-export\"\ntarget = \"" << target
                                               << "\"\n[limits]\nmax_voltage = 3.6\nmax_current = 0.1\n";
    c->insert_or_assign("bench", "exported-bench.toml");
    return {};
  });
  if (!text) return std::unexpected(text.error());
  const auto file = dir / "campaign.toml";
  std::ofstream(file) << *text;
  auto campaign = loadCampaignFile(file, modelZoo);
  if (!campaign) return std::unexpected(campaign.error());
  auto id = planCampaign(*campaign, out);
  if (!id) return std::unexpected(id.error());
  auto results = store->results(chosen->id);
  if (!results) return std::unexpected(results.error());
  {
    auto db = db::Database::open(out);
    if (!db) return std::unexpected(db.error());
    db::CampaignStore local(*db);
    auto writer = db::BatchWriter::start(out);
    if (!writer) return std::unexpected(writer.error());
    for (const auto& [planIndex, r] : *results) {
      auto claimed = local.claimNextRun(*id, nullptr, planIndex);
      if (!claimed) return std::unexpected(claimed.error());
      if (!*claimed) continue;
      const auto& run = **claimed;
      for (const auto& i : r.inferences) {
        db::InferenceRow row{};
        row.runId = run.runId;
        row.attempt = run.attempt;
        row.inference = static_cast<std::uint32_t>(i.inference);
        row.sample = static_cast<std::uint32_t>(i.sample);
        row.label = i.label;
        row.predicted = i.predicted;
        row.finished = i.finished;
        row.latencyS = i.latencyS;
        row.energyUj = i.energyUj;
        row.energyBoundS = i.energyBoundS;
        row.powerCycles = static_cast<std::uint64_t>(i.powerCycles);
        if (auto ok = (*writer)->push(row); !ok) return std::unexpected(ok.error());
      }
      if (auto ok = (*writer)->push(db::RunFinished{run.runId, run.attempt, r.done, r.failure}); !ok)
        return std::unexpected(ok.error());
    }
    if (auto ok = (*writer)->close(); !ok) return std::unexpected(ok.error());
    // Runs the lab has not recorded yet stay planned here.
    if (auto ok = local.updateCampaignState(*id); !ok) return std::unexpected(ok.error());
  }
  return *id;
}

inst::Result<int> initLab(const std::string& url) {
  auto store = lab::LabStore::init(url);
  if (!store) return std::unexpected(store.error());
  return lab::kLabSchemaVersion;
}

inst::Result<lab::LabStatus> labStatus(const std::string& url) {
  auto store = lab::LabStore::connect(url);
  if (!store) return std::unexpected(store.error());
  return store->status();
}

inst::Result<LabCopy> LabCopy::make(const std::string& url, const std::string& campaign,
                                    const std::filesystem::path& modelZoo) {
  auto dir = inst::TempDir::create("aidi-lab-copy-");
  if (!dir) return std::unexpected(dir.error());
  auto database = dir->path() / "lab.sqlite";
  auto id = exportFromLab(url, campaign, database, modelZoo);
  if (!id) return std::unexpected(id.error());
  return LabCopy(std::move(*dir), std::move(database), *id);
}

inst::Result<lab::Tags> benchTags(const std::filesystem::path& benchFile, const lab::Tags& extra) {
  lab::Tags tags;
  if (benchFile.empty()) {
    tags = {{"target", std::string(kDefaultBoard)}, {"bench", "virtual"}};
  } else {
    auto bench = loadBenchFile(benchFile);
    if (!bench) return std::unexpected(bench.error());
    tags = {{"target", bench->target}, {"bench", bench->name}};
    if (bench->supply) tags["supply"] = bench->supply->driver.empty() ? "scpi" : bench->supply->driver;
    if (bench->meter) tags["meter"] = bench->meter->driver;
  }
  for (const auto& [k, v] : extra) tags[k] = v;
  return tags;
}

inst::Result<WorkerSummary> runWorker(const WorkerOptions& o) {
  auto first = lab::LabStore::connect(o.url);
  if (!first) return std::unexpected(first.error());
  std::optional<lab::LabStore> store(std::move(*first));
  if (auto ok = store->seen(o.name, hostName(), o.tags); !ok) return std::unexpected(ok.error());
  WorkerSummary summary;
  std::vector<lab::LabRunResult> pending;  // ended here, not yet recorded in the lab
  bool serverLost = false;
  const auto lost = [&](const Error& e) {
    if (!serverLost) log(o, "lab server lost (" + e.message + "); finished runs wait in the journal");
    serverLost = true;
    store.reset();
  };

  for (;;) {
    if (inst::interruptRequested()) return summary;
    if (!store) {
      if (auto again = lab::LabStore::connect(o.url)) {
        store.emplace(std::move(*again));
        if (serverLost) log(o, "lab server back; uploading " + std::to_string(pending.size()) + " runs");
        serverLost = false;
      } else {
        if (!interruptibleSleep(o.idlePoll)) return summary;
        continue;
      }
    }
    // What ended while the server was away goes first.
    while (!pending.empty() && store) {
      auto recorded = store->upload(pending.front());
      if (!recorded) {
        lost(recorded.error());
        break;
      }
      ++(*recorded ? summary.uploaded : summary.duplicates);
      log(o, "run " + pending.front().uuid + (*recorded ? " uploaded" : " was recorded already (another attempt)"));
      pending.erase(pending.begin());
    }
    if (!store) continue;
    (void)store->seen(o.name, hostName(), o.tags);
    auto claim = store->claim(o.name, o.tags, o.leaseS);
    if (!claim) {
      lost(claim.error());
      continue;
    }
    if (!*claim) {
      if (o.untilEmpty && pending.empty()) {
        auto left = store->unfinished(o.tags);
        if (!left) {
          lost(left.error());
          continue;
        }
        if (*left == 0) return summary;  // else another worker's lease may still run out
      }
      if (!interruptibleSleep(o.idlePoll)) return summary;
      continue;
    }
    const lab::LabClaim c = **claim;
    log(o, "claimed run " + std::to_string(c.planIndex) + " of " + c.campaignName + " (attempt " +
               std::to_string(c.attempt) + ")");
    auto local = localCampaign(o, *store, c);
    if (!local) return std::unexpected(local.error());
    {
      LeaseKeeper lease(o, c);
      RunnerOptions runner;
      runner.database = o.journal;
      runner.modelZoo = o.modelZoo;
      runner.subset = o.subset;
      runner.onlyPlanIndex = c.planIndex;
      runner.realBenchTimeScale = o.realBenchTimeScale;
      auto ran = runCampaign(local->id, runner);
      if (!ran && ran.error().code == ErrorCode::Cancelled) return summary;  // the lease runs out; another worker takes it
      if (!ran) return std::unexpected(ran.error());
    }
    auto result = journalResult(o.journal, local->id, c.planIndex);
    if (!result) return std::unexpected(result.error());
    result->uuid = c.uuid;
    result->worker = o.name;
    result->attempt = c.attempt;
    ++summary.runs;
    pending.push_back(std::move(*result));
  }
}

}  // namespace aidi::core
