// What the instrument simulators that serve TCP share: a listening socket
// on loopback only, and the accept loop that gives each client a thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

struct LoopbackListener {
  int fd = -1;
  std::uint16_t port = 0;  // as bound (a free one when 0 was asked)
};

// Listens on 127.0.0.1:`port`; `who` names the simulator in errors.
[[nodiscard]] Result<LoopbackListener> listenOnLoopback(std::uint16_t port, const std::string& who);

// Accepts clients until `stop`, serving each on its own thread; joins them.
void acceptClients(int listenFd, const std::atomic<bool>& stop, const std::function<void(int)>& serveClient);

}  // namespace aidi::inst
