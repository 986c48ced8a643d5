#include "aidi/inst/interrupt.hpp"

#include <atomic>
#include <csignal>

namespace aidi::inst {
namespace {
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void onSignal(int) { g_interrupted.store(true); }
}  // namespace

void requestInterrupt() { g_interrupted.store(true); }
bool interruptRequested() { return g_interrupted.load(); }
void clearInterrupt() { g_interrupted.store(false); }

void installInterruptHandlers() {
  struct sigaction action{};
  action.sa_handler = onSignal;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
  // A peer closing a socket must become an Error, not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace aidi::inst
