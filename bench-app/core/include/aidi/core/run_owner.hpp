// Who executes a run: this process, named so another process can tell
// whether it is still alive ("HOST PID START": START is the process's start
// time since boot and the boot's id, so a reused process id or a reboot is
// not mistaken for the owner). On the same host an owner is alive while its
// process is; on another host (a database on a shared disk) while its
// heartbeat is younger than kOwnerLeaseSeconds.
#pragma once

#include <string>

namespace aidi::core {

inline constexpr double kOwnerLeaseSeconds = 120;
// How often a runner renews the heartbeat of its run.
inline constexpr double kHeartbeatSeconds = 10;

// This machine's name ("unknown-host" if it has none).
std::string hostName();
std::string thisProcessOwner();
bool ownerAlive(const std::string& owner, double heartbeatAt);
double unixSeconds();

}  // namespace aidi::core
