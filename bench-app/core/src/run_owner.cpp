#include "aidi/core/run_owner.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>

namespace aidi::core {

std::string hostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

namespace {

std::string bootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id.substr(0, 8);
}

// The process's start time in clock ticks since boot (/proc/PID/stat field
// 22), or "" when there is no such process.
std::string startTicks(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  const auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

std::string startOf(long pid) {
  const std::string ticks = startTicks(pid);
  return ticks.empty() ? "" : bootId() + "-" + ticks;
}

}  // namespace

double unixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string thisProcessOwner() {
  const long pid = static_cast<long>(::getpid());
  return hostName() + " " + std::to_string(pid) + " " + startOf(pid);
}

bool ownerAlive(const std::string& owner, double heartbeatAt) {
  std::istringstream in(owner);
  std::string host, start;
  long pid = 0;
  if (!(in >> host >> pid >> start)) return false;  // no owner recorded (an older aidi): orphaned
  if (host != hostName()) return unixSeconds() - heartbeatAt < kOwnerLeaseSeconds;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  return startOf(pid) == start;
}

}  // namespace aidi::core
