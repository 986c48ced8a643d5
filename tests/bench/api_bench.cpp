// `aidi serve`'s figures (#26): the round trip of a request on loopback,
// and 100 watching clients while a campaign streams its progress and its
// waveforms at full rate (every recorded point): every watcher gets every
// message, a client that stops reading is dropped from the stream and
// blocks nobody, and the campaign takes about as long as unwatched.
// Targets: round trip <= 2 ms; 100 watchers, no client blocking another.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aidi/core/api_server.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "bench_support.hpp"

using namespace aidi;
using bench::Clock;
using json = nlohmann::json;

namespace {

// A blocking line client.
struct Client {
  int fd = -1;
  std::string pending;
  explicit Client(std::uint16_t port, int receiveBuffer = 0) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receiveBuffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) bench::die({ErrorCode::Io, "cannot connect"});
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  ~Client() { ::close(fd); }
  void send(const json& j) {
    const std::string line = j.dump() + "\n";
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
      bench::die({ErrorCode::Io, "send failed"});
  }
  // The next line as it came (a watcher counts lines; parsing 100 copies
  // of every waveform here would measure this process, not the server).
  std::string readLine() {
    for (;;) {
      if (const auto eol = pending.find('\n'); eol != std::string::npos) {
        std::string line = pending.substr(0, eol);
        pending.erase(0, eol + 1);
        return line;
      }
      char buffer[65536];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) bench::die({ErrorCode::Io, "the server closed the connection"});
      pending.append(buffer, static_cast<std::size_t>(n));
    }
  }
  json read() {
    for (;;) {
      if (const auto eol = pending.find('\n'); eol != std::string::npos) {
        json j = json::parse(pending.substr(0, eol));
        pending.erase(0, eol + 1);
        return j;
      }
      char buffer[65536];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) bench::die({ErrorCode::Io, "the server closed the connection"});
      pending.append(buffer, static_cast<std::size_t>(n));
    }
  }
  json call(json request) {
    static std::atomic<int> ids{1};
    const int id = ids++;
    request["id"] = id;
    send(request);
    for (;;) {
      json reply = read();
      if (reply.contains("id") && reply["id"] == id) {
        if (!reply["ok"].get<bool>()) bench::die({ErrorCode::Protocol, reply.dump()});
        return reply["result"];
      }
    }
  }
};

const char* kCampaign =
    "[campaign]\nname = \"streamed\"\nsamples = 3\nwaveforms = true\n[matrix]\nmodels = [\"mcunet-s\"]\npolicies = [\"loop\", \"aidi\"]\n"
    "[[condition]]\nname = \"weak\"\nconstant_w = 0.0001\ncapacitor_uf = 22\n";

// Runs the campaign with `watchers` subscribed readers and one subscriber
// that never reads: wall seconds, messages each watcher got (all equal?),
// and whether the stalled one was dropped.
struct Watched {
  double seconds = 0;
  std::size_t messagesMin = 0, messagesMax = 0;
  std::size_t points = 0, bytes = 0;  // waveform points and bytes one watcher received
  bool stalledDropped = false;
};

Watched runWatched(std::uint16_t port, int watchers) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < watchers; ++i) {
    clients.push_back(std::make_unique<Client>(port));
    clients.back()->call({{"op", "hello"}, {"api", "1.0"}});
    clients.back()->call({{"op", "subscribe"}, {"waveforms", true}});
  }
  Client stalled(port, 4096);
  if (watchers > 0) {
    stalled.call({{"op", "hello"}, {"api", "1.0"}});
    stalled.call({{"op", "subscribe"}, {"waveforms", true}});
  }
  std::vector<std::size_t> counts(static_cast<std::size_t>(watchers));
  std::size_t points = 0, bytes = 0;
  std::vector<std::thread> readers;
  for (int i = 0; i < watchers; ++i)
    readers.emplace_back([&, i] {
      for (;;) {
        const std::string line = clients[static_cast<std::size_t>(i)]->readLine();
        ++counts[static_cast<std::size_t>(i)];
        const bool waveform = line.starts_with(R"({"attempt")");  // keys come sorted: a waveform's first
        if (i == 0) {  // one watcher checks what it got
          bytes += line.size() + 1;
          const json m = json::parse(line);
          if (waveform != (m.value("type", "") == "waveform")) bench::die({ErrorCode::Protocol, "a waveform not told apart"});
          if (waveform) points += m["count"].get<std::size_t>();
        }
        if (!waveform && line.find(R"("campaign_ended")") != std::string::npos) return;
      }
    });
  Client driver(port);
  driver.call({{"op", "hello"}, {"api", "1.0"}});
  driver.call({{"op", "lock"}});
  const auto start = Clock::now();
  driver.call({{"op", "campaign.start"}, {"toml", kCampaign}});
  driver.call({{"op", "campaign.wait"}, {"timeout_s", 3600}});
  Watched w;
  w.seconds = bench::seconds(start);
  for (auto& t : readers) t.join();
  w.points = points;
  w.bytes = bytes;
  driver.call({{"op", "unlock"}});
  if (watchers > 0) {
    w.messagesMin = *std::min_element(counts.begin(), counts.end());
    w.messagesMax = *std::max_element(counts.begin(), counts.end());
    // The stalled client reads now: its stream ended with "dropped".
    for (;;) {
      json m = stalled.read();
      if (m.value("event", "") == "dropped") {
        w.stalledDropped = true;
        break;
      }
      if (m.value("event", "") == "campaign_ended") break;
    }
  }
  return w;
}

}  // namespace

int main() {
  auto dir = bench::must(inst::TempDir::create("aidi-api-bench-"));
  core::ApiServerOptions options;
  options.database = dir.path() / "runs.sqlite";
  options.modelZoo = core::defaultModelDirectory();
  options.subset = core::subsetFileFor(options.modelZoo);
  options.maxRequestsPerSecond = 1'000'000;  // the round trip is measured back to back
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  auto server = bench::must(core::ApiServer::start(options));

  // Round trip: bench.info, one at a time.
  Client c(server->port());
  c.call({{"op", "hello"}, {"api", "1.0"}});
  std::vector<double> us;
  for (int i = 0; i < 5000; ++i) {
    const auto t0 = Clock::now();
    c.call({{"op", "bench.info"}});
    us.push_back(bench::seconds(t0) * 1e6);
  }
  std::sort(us.begin(), us.end());
  std::printf("API round trip on loopback (bench.info, 5000 requests): median %.0f us, p95 %.0f us, max %.0f us "
              "(target <= 2000 us)\n",
              us[us.size() / 2], us[us.size() * 95 / 100], us.back());

  const Watched alone = runWatched(server->port(), 0);
  const Watched watched = runWatched(server->port(), 100);
  std::printf("A campaign streaming its progress and waveforms (mcunet-s, 2 runs of 3 inferences, 0.1 mW into 22 uF: many power "
              "cycles; every recorded point):\n");
  std::printf("  unwatched               : %6.2f s\n", alone.seconds);
  std::printf("  100 watchers + 1 stalled: %6.2f s (%.2fx); every watcher got %zu..%zu messages%s, "
              "%zu waveform points, %.1f MB each (%.0f MB/s to all 100)\n",
              watched.seconds, watched.seconds / alone.seconds, watched.messagesMin, watched.messagesMax,
              watched.messagesMin == watched.messagesMax ? " (all equal)" : " (NOT equal)", watched.points,
              watched.bytes / 1e6, 100 * watched.bytes / 1e6 / watched.seconds);
  std::printf("  the stalled client (4 KiB receive buffer, never reading): %s\n",
              watched.stalledDropped ? "dropped from the stream with an event, blocking nobody"
                                     : "NOT dropped (its stream fit in its socket buffers)");
  if (watched.messagesMin != watched.messagesMax || !watched.stalledDropped) return 1;
  return 0;
}
