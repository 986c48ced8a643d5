#include "aidi/inst/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "aidi/inst/interrupt.hpp"

namespace aidi::inst {

Result<Subprocess> Subprocess::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(ErrorCode::Io, "subprocess: empty argument vector");

  const int outputFd = memfd_create("aidi-subprocess-output", MFD_CLOEXEC);
  if (outputFd < 0) return fail(ErrorCode::Io, std::string("memfd_create: ") + std::strerror(errno));
  int execPipe[2];  // reports an exec failure's errno; closes on a successful exec
  if (pipe2(execPipe, O_CLOEXEC) != 0) {
    close(outputFd);
    return fail(ErrorCode::Io, std::string("pipe: ") + std::strerror(errno));
  }

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(outputFd);
    close(execPipe[0]);
    close(execPipe[1]);
    return fail(ErrorCode::Io, std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls from here to exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    setpgid(0, 0);
    const int devNull = open("/dev/null", O_RDONLY);
    if (devNull >= 0) dup2(devNull, STDIN_FILENO);
    dup2(outputFd, STDOUT_FILENO);
    dup2(outputFd, STDERR_FILENO);
    ::signal(SIGPIPE, SIG_DFL);
    execvp(args[0], args.data());
    const int err = errno;
    (void)!write(execPipe[1], &err, sizeof err);
    _exit(127);
  }

  close(execPipe[1]);
  int execErrno = 0;
  ssize_t n;
  do {
    n = read(execPipe[0], &execErrno, sizeof execErrno);
  } while (n < 0 && errno == EINTR);
  close(execPipe[0]);

  Subprocess child;
  child.m_pid = pid;
  child.m_outputFd = outputFd;
  child.m_program = argv.front();
  if (n == static_cast<ssize_t>(sizeof execErrno)) {
    int status = 0;
    waitpid(pid, &status, 0);
    child.m_pid = -1;
    const ErrorCode code = (execErrno == ENOENT || execErrno == EACCES || execErrno == ENOTDIR)
                               ? ErrorCode::NotFound
                               : ErrorCode::Io;
    return fail(code, "cannot run " + argv.front() + ": " + std::strerror(execErrno));
  }
  return child;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)),
      m_outputFd(std::exchange(other.m_outputFd, -1)),
      m_exitCode(other.m_exitCode),
      m_program(std::move(other.m_program)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    terminate();
    if (m_outputFd >= 0) close(m_outputFd);
    m_pid = std::exchange(other.m_pid, -1);
    m_outputFd = std::exchange(other.m_outputFd, -1);
    m_exitCode = other.m_exitCode;
    m_program = std::move(other.m_program);
  }
  return *this;
}

Subprocess::~Subprocess() {
  terminate();
  if (m_outputFd >= 0) close(m_outputFd);
}

void Subprocess::reap(int status) {
  if (WIFEXITED(status)) m_exitCode = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) m_exitCode = 128 + WTERMSIG(status);
  else m_exitCode = 255;
}

std::optional<int> Subprocess::exitCode() {
  if (m_pid < 0 || m_exitCode) return m_exitCode;
  int status = 0;
  const pid_t r = waitpid(m_pid, &status, WNOHANG);
  if (r == m_pid) reap(status);
  return m_exitCode;
}

Result<int> Subprocess::wait(Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto code = exitCode()) return *code;
    if (m_pid < 0) return fail(ErrorCode::Io, m_program + ": no such process");
    if (interruptRequested()) return fail(ErrorCode::Cancelled, "interrupted while waiting for " + m_program);
    if (std::chrono::steady_clock::now() >= deadline)
      return fail(ErrorCode::Timeout, m_program + " did not exit within " + std::to_string(timeout.count()) + " ms");
    std::this_thread::sleep_for(Millis{2});
  }
}

void Subprocess::signal(int sig) {
  if (m_pid > 0 && !exitCode()) ::kill(m_pid, sig);
}

void Subprocess::terminate(Millis grace) {
  if (m_pid <= 0 || exitCode()) return;
  ::kill(m_pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!exitCode() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(Millis{2});
  if (!exitCode()) {
    ::kill(m_pid, SIGKILL);
    int status = 0;
    if (waitpid(m_pid, &status, 0) == m_pid) reap(status);
  }
}

std::string Subprocess::output() const {
  std::string text;
  if (m_outputFd < 0) return text;
  char buffer[4096];
  off_t offset = 0;
  for (;;) {
    const ssize_t n = pread(m_outputFd, buffer, sizeof buffer, offset);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
  return text;
}

std::string Subprocess::lastOutputLine() const {
  const std::string text = output();
  std::size_t end = text.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return {};
  const std::size_t begin = text.find_last_of('\n', end);
  return text.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1) + 1);
}

}  // namespace aidi::inst
