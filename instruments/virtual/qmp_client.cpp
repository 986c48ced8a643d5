#include "aidi/inst/qmp_client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "aidi/inst/interrupt.hpp"

namespace aidi::inst {

QmpClient::~QmpClient() { close(); }

void QmpClient::close() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
  m_pending.clear();
}

Status QmpClient::connect(const std::filesystem::path& socketPath, Millis timeout) {
  close();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string path = socketPath.string();
  if (path.size() >= sizeof address.sun_path) return fail(ErrorCode::Io, "QMP socket path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(ErrorCode::Io, std::string("QMP socket: ") + std::strerror(errno));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
      m_fd = fd;
      break;
    }
    const int err = errno;
    ::close(fd);
    if (interruptRequested()) return fail(ErrorCode::Cancelled, "interrupted while connecting to QMP");
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(ErrorCode::Timeout, "cannot connect to QMP at " + path + ": " + std::strerror(err));
    std::this_thread::sleep_for(Millis{5});
  }

  auto greeting = readMessage(timeout);
  if (!greeting) return std::unexpected(greeting.error());
  if (!greeting->contains("QMP")) return fail(ErrorCode::Protocol, "QMP: unexpected greeting " + greeting->dump());
  auto negotiated = execute("qmp_capabilities");
  if (!negotiated) return std::unexpected(negotiated.error());
  return {};
}

Result<nlohmann::json> QmpClient::readMessage(Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto eol = m_pending.find('\n'); eol != std::string::npos) {
      const std::string line = m_pending.substr(0, eol);
      m_pending.erase(0, eol + 1);
      auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) return fail(ErrorCode::Protocol, "QMP: not JSON: " + line);
      return parsed;
    }
    if (interruptRequested()) return fail(ErrorCode::Cancelled, "interrupted while waiting for QMP");
    const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return fail(ErrorCode::Timeout, "QMP: no reply within " + std::to_string(timeout.count()) + " ms");
    pollfd p{m_fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 50)));
    if (r < 0 && errno != EINTR) return fail(ErrorCode::Io, std::string("QMP poll: ") + std::strerror(errno));
    if (r <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
    if (n == 0) return fail(ErrorCode::Io, "QMP: QEMU closed the connection");
    if (n < 0) return fail(ErrorCode::Io, std::string("QMP recv: ") + std::strerror(errno));
    m_pending.append(buffer, static_cast<std::size_t>(n));
  }
}

Result<nlohmann::json> QmpClient::execute(const std::string& command, const nlohmann::json& arguments,
                                          Millis timeout) {
  if (m_fd < 0) return fail(ErrorCode::Io, "QMP: not connected");
  nlohmann::json request{{"execute", command}};
  if (!arguments.is_null()) request["arguments"] = arguments;
  const std::string text = request.dump() + "\n";
  if (::send(m_fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size()))
    return fail(ErrorCode::Io, "QMP: cannot send " + command + ": " + std::strerror(errno));
  for (;;) {
    auto message = readMessage(timeout);
    if (!message) return message;
    if (message->contains("return")) return (*message)["return"];
    if (message->contains("error"))
      return fail(ErrorCode::Protocol,
                  "QMP " + command + ": " + (*message)["error"].value("desc", message->dump()));
    // {"event": ...}: not ours, keep waiting.
  }
}

Status QmpClient::run(const std::string& command, Millis timeout) {
  auto reply = execute(command, nullptr, timeout);
  if (!reply) return std::unexpected(reply.error());
  return {};
}

}  // namespace aidi::inst
