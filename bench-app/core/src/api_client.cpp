#include "aidi/core/api_client.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "aidi/core/api_server.hpp"

namespace aidi::core {

using json = nlohmann::json;

inst::Status parseServerAddress(const std::string& address, ApiClientOptions& options) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return inst::fail(inst::ErrorCode::Invalid, "server address \"" + address + "\": expected HOST:PORT");
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string port = address.substr(colon + 1);
  char* end = nullptr;
  const long value = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || value < 1 || value > 65535)
    return inst::fail(inst::ErrorCode::Invalid, "server address \"" + address + "\": the port must be 1 to 65535");
  options.host = host;
  options.port = static_cast<std::uint16_t>(value);
  return {};
}

struct ApiClient::Impl {
  ApiClientOptions options;
  int fd = -1;
  json hello;
  std::mutex sending;  // one request's line at a time
  std::mutex mutex;    // the replies, the state
  std::condition_variable replied;
  std::map<std::int64_t, json> replies;
  std::int64_t nextId = 1;
  std::atomic<bool> open{true};
  std::string closedWhy;
  std::thread reader;

  void read() {
    std::string pending;
    char buffer[65536];
    std::string why = "aidi serve closed the connection";
    while (open) {
      pollfd p{fd, POLLIN, 0};
      const int ready = ::poll(&p, 1, 200);
      if (ready < 0 && errno != EINTR) break;
      if (ready <= 0) continue;
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      pending.append(buffer, static_cast<std::size_t>(n));
      std::size_t from = 0;
      for (std::size_t eol; (eol = pending.find('\n', from)) != std::string::npos; from = eol + 1) {
        json message = json::parse(pending.begin() + static_cast<std::ptrdiff_t>(from),
                                   pending.begin() + static_cast<std::ptrdiff_t>(eol), nullptr, false);
        if (message.is_discarded() || !message.is_object()) {
          why = "aidi serve sent a line that is not a JSON object";
          open = false;
          break;
        }
        if (message.contains("id") && message["id"].is_number_integer()) {
          const auto id = message["id"].get<std::int64_t>();
          std::lock_guard lock(mutex);
          replies[id] = std::move(message);
          replied.notify_all();
        } else if (options.onMessage) {
          options.onMessage(message);
        }
      }
      pending.erase(0, from);
    }
    {
      std::lock_guard lock(mutex);
      closedWhy = why;
      open = false;
      replied.notify_all();
    }
    if (options.onClosed) options.onClosed(why);
  }
};

ApiClient::ApiClient(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

inst::Result<std::unique_ptr<ApiClient>> ApiClient::connect(ApiClientOptions options) {
  const std::string where = options.host + ":" + std::to_string(options.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(options.host.c_str(), std::to_string(options.port).c_str(), &hints, &found); rc != 0)
    return inst::fail(inst::ErrorCode::NotFound, "aidi serve at " + where + ": " + ::gai_strerror(rc));
  int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int rc = fd < 0 ? -1 : ::connect(fd, found->ai_addr, found->ai_addrlen);
  ::freeaddrinfo(found);
  if (rc != 0 && fd >= 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int error = ETIMEDOUT;
    socklen_t length = sizeof error;
    if (::poll(&p, 1, static_cast<int>(options.timeout.count())) == 1)
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
    rc = error == 0 ? 0 : -1;
    errno = error;
  }
  if (rc != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return inst::fail(inst::ErrorCode::Io, "aidi serve at " + where + ": " + why);
  }
  const int flags = 0, one = 1;
  ::fcntl(fd, F_SETFL, flags);  // blocking from here: the reader polls
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->fd = fd;
  Impl* raw = impl.get();
  impl->reader = std::thread([raw] { raw->read(); });
  std::unique_ptr<ApiClient> client(new ApiClient(std::move(impl)));
  json hello{{"api", std::to_string(kApiMajor) + "." + std::to_string(kApiMinor)}};
  if (!raw->options.token.empty()) hello["token"] = raw->options.token;
  auto said = client->call("hello", hello);
  if (!said) return std::unexpected(said.error());
  raw->hello = *said;
  return client;
}

ApiClient::~ApiClient() {
  m_impl->open = false;
  ::shutdown(m_impl->fd, SHUT_RDWR);
  if (m_impl->reader.joinable()) m_impl->reader.join();
  ::close(m_impl->fd);
}

inst::Result<json> ApiClient::call(const std::string& op, json fields, std::chrono::milliseconds timeout) {
  Impl& s = *m_impl;
  if (!fields.is_object()) return inst::fail(inst::ErrorCode::Invalid, "a request's fields are an object");
  std::int64_t id = 0;
  {
    std::lock_guard lock(s.mutex);
    if (!s.open) return inst::fail(inst::ErrorCode::Closed, s.closedWhy.empty() ? "not connected" : s.closedWhy);
    id = s.nextId++;
  }
  fields["id"] = id;
  fields["op"] = op;
  const std::string line = fields.dump() + "\n";
  {
    // The reader stores replies meanwhile: sending never holds its lock.
    std::lock_guard lock(s.sending);
    for (std::size_t sent = 0; sent < line.size();) {
      const ssize_t n = ::send(s.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return inst::fail(inst::ErrorCode::Io, "aidi serve at " + address() + ": " + std::strerror(errno));
      sent += static_cast<std::size_t>(n);
    }
  }
  std::unique_lock lock(s.mutex);
  const auto wait = timeout.count() > 0 ? timeout : s.options.timeout;
  if (!s.replied.wait_for(lock, wait, [&] { return s.replies.contains(id) || !s.open; }))
    return inst::fail(inst::ErrorCode::Timeout, "aidi serve at " + address() + ": no reply to " + op);
  const auto it = s.replies.find(id);
  if (it == s.replies.end()) return inst::fail(inst::ErrorCode::Closed, s.closedWhy);
  json reply = std::move(it->second);
  s.replies.erase(it);
  if (!reply.value("ok", false)) {
    const json error = reply.value("error", json::object());
    return inst::fail(inst::ErrorCode::Protocol,
                      op + ": " + error.value("code", "?") + ": " + error.value("message", "refused"));
  }
  return reply.value("result", json());
}

const json& ApiClient::hello() const { return m_impl->hello; }
std::string ApiClient::address() const { return m_impl->options.host + ":" + std::to_string(m_impl->options.port); }
bool ApiClient::connected() const { return m_impl->open; }

}  // namespace aidi::core
