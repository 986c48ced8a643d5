// A TCP listening socket on 127.0.0.1 with a port the kernel picked: the
// stand-ins for instruments and boards in the tests listen on one. And for
// real servers a test starts (ser2net, OpenOCD, PostgreSQL): a port free a
// moment ago, and waiting until the server listens on it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <thread>

namespace aidi::test {

struct LoopbackListener {
  int fd = -1;
  std::uint16_t port = 0;

  LoopbackListener() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 || ::listen(fd, 1) != 0)
      return;
    port = ntohs(a.sin_port);
  }
  // Unblocks a thread waiting in accept() and closes; idempotent.
  void close() {
    if (fd < 0) return;
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    fd = -1;
  }
  ~LoopbackListener() { close(); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
};

// A loopback port nothing listens on now (for a server to be told to use).
inline std::uint16_t freeLoopbackPort() {
  LoopbackListener probe;
  return probe.port;
}

// True once something accepts connections on 127.0.0.1:`port`, false after `timeout`.
inline bool waitUntilListening(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace aidi::test
