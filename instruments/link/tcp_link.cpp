#include "aidi/inst/tcp_link.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "aidi/inst/interrupt.hpp"

namespace aidi::inst {
namespace {

// Waits in slices so Ctrl-C is noticed; returns poll()'s result or -1 with errno.
int pollInterruptible(int fd, short events, Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (interruptRequested()) {
      errno = EINTR;
      return -1;
    }
    const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    const int slice = static_cast<int>(std::clamp<long>(left.count(), 0, 50));
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, slice);
    if (r != 0 || left.count() <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return r;
    }
  }
}

}  // namespace

TcpLink::TcpLink(std::string host, std::uint16_t port, Millis connectTimeout)
    : m_host(std::move(host)), m_port(port), m_connectTimeout(connectTimeout) {}

TcpLink::~TcpLink() { close(); }

std::string TcpLink::describe() const { return "tcp " + m_host + ":" + std::to_string(m_port); }

Status TcpLink::open() {
  close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(m_port);
  if (const int rc = getaddrinfo(m_host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return fail(ErrorCode::NotFound, describe() + ": cannot resolve host: " + gai_strerror(rc));

  const auto deadline = std::chrono::steady_clock::now() + m_connectTimeout;
  std::string lastError = "no address";
  for (;;) {
    for (addrinfo* a = found; a; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        m_fd = fd;
        freeaddrinfo(found);
        return {};
      }
      lastError = std::strerror(errno);
      ::close(fd);
    }
    if (interruptRequested()) {
      freeaddrinfo(found);
      return fail(ErrorCode::Cancelled, describe() + ": interrupted while connecting");
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(Millis{10});
  }
  freeaddrinfo(found);
  return fail(ErrorCode::Timeout, describe() + ": cannot connect within " +
                                      std::to_string(m_connectTimeout.count()) + " ms: " + lastError);
}

void TcpLink::close() {
  if (m_fd >= 0) {
    ::close(m_fd);
    m_fd = -1;
  }
}

Result<std::size_t> TcpLink::read(std::span<std::byte> buffer, Millis timeout) {
  if (m_fd < 0) return fail(ErrorCode::Io, describe() + ": read on a closed link");
  const int r = pollInterruptible(m_fd, POLLIN, timeout);
  if (r < 0) {
    if (errno == EINTR) return fail(ErrorCode::Cancelled, describe() + ": interrupted");
    return fail(ErrorCode::Io, describe() + ": poll: " + std::strerror(errno));
  }
  if (r == 0) return std::size_t{0};
  const ssize_t n = ::recv(m_fd, buffer.data(), buffer.size(), 0);
  if (n < 0) return fail(ErrorCode::Io, describe() + ": recv: " + std::strerror(errno));
  if (n == 0) return fail(ErrorCode::Closed, describe() + ": connection closed by peer");
  return static_cast<std::size_t>(n);
}

Status TcpLink::write(std::span<const std::byte> data) {
  if (m_fd < 0) return fail(ErrorCode::Io, describe() + ": write on a closed link");
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(m_fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        if (pollInterruptible(m_fd, POLLOUT, Millis{1000}) <= 0)
          return fail(ErrorCode::Timeout, describe() + ": send blocked");
        continue;
      }
      return fail(ErrorCode::Io, describe() + ": send: " + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace aidi::inst
