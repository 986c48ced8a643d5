// Client for QEMU's machine protocol (QMP) on a unix socket: the bench's
// power switch for the virtual board (stop, system_reset, cont, quit).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "aidi/inst/link.hpp"
#include "aidi/inst/result.hpp"

namespace aidi::inst {

class QmpClient {
 public:
  QmpClient() = default;
  ~QmpClient();
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;

  // Connects (retrying until `timeout` while QEMU creates the socket), reads the
  // greeting and negotiates capabilities.
  [[nodiscard]] Status connect(const std::filesystem::path& socket, Millis timeout);
  void close();

  // Runs one command and returns its "return" value; QEMU's error becomes
  // Protocol with QEMU's description. Asynchronous events are skipped.
  [[nodiscard]] Result<nlohmann::json> execute(const std::string& command,
                                               const nlohmann::json& arguments = nullptr,
                                               Millis timeout = Millis{3000});
  // execute() for commands whose return value carries nothing.
  [[nodiscard]] Status run(const std::string& command, Millis timeout = Millis{3000});

 private:
  [[nodiscard]] Result<nlohmann::json> readMessage(Millis timeout);

  int m_fd = -1;
  std::string m_pending;
};

}  // namespace aidi::inst
