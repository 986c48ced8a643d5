// A child process started from an argument vector (never through a shell).
//
// The child gets its own process group (a terminal's Ctrl-C reaches only us,
// and we decide how to stop it) and is killed by the kernel if the thread that
// spawned it dies, so a kill -9 of the bench leaves nothing running. Its stdout
// and stderr go to one in-memory file that output() reads at any time.
// The destructor stops a child that is still running (SIGTERM, then SIGKILL).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

using Millis = std::chrono::milliseconds;

class Subprocess {
 public:
  // Starts argv[0] (looked up on PATH when it has no slash). Fails with
  // NotFound when the program does not exist or is not executable.
  [[nodiscard]] static Result<Subprocess> spawn(const std::vector<std::string>& argv);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  pid_t pid() const { return m_pid; }
  const std::string& program() const { return m_program; }

  // Exit code once the child has ended (128 + signal when killed), without waiting.
  std::optional<int> exitCode();
  // Waits up to `timeout` for the child to end; Timeout if it is still running,
  // Cancelled when the user interrupts.
  [[nodiscard]] Result<int> wait(Millis timeout);
  // SIGTERM, up to `grace` to exit, then SIGKILL. Safe when already ended.
  void terminate(Millis grace = Millis{1000});
  void signal(int sig);

  // Everything the child wrote to stdout and stderr so far.
  std::string output() const;
  // The last non-empty line of output(), for one-line error messages.
  std::string lastOutputLine() const;

 private:
  Subprocess() = default;
  void reap(int status);

  pid_t m_pid = -1;
  int m_outputFd = -1;
  std::optional<int> m_exitCode;
  std::string m_program;
};

}  // namespace aidi::inst
