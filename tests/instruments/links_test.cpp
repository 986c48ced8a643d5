// The byte links the bench talks through, against real sockets: TCP (QEMU's
// UARTs, ser2net ports, SCPI on 5025) and QEMU's machine protocol (QMP) on a
// unix socket, served here by small stand-ins that behave like the real peers
// (including their failures: refusing, going away, never answering).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "../support/loopback_listener.hpp"
#include "aidi/inst/qmp_client.hpp"
#include "aidi/inst/tcp_link.hpp"
#include "aidi/inst/temp_dir.hpp"

using namespace aidi::inst;
using namespace std::chrono_literals;

namespace {

std::string readAll(TcpLink& link, std::size_t want) {
  std::string got;
  std::array<std::byte, 256> buffer;
  for (int i = 0; i < 100 && got.size() < want; ++i) {
    auto n = link.read(buffer, 100ms);
    if (!n) break;
    got.append(reinterpret_cast<const char*>(buffer.data()), *n);
  }
  return got;
}

Status writeText(TcpLink& link, const std::string& text) {
  return link.write(std::as_bytes(std::span(text.data(), text.size())));
}

}  // namespace

TEST(TcpLink, SendsAndReceivesBytesBothWays) {
  aidi::test::LoopbackListener listener;
  std::thread peer([&] {
    const int fd = ::accept(listener.fd, nullptr, nullptr);
    char buffer[64];
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) (void)!::write(fd, buffer, static_cast<std::size_t>(n));  // echo
    ::close(fd);
  });
  TcpLink link("127.0.0.1", listener.port, 2000ms);
  ASSERT_TRUE(link.open());
  EXPECT_NE(link.describe().find(std::to_string(listener.port)), std::string::npos) << link.describe();
  ASSERT_TRUE(writeText(link, std::string("frame\0bytes", 11)));
  EXPECT_EQ(readAll(link, 11), std::string("frame\0bytes", 11)) << "binary-safe, zero bytes included";
  peer.join();
  // The peer has gone: an error, never an endless stream of empty reads.
  std::array<std::byte, 16> buffer;
  Result<std::size_t> n = std::size_t{0};
  for (int i = 0; i < 20 && n && *n == 0; ++i) n = link.read(buffer, 50ms);
  ASSERT_FALSE(n) << "a closed peer is reported";
  EXPECT_EQ(n.error().code, ErrorCode::Closed);
}

TEST(TcpLink, AQuietPeerTimesOutWithZeroBytes) {
  aidi::test::LoopbackListener listener;
  std::atomic<bool> done{false};
  std::thread peer([&] {
    const int fd = ::accept(listener.fd, nullptr, nullptr);
    while (!done) std::this_thread::sleep_for(5ms);
    ::close(fd);
  });
  TcpLink link("127.0.0.1", listener.port, 2000ms);
  ASSERT_TRUE(link.open());
  std::array<std::byte, 16> buffer;
  auto n = link.read(buffer, 50ms);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
  done = true;
  peer.join();
}

TEST(TcpLink, NobodyListeningFailsWithinTheConnectTimeout) {
  std::uint16_t port = 0;
  {
    aidi::test::LoopbackListener listener;  // a port that was free a moment ago
    port = listener.port;
  }
  TcpLink link("127.0.0.1", port, 300ms);
  const auto start = std::chrono::steady_clock::now();
  auto ok = link.open();
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find(std::to_string(port)), std::string::npos) << ok.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "bounded by the timeout, not hanging";
  TcpLink unknown("no-such-host.invalid", 1, 300ms);
  EXPECT_FALSE(unknown.open());
}

namespace {

// QEMU's side of QMP: greeting, capabilities, then scripted replies.
class QmpStandIn {
 public:
  explicit QmpStandIn(const std::filesystem::path& path, bool answer = true) : m_answer(answer) {
    m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    (void)::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    (void)::listen(m_fd, 1);
    m_thread = std::thread([this] { serve(); });
  }
  ~QmpStandIn() {
    m_stop = true;
    ::shutdown(m_fd, SHUT_RDWR);
    ::close(m_fd);
    m_thread.join();
  }
  std::string received() const { return m_received; }

 private:
  void say(int fd, const std::string& line) { (void)!::write(fd, (line + "\r\n").data(), line.size() + 2); }
  void serve() {
    const int fd = ::accept(m_fd, nullptr, nullptr);
    if (fd < 0) return;
    say(fd, R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": []}})");
    std::string pending;
    char buffer[512];
    while (!m_stop) {
      const auto n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) break;
      pending.append(buffer, static_cast<std::size_t>(n));
      for (std::size_t end; (end = pending.find('\n')) != std::string::npos;) {
        const std::string line = pending.substr(0, end);
        pending.erase(0, end + 1);
        m_received += line + "\n";
        if (!m_answer && line.find("qmp_capabilities") == std::string::npos) continue;
        if (line.find("\"stop\"") != std::string::npos) {
          // An event first: the client must skip it and find its reply.
          say(fd, R"({"timestamp": {"seconds": 1, "microseconds": 2}, "event": "STOP"})");
          say(fd, R"({"return": {}})");
        } else if (line.find("no-such-command") != std::string::npos) {
          say(fd, R"({"error": {"class": "CommandNotFound", "desc": "The command no-such-command has not been found"}})");
        } else if (line.find("query-status") != std::string::npos) {
          say(fd, R"({"return": {"status": "paused", "running": false}})");
        } else {
          say(fd, R"({"return": {}})");
        }
      }
    }
    ::close(fd);
  }
  bool m_answer;
  int m_fd = -1;
  std::atomic<bool> m_stop{false};
  std::string m_received;
  std::thread m_thread;
};

}  // namespace

TEST(QmpClient, NegotiatesRunsCommandsAndSkipsEvents) {
  auto dir = TempDir::create("aidi-qmp-");
  ASSERT_TRUE(dir);
  const auto socket = dir->path() / "qmp.sock";
  QmpStandIn qemu(socket);
  QmpClient client;
  ASSERT_TRUE(client.connect(socket, 2000ms));
  EXPECT_TRUE(client.run("stop")) << "the STOP event before the reply is skipped";
  auto status = client.execute("query-status");
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ((*status)["status"], "paused");
  auto bad = client.execute("no-such-command");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::Protocol);
  EXPECT_NE(bad.error().message.find("has not been found"), std::string::npos) << bad.error().message;
  client.close();
  EXPECT_NE(qemu.received().find("qmp_capabilities"), std::string::npos);
}

TEST(QmpClient, AQemuThatStopsAnsweringTimesOut) {
  auto dir = TempDir::create("aidi-qmp-");
  ASSERT_TRUE(dir);
  const auto socket = dir->path() / "qmp.sock";
  QmpStandIn qemu(socket, false);
  QmpClient client;
  ASSERT_TRUE(client.connect(socket, 2000ms));
  auto r = client.execute("cont", nullptr, 200ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Timeout) << r.error().message;
}

TEST(QmpClient, NoSocketIsAClearErrorAfterTheTimeout) {
  QmpClient client;
  auto ok = client.connect("/nonexistent/aidi-qmp.sock", 200ms);
  ASSERT_FALSE(ok);
  EXPECT_NE(ok.error().message.find("/nonexistent/aidi-qmp.sock"), std::string::npos) << ok.error().message;
}
