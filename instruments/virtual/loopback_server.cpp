#include "loopback_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace aidi::inst {

Result<LoopbackListener> listenOnLoopback(std::uint16_t port, const std::string& who) {
  LoopbackListener l;
  l.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l.fd < 0) return fail(ErrorCode::Io, who + ": socket: " + std::strerror(errno));
  const int one = 1;
  setsockopt(l.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only
  address.sin_port = htons(port);
  if (::bind(l.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int err = errno;
    ::close(l.fd);
    return fail(err == EADDRINUSE ? ErrorCode::InUse : ErrorCode::Io,
                who + ": cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(err));
  }
  ::listen(l.fd, 4);
  socklen_t length = sizeof address;
  getsockname(l.fd, reinterpret_cast<sockaddr*>(&address), &length);
  l.port = ntohs(address.sin_port);
  return l;
}

void acceptClients(int listenFd, const std::atomic<bool>& stop, const std::function<void(int)>& serveClient) {
  std::vector<std::thread> clients;
  while (!stop) {
    pollfd p{listenFd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    clients.emplace_back([&serveClient, fd] { serveClient(fd); });
  }
  for (auto& t : clients) t.join();
}

}  // namespace aidi::inst
