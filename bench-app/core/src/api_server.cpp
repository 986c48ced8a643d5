#include "aidi/core/api_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "aidi/core/api_messages.hpp"
#include "aidi/core/bench_file.hpp"
#include "aidi/core/campaign_file.hpp"
#include "aidi/core/campaign_runner.hpp"
#include "aidi/core/database_admin.hpp"
#include "aidi/core/interrupt.hpp"
#include "aidi/core/lab.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/psu_control.hpp"
#include "aidi/core/report.hpp"
#include "aidi/core/run_browser.hpp"
#include "aidi/core/run_profile.hpp"

namespace aidi::core {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

// The API's ops, for the error naming an unknown one.
constexpr const char* kOps =
    "hello, bench.info, bench.probe, lock, unlock, subscribe, supply.set, supply.measure, harvester.set, "
    "campaign.start, run.start, campaign.stop, campaign.wait, runs, stats, waveform, export";

// Standard base64 (RFC 4648), for an export's bytes in a JSON string.
std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k) v = v << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out.push_back(k <= n ? kAlphabet[(v >> (18 - 6 * k)) & 63] : '=');
  }
  return out;
}

// A harvest given as JSON (harvester.set, run.start) as the campaign
// file's [[condition]] table, whose parser then checks every value: only
// text, numbers and true/false are taken.
std::optional<std::string> conditionTable(const json& harvest, toml::table& out) {
  if (!harvest.is_object()) return "harvest must be an object of a campaign condition's keys (fixtures/campaigns/README.md)";
  for (const auto& [key, value] : harvest.items()) {
    if (value.is_string()) out.insert_or_assign(key, value.get<std::string>());
    else if (value.is_boolean()) out.insert_or_assign(key, value.get<bool>());
    else if (value.is_number_integer()) out.insert_or_assign(key, value.get<std::int64_t>());
    else if (value.is_number()) out.insert_or_assign(key, value.get<double>());
    else return "harvest." + key + " must be text, a number or true/false";
  }
  if (!out.contains("name")) out.insert_or_assign("name", "api-harvest");
  return std::nullopt;
}

}  // namespace

// One client: its socket, what it waits to be sent, and what it watches.
struct Connection {
  int id = 0;
  int fd = -1;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::shared_ptr<const std::string>> outbox;  // shared: one copy of a message for every watcher
  std::size_t queuedBytes = 0;
  bool subscribed = false;
  bool waveforms = false;  // ... to the waveform stream too
  bool closing = false;
  bool authorised = false;
  std::thread reader, writer;
};

struct ApiServer::Impl {
  ApiServerOptions options;
  int listenFd = -1;
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::thread acceptor;
  std::mutex mutex;  // connections, the lock, the campaign
  std::map<int, std::shared_ptr<Connection>> connections;
  std::map<int, std::shared_ptr<Connection>> offline;  // answer()'s callers
  int nextId = 1;
  std::optional<int> lockHolder;
  std::thread campaignThread;
  std::optional<std::int64_t> campaignId;
  bool campaignRunning = false;
  std::atomic<bool> stopAsked{false};  // campaign.stop, as opposed to Ctrl-C of the server
  std::string campaignFailure;
  std::condition_variable campaignEnded;
  std::optional<BenchFile> bench;  // a real bench; none: the virtual one
  json harvest;                    // harvester.set's harvest for single runs (null: none yet)
  bool instrumentsInUse = false;   // by supply.* or bench.probe (a campaign: campaignRunning)

  // Holds the bench's instruments for one request, or says who has them.
  std::optional<std::string> takeInstruments() {
    std::lock_guard lock(mutex);
    if (campaignRunning) return "campaign " + std::to_string(*campaignId) + " is using the bench";
    if (instrumentsInUse) return std::string("the bench's instruments are in use");
    instrumentsInUse = true;
    return std::nullopt;
  }
  void releaseInstruments() {
    std::lock_guard lock(mutex);
    instrumentsInUse = false;
  }

  enum class Stream { None, Progress, Waveform };

  // Queues a line for one connection; a subscriber too far behind is
  // dropped from the stream (told so once), never the bench slowed.
  void send(Connection& c, std::shared_ptr<const std::string> line, Stream stream) {
    std::lock_guard lock(c.mutex);
    if (c.closing) return;
    if (stream != Stream::None) {
      if (!c.subscribed || (stream == Stream::Waveform && !c.waveforms)) return;
      if (c.outbox.size() >= options.maxQueuedMessages || c.queuedBytes + line->size() > options.maxQueuedBytes) {
        c.subscribed = c.waveforms = false;
        auto notice = std::make_shared<const std::string>(
            json{{"type", "event"},
                 {"event", "dropped"},
                 {"reason", "too slow: " + std::to_string(c.outbox.size()) + " messages (" +
                                std::to_string(c.queuedBytes) + " bytes) waiting; subscribe again to resume"}}
                .dump());
        c.queuedBytes += notice->size();
        c.outbox.push_back(std::move(notice));
        c.wake.notify_all();
        return;
      }
    }
    c.queuedBytes += line->size();
    c.outbox.push_back(std::move(line));
    c.wake.notify_all();
  }
  void send(Connection& c, const json& reply) { send(c, std::make_shared<const std::string>(reply.dump()), Stream::None); }
  std::vector<std::shared_ptr<Connection>> watchers(Stream stream) {
    std::vector<std::shared_ptr<Connection>> all;
    std::lock_guard lock(mutex);
    for (auto& [id, c] : connections) {
      std::lock_guard cl(c->mutex);
      if (c->subscribed && (stream != Stream::Waveform || c->waveforms)) all.push_back(c);
    }
    return all;
  }
  void broadcast(const json& message, Stream stream = Stream::Progress) {
    auto all = watchers(stream);
    if (all.empty()) return;
    const auto line = std::make_shared<const std::string>(message.dump());
    for (auto& c : all) send(*c, line, stream);
  }
  // A waveform as it is recorded: encoded only when someone watches.
  void broadcastWaveform(const WaveformChunk& chunk, std::int64_t ofCampaign) {
    if (watchers(Stream::Waveform).empty()) return;
    for (const auto& message : waveformMessages(chunk, ofCampaign)) broadcast(message, Stream::Waveform);
  }

  json error(const std::string& code, const std::string& message) {
    return json{{"ok", false}, {"error", {{"code", code}, {"message", message}}}};
  }

  bool holdsLock(int connection) {
    std::lock_guard lock(mutex);
    return lockHolder && *lockHolder == connection;
  }

  // The bench a campaign runs on is the server's: a real bench's file is
  // written into the campaign (as aidi run --bench does), so it is recorded.
  inst::Result<CampaignFile> campaignOnThisBench(const std::string& text, const std::filesystem::path& path) {
    auto file = bench ? parseCampaignOnBench(text, path, bench->path, options.modelZoo)
                      : parseCampaign(text, path, options.modelZoo);
    if (file && !bench && options.lab.empty() && !file->benchFile.empty())
      return inst::fail(inst::ErrorCode::Unsupported,
                        "this server's bench is virtual; the campaign names bench " + file->bench +
                            " (serve that bench: aidi serve --bench FILE)");
    return file;
  }

  json startCampaign(int connection, const json& request) {
    if (!holdsLock(connection)) return error("locked", "lock the bench first (op: lock)");
    std::string text;
    std::filesystem::path path = "api-request.toml";
    if (request.contains("file") && request["file"].is_string()) {
      path = request["file"].get<std::string>();
      std::ifstream in(path, std::ios::binary);
      if (!in) return error("invalid", path.string() + ": cannot read the campaign file");
      text.assign(std::istreambuf_iterator<char>(in), {});
    } else if (request.contains("toml") && request["toml"].is_string()) {
      text = request["toml"].get<std::string>();
    } else {
      return error("invalid", "give file (a path on the server) or toml (the campaign's text)");
    }
    auto file = campaignOnThisBench(text, path);
    if (!file) return error("invalid", file.error().message);
    return startJob(*file);
  }

  // A single run: a campaign of one model, policy, board and harvest.
  json startRun(int connection, const json& request) {
    if (!holdsLock(connection)) return error("locked", "lock the bench first (op: lock)");
    for (const char* key : {"model", "policy"})
      if (!request.contains(key) || !request[key].is_string())
        return error("invalid", std::string(key) + " must be given, as text");
    toml::table head{{"name", request.value("name", "run " + request["model"].get<std::string>() + " " +
                                                           request["policy"].get<std::string>())},
                         {"bench", "virtual"}};
    if (request.contains("samples")) {
      if (!request["samples"].is_number_integer()) return error("invalid", "samples must be a whole number");
      head.insert_or_assign("samples", request["samples"].get<std::int64_t>());
    }
    if (request.contains("waveforms") && !request["waveforms"].is_boolean())
      return error("invalid", "waveforms must be true or false");
    head.insert_or_assign("waveforms", request.value("waveforms", true));
    toml::table matrix{{"models", toml::array{request["model"].get<std::string>()}},
                       {"policies", toml::array{request["policy"].get<std::string>()}}};
    if (request.contains("board")) {
      if (!request["board"].is_string()) return error("invalid", "board must be a board profile's name");
      matrix.insert_or_assign("boards", toml::array{request["board"].get<std::string>()});
    }
    json given;
    {
      std::lock_guard lock(mutex);
      given = request.contains("harvest") ? request["harvest"] : harvest;
    }
    if (given.is_null()) return error("invalid", "no harvest: give harvest, or set one first (op: harvester.set)");
    toml::table condition;
    if (auto problem = conditionTable(given, condition)) return error("invalid", *problem);
    std::ostringstream text;
    text << toml::table{{"campaign", head}, {"matrix", matrix}, {"condition", toml::array{condition}}};
    auto file = campaignOnThisBench(text.str(), "api-run.toml");
    if (!file) return error("invalid", file.error().message);
    if (file->runCount() != 1) return error("invalid", "a single run is one model, policy, board and harvest");
    json started = startJob(*file);
    if (started.value("ok", false)) {
      auto db = RunBrowser::open(options.database);
      auto runs = db ? db->runs(started["result"]["campaign"].get<std::int64_t>()) : Result<std::vector<RunSummary>>{};
      if (runs && runs->size() == 1) started["result"]["run"] = runs->front().runId;
    }
    return started;
  }

  // Plans the campaign and runs it on a thread of its own (one at a time).
  json startJob(const CampaignFile& file) {
    std::thread previous;
    {
      std::lock_guard lock(mutex);
      if (campaignRunning) return error("busy", "campaign " + std::to_string(*campaignId) + " is running");
      previous = std::move(campaignThread);
    }
    if (previous.joinable()) previous.join();  // ended: it only has to be reaped
    std::unique_lock lock(mutex);
    if (campaignRunning) return error("busy", "campaign " + std::to_string(*campaignId) + " is running");
    if (instrumentsInUse) return error("busy", "the bench's instruments are in use (supply.set or bench.probe)");
    if (!options.lab.empty()) return submitToTheLab(file);
    auto id = planCampaign(file, options.database);
    if (!id) return error("database", id.error().message);
    campaignId = *id;
    campaignRunning = true;
    campaignFailure.clear();
    clearInterrupt();
    campaignThread = std::thread([this, id = *id] {
      RunnerOptions runner;
      runner.database = options.database;
      runner.modelZoo = options.modelZoo;
      runner.subset = options.subset;
      runner.onEvent = [this](const CampaignEvent& e) { broadcast(progressMessage(e)); };
      runner.onWaveform = [this, id](const WaveformChunk& chunk) { broadcastWaveform(chunk, id); };
      auto ended = runCampaign(id, runner);
      json done{{"type", "event"}, {"event", "campaign_ended"}, {"campaign", id}};
      {
        std::lock_guard ending(mutex);
        campaignRunning = false;
        // A stop asked through the API ends the campaign, not the server.
        if (stopAsked.exchange(false)) clearInterrupt();
        if (ended) {
          done["done"] = ended->done;
          done["failed"] = ended->failed;
        } else {
          campaignFailure = ended.error().message;
          done["error"] = campaignFailure;
        }
      }
      campaignEnded.notify_all();
      broadcast(done);
    });
    return json{{"ok", true}, {"result", {{"campaign", *id}}}};
  }

  // With a lab: the campaign goes to the lab's workers, and this server
  // follows its progress there until every run has ended (called with the
  // server's mutex held).
  json submitToTheLab(const CampaignFile& file) {
    auto id = submitToLab(options.lab, file, {});
    if (!id) return error("lab", id.error().message);
    campaignId = *id;
    campaignRunning = true;
    campaignFailure.clear();
    stopAsked = false;
    campaignThread = std::thread([this, id = *id] {
      json done{{"type", "event"}, {"event", "campaign_ended"}, {"campaign", id}};
      std::string lastError;
      while (!stopping && !stopAsked) {
        auto all = labCampaigns(options.lab);
        if (!all) {
          lastError = all.error().message;  // the lab may come back; keep following
        } else {
          const auto it = std::find_if(all->begin(), all->end(), [&](const lab::LabCampaign& c) { return c.id == id; });
          if (it != all->end() && it->done + it->failed >= it->runs) {
            done["done"] = it->done;
            done["failed"] = it->failed;
            lastError.clear();
            break;
          }
        }
        for (int k = 0; k < 5 && !stopping && !stopAsked; ++k) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      {
        std::lock_guard ending(mutex);
        campaignRunning = false;
        if (!done.contains("done")) {
          campaignFailure = stopAsked ? "no longer followed here: the lab's workers go on with it" : "the server stopped";
          if (!lastError.empty()) campaignFailure += " (" + lastError + ")";
          done["error"] = campaignFailure;
        }
        stopAsked = false;
      }
      campaignEnded.notify_all();
      broadcast(done);
    });
    return json{{"ok", true}, {"result", {{"campaign", *id}, {"lab", options.lab}}}};
  }

  // A run database to read: the server's, or a scratch copy of a lab campaign.
  struct Readable {
    std::filesystem::path database;
    std::int64_t campaign = -1;
    std::optional<LabCopy> copy;
  };
  inst::Result<Readable> readable(std::int64_t campaign) {
    if (options.lab.empty()) return Readable{options.database, campaign, std::nullopt};
    auto copy = LabCopy::make(options.lab, std::to_string(campaign), options.modelZoo);
    if (!copy) return std::unexpected(copy.error());
    Readable r{copy->database(), copy->campaignId(), std::nullopt};
    r.copy.emplace(std::move(*copy));
    return r;
  }

  // What this bench is: its instruments and limits, the harvest set for
  // single runs, who holds it and what runs.
  json benchInfo() {
    json info{{"bench", bench ? bench->name : "virtual"}};
    if (bench) {
      info["file"] = bench->path.string();
      info["target"] = bench->target;
      info["limits"] = {{"max_volts", bench->limits.maxVolts}, {"max_amps", bench->limits.maxAmps}};
      info["supply"] = bench->supply ? json(bench->supply->resource.text) : json(nullptr);
      info["meter"] = bench->meter ? json(bench->meter->resource.text) : json(nullptr);
      info["link"] = bench->link ? json(bench->link->resource.text) : json(nullptr);
      info["harvest_mode"] = bench->harvest.mode;
    } else {
      info["target"] = "mps2-an386";
      info["limits"] = nullptr;  // nothing real is powered
    }
    std::lock_guard lock(mutex);
    info["locked_by"] = lockHolder ? json(*lockHolder) : json(nullptr);
    info["harvest"] = harvest;
    info["campaign"] = campaignId ? json(*campaignId) : json(nullptr);
    info["running"] = campaignRunning;
    if (!options.lab.empty()) info["lab"] = options.lab;
    return json{{"ok", true}, {"result", info}};
  }

  json probe() {
    if (!bench) return json{{"ok", true}, {"result", {{"bench", "virtual"}, {"supply", nullptr}, {"meter", nullptr}, {"link", nullptr}}}};
    if (auto busy = takeInstruments()) return error("busy", *busy);
    const BenchProbe p = probeBench(*bench);
    releaseInstruments();
    const auto identity = [](const std::optional<inst::Identity>& id, const std::string& why) -> json {
      if (id) return {{"vendor", id->vendor}, {"model", id->model}, {"serial", id->serial}, {"firmware", id->firmware}};
      return why.empty() ? json(nullptr) : json{{"error", why}};
    };
    return json{{"ok", true},
                {"result", {{"bench", bench->name}, {"supply", identity(p.supply, p.supplyError)},
                            {"meter", identity(p.meter, p.meterError)}, {"link", {{"ok", p.linkOk}, {"state", p.linkState}}}}}};
  }

  // The supply by hand, within the bench file's limits (checked here and by
  // its driver); never while a campaign runs.
  json supply(int connection, const json& request, bool set) {
    if (set && !holdsLock(connection)) return error("locked", "lock the bench first (op: lock)");
    if (!bench || !bench->supply)
      return error("unsupported", bench ? "bench " + bench->name + " has no supply"
                                        : "the virtual bench has no supply: its harvest is modelled (op: harvester.set)");
    PsuRequest psu;
    psu.resource = bench->supply->resource.text;
    psu.limits = bench->limits;
    psu.channel = bench->supply->channel;
    psu.family = bench->supply->driver;
    psu.measure = true;
    if (set) {
      for (const auto& [key, limit, unit, field] :
           {std::tuple{"volts", bench->limits.maxVolts, "V", &psu.volts}, std::tuple{"amps", bench->limits.maxAmps, "A", &psu.amps}}) {
        if (!request.contains(key)) continue;
        if (!request[key].is_number()) return error("invalid", std::string(key) + " must be a number");
        const double v = request[key].get<double>();
        if (!inst::withinLimit(v, limit))
          return error("limit", std::string(key) + " " + json(v).dump() + " is outside this bench's limit [0, " +
                                    json(limit).dump() + "] " + unit + " (" + bench->path.string() + ")");
        *field = v;
      }
      if (request.contains("output")) {
        if (!request["output"].is_boolean()) return error("invalid", "output must be true or false");
        psu.output = request["output"].get<bool>();
      }
      if (!psu.volts && !psu.amps && !psu.output) return error("invalid", "give volts, amps or output");
    }
    if (auto busy = takeInstruments()) return error("busy", *busy);
    auto report = controlPowerSupply(psu);
    releaseInstruments();
    if (!report) return error("instrument", report.error().message);
    json result{{"supply", report->identity.vendor + " " + report->identity.model}, {"channel", psu.channel}};
    if (report->reading) result["volts"] = report->reading->volts, result["amps"] = report->reading->amps;
    return json{{"ok", true}, {"result", result}};
  }

  // The harvest single runs play, checked as a campaign's condition would be.
  json setHarvest(int connection, const json& request) {
    if (!holdsLock(connection)) return error("locked", "lock the bench first (op: lock)");
    if (!request.contains("harvest")) return error("invalid", "give harvest: a campaign condition's keys");
    toml::table condition;
    if (auto problem = conditionTable(request["harvest"], condition)) return error("invalid", *problem);
    auto models = listModels(options.modelZoo);
    if (!models || models->empty()) return error("invalid", "no model in the zoo " + options.modelZoo.string());
    std::ostringstream text;
    text << toml::table{{"campaign", toml::table{{"name", "harvest"}}},
                        {"matrix", toml::table{{"models", toml::array{models->front().name}}, {"policies", toml::array{"aidi"}}}},
                        {"condition", toml::array{condition}}};
    if (auto file = campaignOnThisBench(text.str(), "api-harvest.toml"); !file) return error("invalid", file.error().message);
    std::lock_guard lock(mutex);
    harvest = request["harvest"];
    return json{{"ok", true}, {"result", {{"harvest", harvest}}}};
  }

  // A campaign (or a run's) as the report (html, csv, json), one table's
  // rows (csv, json), or a run database of its own (sqlite, base64).
  json exportOf(const json& request) {
    std::optional<std::int64_t> run;
    std::int64_t id = -1;
    if (request.contains("run")) {
      if (!request["run"].is_number_integer()) return error("invalid", "run must be a run's id");
      run = request["run"].get<std::int64_t>();
    }
    if (request.contains("campaign")) {
      if (!request["campaign"].is_number_integer()) return error("invalid", "campaign must be a campaign's id");
      id = request["campaign"].get<std::int64_t>();
    }
    if (!run && id < 0) return error("invalid", "give campaign or run");
    if (!options.lab.empty() && run) return error("unsupported", "from a lab, export a campaign (its runs are numbered in the export)");
    if (run) {
      auto db = RunBrowser::open(options.database);
      if (!db) return error("database", db.error().message);
      auto of = db->campaignOfRun(*run);
      if (!of) return error("invalid", of.error().message);
      if (id >= 0 && id != *of) return error("invalid", "run " + std::to_string(*run) + " is not in campaign " + std::to_string(id));
      id = *of;
    }
    const std::string format = request.value("format", "html");
    json result{{"campaign", id}, {"format", format}};
    auto source = readable(id);  // the server's database, or the lab campaign's copy
    if (!source) return error("lab", source.error().message);
    const std::filesystem::path& database = source->database;
    id = source->campaign;
    std::ostringstream out;
    if (request.contains("table")) {
      if (!request["table"].is_string()) return error("invalid", "table must be a table's name");
      const std::string table = request["table"].get<std::string>();
      if (format != "csv" && format != "json") return error("invalid", "a table exports as csv or json, not " + format);
      if (auto ok = exportTable(database, table, id, format == "csv" ? ExportFormat::Csv : ExportFormat::Json, out); !ok)
        return error("invalid", ok.error().message);
      result["table"] = table;
    } else if (format == "sqlite") {
      char scratch[] = "/tmp/aidi-export-XXXXXX";
      if (!::mkdtemp(scratch)) return error("io", std::string("a scratch folder: ") + std::strerror(errno));
      const std::filesystem::path folder = scratch, copy = folder / "campaign.sqlite";
      auto copied = copyCampaignDatabase(database, id, copy);
      std::string bytes;
      if (copied) {
        std::ifstream in(copy, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
      }
      std::error_code ec;
      std::filesystem::remove_all(folder, ec);
      if (!copied) return error("invalid", copied.error().message);
      if (bytes.size() > options.maxExportBytes)
        return error("size", "campaign " + std::to_string(id) + " is " + std::to_string(bytes.size() >> 20) +
                                 " MiB, above the export limit; run aidi db export on the server");
      result["encoding"] = "base64";
      result["bytes"] = bytes.size();
      result["content"] = base64(bytes);
      return json{{"ok", true}, {"result", result}};
    } else {
      if (format != "html" && format != "csv" && format != "json")
        return error("invalid", "format must be html, csv, json or sqlite, not " + format);
      auto report = buildReport(database, id, options.modelZoo, run);
      if (!report) return error("invalid", report.error().message);
      if (format == "html") writeHtml(*report, out);
      else if (format == "csv") writeCsv(*report, out);
      else writeJson(*report, out);
    }
    if (out.tellp() > static_cast<std::streamoff>(options.maxExportBytes))
      return error("size", "the export is above the limit; run aidi db export on the server");
    result["content"] = out.str();
    return json{{"ok", true}, {"result", result}};
  }

  json waitCampaign(const json& request) {
    if (request.contains("timeout_s") && !request["timeout_s"].is_number())
      return error("invalid", "timeout_s must be a number of seconds");
    const double timeout = request.contains("timeout_s") ? request["timeout_s"].get<double>() : 3600.0;
    if (!(timeout >= 0 && timeout <= 86400)) return error("invalid", "timeout_s must be within [0, 86400]");
    std::unique_lock lock(mutex);
    if (!campaignId) return error("invalid", "no campaign was started here");
    const bool ended = campaignEnded.wait_for(lock, std::chrono::duration<double>(timeout),
                                              [this] { return !campaignRunning || stopping.load(); });
    if (!ended) return error("timeout", "campaign " + std::to_string(*campaignId) + " still runs");
    json result{{"campaign", *campaignId}};
    if (!campaignFailure.empty()) result["error"] = campaignFailure;
    return json{{"ok", true}, {"result", result}};
  }

  json runsOf(const json& request) {
    if (!options.lab.empty()) return labRunsOf(request);
    auto db = RunBrowser::open(options.database);
    if (!db) return error("database", db.error().message);
    if (!request.contains("campaign")) {
      auto all = db->campaigns();
      if (!all) return error("database", all.error().message);
      json list = json::array();
      for (const auto& c : *all)
        list.push_back({{"id", c.id}, {"name", c.name}, {"state", c.state}, {"runs", c.progress.total()},
                        {"done", c.progress.done}, {"failed", c.progress.failed}});
      return json{{"ok", true}, {"result", list}};
    }
    const auto id = request["campaign"].is_number_integer() ? request["campaign"].get<std::int64_t>() : -1;
    auto runs = db->runs(id);
    if (!runs) return error("invalid", runs.error().message);
    json list = json::array();
    for (const auto& r : *runs) list.push_back(runMessage(r));
    return json{{"ok", true}, {"result", list}};
  }

  // A lab's campaigns, or one campaign's runs (numbered as in its export).
  json labRunsOf(const json& request) {
    if (!request.contains("campaign")) {
      auto all = labCampaigns(options.lab);
      if (!all) return error("lab", all.error().message);
      json list = json::array();
      for (const auto& c : *all)
        list.push_back({{"id", c.id}, {"name", c.name},
                        {"state", c.done + c.failed >= c.runs ? "done" : c.done + c.failed > 0 ? "running" : "planned"},
                        {"runs", c.runs}, {"done", c.done}, {"failed", c.failed}});
      return json{{"ok", true}, {"result", list}};
    }
    if (!request["campaign"].is_number_integer()) return error("invalid", "campaign must be a campaign's id");
    auto copy = readable(request["campaign"].get<std::int64_t>());
    if (!copy) return error("lab", copy.error().message);
    auto db = RunBrowser::open(copy->database);
    if (!db) return error("database", db.error().message);
    auto runs = db->runs(copy->campaign);
    if (!runs) return error("invalid", runs.error().message);
    json list = json::array();
    for (const auto& r : *runs) list.push_back(runMessage(r));
    return json{{"ok", true}, {"result", list}};
  }

  // Between two times of a run's recorded waveform (its sample's, or the
  // whole run's, -1): the cursor readouts, or the samples of one channel.
  json profileOf(const json& request, bool samples) {
    if (!options.lab.empty())
      return error("unsupported", "a lab keeps no waveforms (docs/lab.md): they stay in its workers' journals");
    const auto integer = [&](const char* key, std::int64_t fallback, bool required) -> std::optional<std::int64_t> {
      if (!request.contains(key)) return required ? std::nullopt : std::optional<std::int64_t>(fallback);
      return request[key].is_number_integer() ? std::optional<std::int64_t>(request[key].get<std::int64_t>()) : std::nullopt;
    };
    const auto run = integer("run", 0, true);
    const auto sample = integer("sample", 0, false);
    if (!run || !sample || *sample < RunProfile::kWholeRun || *sample > 1'000'000)
      return error("invalid", "run (an id) and sample (0.., or -1 for the whole run) must be integers");
    auto profile = RunProfile::open(options.database, *run, static_cast<int>(*sample));
    if (!profile) return error("invalid", profile.error().message);
    double t0 = profile->startS(), t1 = profile->endS();
    for (const auto& [key, value] : {std::pair{"t0", &t0}, std::pair{"t1", &t1}}) {
      if (!request.contains(key)) continue;
      if (!request[key].is_number() || !std::isfinite(request[key].get<double>()))
        return error("invalid", std::string(key) + " must be a finite number of seconds");
      *value = request[key].get<double>();
    }
    if (!(t0 < t1)) return error("invalid", "t0 must come before t1");
    if (!samples) {
      auto r = profile->readout(t0, t1);
      if (!r) return error("invalid", r.error().message);
      return json{{"ok", true},
                  {"result", {{"run", *run}, {"sample", *sample}, {"t0", r->t0}, {"t1", r->t1}, {"duration_s", r->t1 - r->t0},
                              {"v0", r->v0}, {"v1", r->v1}, {"charge_c", r->chargeC}, {"energy_j", r->energyJ},
                              {"average_w", r->averageW()}}}};
    }
    const std::string name = request.contains("channel") && request["channel"].is_string() ? request["channel"].get<std::string>()
                                                                                           : std::string("power");
    const ChannelInfo* channel = profile->channel(name);
    if (!channel) return error("invalid", "run " + std::to_string(*run) + " has no channel \"" + name + "\"");
    const auto most = integer("max_samples", 10000, false);
    if (!most || *most < 1 || *most > 1'000'000) return error("invalid", "max_samples must be within [1, 1000000]");
    auto points = profile->samples(*channel, t0, t1, static_cast<std::size_t>(*most));
    if (!points) return error("invalid", points.error().message);
    json t = json::array(), v = json::array();
    for (const auto& [time, value] : *points) {
      t.push_back(time);
      v.push_back(value);
    }
    return json{{"ok", true},
                {"result", {{"run", *run}, {"sample", *sample}, {"channel", name}, {"t", t}, {"v", v}}}};
  }

  // The reply to one request line (already within the size limit). A field
  // of the wrong type is an "invalid" reply, never an exception that would
  // end the server.
  json answer(Connection& c, const std::string& line) {
    try {
      return dispatch(c, line);
    } catch (const json::exception& e) {
      json reply = error("invalid", std::string("a field of the wrong type: ") + e.what());
      const json request = json::parse(line, nullptr, false);
      if (request.is_object() && request.contains("id")) reply["id"] = request["id"];
      return reply;
    }
  }

  json dispatch(Connection& c, const std::string& line) {
    json request = json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object()) return error("parse", "not a JSON object");
    json reply;
    const std::string op = request.contains("op") && request["op"].is_string() ? request["op"].get<std::string>() : "";
    if (op == "hello") {
      const std::string wanted = request.contains("api") && request["api"].is_string() ? request["api"].get<std::string>() : "";
      if (wanted.empty() || std::atoi(wanted.c_str()) != kApiMajor)
        reply = error("version", "this server speaks API " + std::to_string(kApiMajor) + "." + std::to_string(kApiMinor) +
                                     "; the client asked for \"" + wanted + "\"");
      else if (!options.token.empty() &&
               (!request.contains("token") || !request["token"].is_string() || request["token"].get<std::string>() != options.token))
        reply = error("token", "a token is required here, and this one is not it");
      else {
        c.authorised = true;
        reply = json{{"ok", true},
                     {"result", {{"api", std::to_string(kApiMajor) + "." + std::to_string(kApiMinor)},
                                 {"aidi", AIDI_VERSION}, {"bench", bench ? bench->name : "virtual"},
                                 {"database", options.lab.empty() ? json(options.database.string()) : json(nullptr)},
                                 {"lab", options.lab.empty() ? json(nullptr) : json(options.lab)},
                                 {"connection", c.id}}}};
      }
    } else if (!c.authorised) {
      reply = error("hello", "say hello first (op: hello, api: \"1.0\")");
    } else if (op == "bench.info") {
      reply = benchInfo();
    } else if (op == "bench.probe") {
      reply = probe();
    } else if (op == "lock") {
      std::lock_guard lock(mutex);
      if (lockHolder && *lockHolder != c.id)
        reply = error("locked", "connection " + std::to_string(*lockHolder) + " holds the bench");
      else {
        lockHolder = c.id;
        reply = json{{"ok", true}, {"result", {{"locked_by", c.id}}}};
      }
    } else if (op == "unlock") {
      std::lock_guard lock(mutex);
      if (!lockHolder || *lockHolder != c.id) reply = error("locked", "this connection does not hold the bench");
      else {
        lockHolder.reset();
        reply = json{{"ok", true}, {"result", json::object()}};
      }
    } else if (op == "subscribe") {
      if (request.contains("on") && !request["on"].is_boolean()) {
        reply = error("invalid", "on must be true or false");
      } else if (request.contains("waveforms") && !request["waveforms"].is_boolean()) {
        reply = error("invalid", "waveforms must be true or false");
      } else {
        std::lock_guard lock(c.mutex);
        c.subscribed = !request.contains("on") || request["on"].get<bool>();
        c.waveforms = c.subscribed && request.value("waveforms", false);
        reply = json{{"ok", true}, {"result", {{"subscribed", c.subscribed}, {"waveforms", c.waveforms}}}};
      }
    } else if (op == "supply.set" || op == "supply.measure") {
      reply = supply(c.id, request, op == "supply.set");
    } else if (op == "harvester.set") {
      reply = setHarvest(c.id, request);
    } else if (op == "run.start") {
      reply = startRun(c.id, request);
    } else if (op == "export") {
      reply = exportOf(request);
    } else if (op == "campaign.start") {
      reply = startCampaign(c.id, request);
    } else if (op == "campaign.stop") {
      if (!holdsLock(c.id)) reply = error("locked", "lock the bench first (op: lock)");
      else {
        stopAsked = true;
        if (options.lab.empty()) requestInterrupt();  // a lab's campaign is only no longer followed
        reply = json{{"ok", true}, {"result", json::object()}};
      }
    } else if (op == "campaign.wait") {
      reply = waitCampaign(request);
    } else if (op == "runs") {
      reply = runsOf(request);
    } else if (op == "stats" || op == "waveform") {
      reply = profileOf(request, op == "waveform");
    } else {
      reply = error("op", "unknown op \"" + op + "\" (" + kOps + ")");
    }
    if (request.contains("id")) reply["id"] = request["id"];
    return reply;
  }

  void serve(const std::shared_ptr<Connection>& c) {
    std::string pending;
    char buffer[65536];
    auto windowStart = Clock::now();
    int inWindow = 0;
    while (!stopping) {
      pollfd p{c->fd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      const ssize_t n = ::recv(c->fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      pending.append(buffer, static_cast<std::size_t>(n));
      for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
        const std::string line = pending.substr(0, eol);
        pending.erase(0, eol + 1);
        if (line.empty()) continue;
        if (Clock::now() - windowStart > std::chrono::seconds(1)) windowStart = Clock::now(), inWindow = 0;
        json reply = ++inWindow > options.maxRequestsPerSecond
                         ? error("rate", "more than " + std::to_string(options.maxRequestsPerSecond) + " requests a second")
                         : answer(*c, line);
        if (reply.contains("error") && !reply.contains("id")) {
          const json request = json::parse(line, nullptr, false);
          if (request.is_object() && request.contains("id")) reply["id"] = request["id"];
        }
        send(*c, reply);
      }
      if (pending.size() > options.maxRequestBytes) {
        send(*c, error("size", "a request longer than " + std::to_string(options.maxRequestBytes) + " bytes"));
        break;
      }
    }
    close(c);
  }

  void write(const std::shared_ptr<Connection>& c) {
    for (;;) {
      std::shared_ptr<const std::string> line;
      {
        std::unique_lock lock(c->mutex);
        c->wake.wait(lock, [&] { return c->closing || !c->outbox.empty(); });
        if (c->outbox.empty()) return;
        line = std::move(c->outbox.front());
        c->outbox.pop_front();
        c->queuedBytes -= line->size();
      }
      static char newline[] = "\n";
      std::size_t sent = 0;
      const std::size_t total = line->size() + 1;
      while (sent < total) {
        // The line and its newline in one call where the socket takes them.
        msghdr message{};
        iovec rest[2];
        int count = 0;
        if (sent < line->size()) rest[count++] = {const_cast<char*>(line->data()) + sent, line->size() - sent};
        rest[count++] = {newline, 1};
        message.msg_iov = rest;
        message.msg_iovlen = static_cast<std::size_t>(count);
        const ssize_t n = ::sendmsg(c->fd, &message, MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
      }
    }
  }

  void close(const std::shared_ptr<Connection>& c) {
    {
      std::lock_guard lock(c->mutex);
      c->closing = true;
      c->wake.notify_all();
    }
    std::lock_guard lock(mutex);
    if (lockHolder && *lockHolder == c->id) lockHolder.reset();  // the lock dies with its connection
  }

  void accept() {
    while (!stopping) {
      if (interruptRequested() && !stopAsked) break;  // Ctrl-C: the server ends (a campaign first)
      pollfd p{listenFd, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_shared<Connection>();
      c->fd = fd;
      std::vector<std::shared_ptr<Connection>> ended;
      {
        std::lock_guard lock(mutex);
        c->id = nextId++;
        // Connections that ended leave the table here; their threads are
        // joined below, without the lock their last steps may need.
        for (auto it = connections.begin(); it != connections.end();) {
          bool closed = false;
          {
            std::lock_guard cl(it->second->mutex);
            closed = it->second->closing;
          }
          if (closed) {
            ended.push_back(it->second);
            it = connections.erase(it);
          } else {
            ++it;
          }
        }
        connections[c->id] = c;
      }
      for (auto& e : ended) {
        e->reader.join();
        e->writer.join();
        ::close(e->fd);
      }
      c->writer = std::thread([this, c] { write(c); });
      c->reader = std::thread([this, c] { serve(c); });
    }
  }
};

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

inst::Result<std::unique_ptr<ApiServer>> ApiServer::start(const ApiServerOptions& options) {
  if (!loopback(options.host) && options.token.empty())
    return inst::fail(inst::ErrorCode::Invalid, "listening on " + options.host +
                                                    " needs a token (AIDI_SERVE_TOKEN or --token-file): anyone who reaches "
                                                    "it could drive the bench");
  // The database exists from the start, so clients list it (empty) at once.
  if (options.lab.empty())
    if (auto made = migrateDatabase(options.database); !made) return std::unexpected(made.error());
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (!options.benchFile.empty()) {
    auto bench = loadBenchFile(options.benchFile);
    if (!bench) return std::unexpected(bench.error());
    impl->bench = std::move(*bench);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(options.host.c_str(), std::to_string(options.port).c_str(), &hints, &found); rc != 0)
    return inst::fail(inst::ErrorCode::Invalid, "listen address " + options.host + ": " + ::gai_strerror(rc));
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool bound = fd >= 0 && ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 && ::listen(fd, 128) == 0;
  ::freeaddrinfo(found);
  if (!bound) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return inst::fail(inst::ErrorCode::InUse, "cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " + why);
  }
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  impl->port = ntohs(address.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&address)->sin6_port
                                                   : reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  impl->listenFd = fd;
  Impl* raw = impl.get();
  impl->acceptor = std::thread([raw] { raw->accept(); });
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

std::uint16_t ApiServer::port() const { return m_impl->port; }

std::string ApiServer::answer(int connection, const std::string& line) {
  Impl& s = *m_impl;
  std::shared_ptr<Connection> c;
  {
    std::lock_guard lock(s.mutex);
    auto& held = s.offline[connection];
    if (!held) {
      held = std::make_shared<Connection>();
      held->id = -connection - 1;  // never a socket connection's number
      held->closing = true;        // nothing is queued for it
    }
    c = held;
  }
  return s.answer(*c, line).dump();
}

void ApiServer::wait() {
  if (m_impl->acceptor.joinable()) m_impl->acceptor.join();
}

void ApiServer::stop() {
  Impl& s = *m_impl;
  if (s.stopping.exchange(true)) return;
  {
    std::lock_guard lock(s.mutex);
    if (s.campaignRunning) requestInterrupt();
  }
  if (s.acceptor.joinable()) s.acceptor.join();
  if (s.campaignThread.joinable()) s.campaignThread.join();
  s.campaignEnded.notify_all();
  std::map<int, std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(s.mutex);
    all.swap(s.connections);
  }
  for (auto& [id, c] : all) {
    s.close(c);
    ::shutdown(c->fd, SHUT_RDWR);
    if (c->reader.joinable()) c->reader.join();
    if (c->writer.joinable()) c->writer.join();
    ::close(c->fd);
  }
  ::close(s.listenFd);
}

ApiServer::~ApiServer() { stop(); }

}  // namespace aidi::core
