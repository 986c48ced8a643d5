// A client of `aidi serve` (docs/api.md) for the C++ faces: the GUI
// attached to a remote bench. Requests may come from any thread; each
// waits for its own reply (matched by id). What the server sends on its own
// (progress, waveform, event) goes to `onMessage`, in order, on the
// client's reader thread; `onClosed` says once that the connection ended.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "aidi/inst/result.hpp"

namespace aidi::core {

struct ApiClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string token;  // when the server asks for one
  std::chrono::milliseconds timeout{10000};  // to connect, and for each reply
  std::function<void(const nlohmann::json&)> onMessage;
  std::function<void(const std::string& why)> onClosed;
};

// "HOST:PORT" (an IPv6 host in brackets) into options' host and port.
[[nodiscard]] inst::Status parseServerAddress(const std::string& address, ApiClientOptions& options);

class ApiClient {
 public:
  // Connects and says hello; the server's refusal (version, token) is the error.
  [[nodiscard]] static inst::Result<std::unique_ptr<ApiClient>> connect(ApiClientOptions options);
  ~ApiClient();  // closes the connection (a lock held dies with it)
  // The result of one request, or the server's refusal ("code: message"),
  // or why no reply came.
  [[nodiscard]] inst::Result<nlohmann::json> call(const std::string& op, nlohmann::json fields = nlohmann::json::object(),
                                                  std::chrono::milliseconds timeout = std::chrono::milliseconds{0});
  const nlohmann::json& hello() const;  // the hello's result: api, bench, connection
  std::string address() const;          // host:port
  bool connected() const;

  struct Impl;

 private:
  explicit ApiClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace aidi::core
