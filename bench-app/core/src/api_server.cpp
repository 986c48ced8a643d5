#include "aidi/core/api_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
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

#include "aidi/core/campaign_file.hpp"
#include "aidi/core/campaign_runner.hpp"
#include "aidi/core/interrupt.hpp"
#include "aidi/core/run_browser.hpp"
#include "aidi/core/run_profile.hpp"

namespace aidi::core {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "::1" || host == "localhost"; }

const char* kindName(CampaignEvent::Kind k) {
  switch (k) {
    case CampaignEvent::Kind::RunStarted: return "run_started";
    case CampaignEvent::Kind::PowerCycle: return "power_cycle";
    case CampaignEvent::Kind::Checkpoint: return "checkpoint";
    case CampaignEvent::Kind::SampleDone: return "sample_done";
    case CampaignEvent::Kind::RunEnded: return "run_ended";
  }
  return "?";
}

json progressOf(const CampaignEvent& e) {
  json j{{"type", "progress"},   {"event", kindName(e.kind)},  {"campaign", e.campaignId},
         {"runs_ended", e.runsEnded}, {"runs_total", e.runsTotal}, {"run", e.run.runId},
         {"model", e.run.plan.model},  {"policy", e.run.plan.policy}, {"condition", e.run.plan.condition},
         {"sample", e.sample}};
  if (e.kind == CampaignEvent::Kind::PowerCycle) j["power_cycles"] = e.powerCycles;
  if (e.kind == CampaignEvent::Kind::Checkpoint) j["layer"] = e.layer;
  if (e.kind == CampaignEvent::Kind::SampleDone) {
    j["ok"] = e.ok;
    j["predicted"] = e.predicted;
    j["label"] = e.label;
    j["latency_s"] = e.latencyS;
  }
  if (e.kind == CampaignEvent::Kind::RunEnded) {
    j["ok"] = e.ok;
    if (!e.failure.empty()) j["failure"] = e.failure;
  }
  return j;
}

}  // namespace

// One client: its socket, what it waits to be sent, and what it watches.
struct Connection {
  int id = 0;
  int fd = -1;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::string> outbox;
  bool subscribed = false;
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
  std::thread campaign;
  std::optional<std::int64_t> campaignId;
  bool campaignRunning = false;
  std::atomic<bool> stopAsked{false};  // campaign.stop, as opposed to Ctrl-C of the server
  std::string campaignFailure;
  std::condition_variable campaignEnded;

  // Queues a line for one connection; a subscriber too far behind is
  // dropped from the stream (told so once), never the bench slowed.
  void send(Connection& c, std::string line, bool stream) {
    std::lock_guard lock(c.mutex);
    if (c.closing) return;
    if (stream) {
      if (!c.subscribed) return;
      if (c.outbox.size() >= options.maxQueuedMessages) {
        c.subscribed = false;
        c.outbox.push_back(json{{"type", "event"}, {"event", "dropped"},
                                {"reason", "too slow: " + std::to_string(c.outbox.size()) + " messages waiting"}}
                               .dump());
        c.wake.notify_all();
        return;
      }
    }
    c.outbox.push_back(std::move(line));
    c.wake.notify_all();
  }
  void broadcast(const json& message) {
    const std::string line = message.dump();
    std::vector<std::shared_ptr<Connection>> all;
    {
      std::lock_guard lock(mutex);
      for (auto& [id, c] : connections) all.push_back(c);
    }
    for (auto& c : all) send(*c, line, true);
  }

  json error(const std::string& code, const std::string& message) {
    return json{{"ok", false}, {"error", {{"code", code}, {"message", message}}}};
  }

  bool holdsLock(int connection) {
    std::lock_guard lock(mutex);
    return lockHolder && *lockHolder == connection;
  }

  json startCampaign(int connection, const json& request) {
    if (!holdsLock(connection)) return error("locked", "lock the bench first (op: lock)");
    std::thread previous;
    {
      std::lock_guard lock(mutex);
      if (campaignRunning) return error("busy", "campaign " + std::to_string(*campaignId) + " is running");
      previous = std::move(campaign);
    }
    if (previous.joinable()) previous.join();  // ended: it only has to be reaped
    inst::Result<CampaignFile> file = inst::fail(inst::ErrorCode::Invalid, "give file (a path) or toml (its text)");
    if (request.contains("file") && request["file"].is_string())
      file = loadCampaignFile(request["file"].get<std::string>(), options.modelZoo);
    else if (request.contains("toml") && request["toml"].is_string())
      file = parseCampaign(request["toml"].get<std::string>(), "api-request.toml", options.modelZoo);
    if (!file) return error("invalid", file.error().message);
    if (!file->benchFile.empty()) return error("unsupported", "aidi serve runs campaigns on the virtual bench");
    std::lock_guard lock(mutex);
    if (campaignRunning) return error("busy", "campaign " + std::to_string(*campaignId) + " is running");
    auto id = planCampaign(*file, options.database);
    if (!id) return error("database", id.error().message);
    campaignId = *id;
    campaignRunning = true;
    campaignFailure.clear();
    clearInterrupt();
    campaign = std::thread([this, id = *id] {
      RunnerOptions runner;
      runner.database = options.database;
      runner.modelZoo = options.modelZoo;
      runner.subset = options.subset;
      runner.onEvent = [this](const CampaignEvent& e) { broadcast(progressOf(e)); };
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
    for (const auto& r : *runs) {
      json run{{"id", r.runId}, {"model", r.model}, {"policy", r.policy}, {"condition", r.condition},
               {"board", r.board}, {"state", r.state}, {"inferences", r.inferences}, {"finished", r.finished}};
      if (!r.failure.empty()) run["failure"] = r.failure;
      if (r.finished > 0) run["latency_median_s"] = r.latencyS.median;
      list.push_back(run);
    }
    return json{{"ok", true}, {"result", list}};
  }

  // Between two times of a run's recorded waveform (its sample's, or the
  // whole run's, -1): the cursor readouts, or the samples of one channel.
  json profileOf(const json& request, bool samples) {
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
                                 {"aidi", AIDI_VERSION}, {"bench", "virtual"},
                                 {"database", options.database.string()}, {"connection", c.id}}}};
      }
    } else if (!c.authorised) {
      reply = error("hello", "say hello first (op: hello, api: \"1.0\")");
    } else if (op == "bench.info") {
      reply = json{{"ok", true},
                   {"result", {{"bench", "virtual"}, {"target", "mps2-an386"}, {"locked_by", [&] {
                                  std::lock_guard lock(mutex);
                                  return lockHolder ? json(*lockHolder) : json(nullptr);
                                }()}}}};
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
      } else {
        std::lock_guard lock(c.mutex);
        c.subscribed = !request.contains("on") || request["on"].get<bool>();
        reply = json{{"ok", true}, {"result", {{"subscribed", c.subscribed}}}};
      }
    } else if (op == "campaign.start") {
      reply = startCampaign(c.id, request);
    } else if (op == "campaign.stop") {
      if (!holdsLock(c.id)) reply = error("locked", "lock the bench first (op: lock)");
      else {
        stopAsked = true;
        requestInterrupt();
        reply = json{{"ok", true}, {"result", json::object()}};
      }
    } else if (op == "campaign.wait") {
      reply = waitCampaign(request);
    } else if (op == "runs") {
      reply = runsOf(request);
    } else if (op == "stats" || op == "waveform") {
      reply = profileOf(request, op == "waveform");
    } else {
      reply = error("op", "unknown op \"" + op + "\" (hello, bench.info, lock, unlock, subscribe, campaign.start, "
                                               "campaign.stop, campaign.wait, runs, stats, waveform)");
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
        send(*c, reply.dump(), false);
      }
      if (pending.size() > options.maxRequestBytes) {
        send(*c, error("size", "a request longer than " + std::to_string(options.maxRequestBytes) + " bytes").dump(), false);
        break;
      }
    }
    close(c);
  }

  void write(const std::shared_ptr<Connection>& c) {
    for (;;) {
      std::string line;
      {
        std::unique_lock lock(c->mutex);
        c->wake.wait(lock, [&] { return c->closing || !c->outbox.empty(); });
        if (c->outbox.empty()) return;
        line = std::move(c->outbox.front());
        c->outbox.pop_front();
      }
      line.push_back('\n');
      for (std::size_t sent = 0; sent < line.size();) {
        const ssize_t n = ::send(c->fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
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
  auto impl = std::make_unique<Impl>();
  impl->options = options;
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
  if (s.campaign.joinable()) s.campaign.join();
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
