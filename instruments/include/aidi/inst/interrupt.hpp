// The process-wide "user pressed Ctrl-C" flag. Signal handlers set it (an
// atomic store is async-signal-safe); every blocking loop in instruments/ and
// core/ waits in short slices and gives up with ErrorCode::Cancelled once it is
// set, so cleanup (output off, QEMU quit) runs on the normal path.
#pragma once

namespace aidi::inst {

void requestInterrupt();
bool interruptRequested();
void clearInterrupt();  // for tests and for a GUI that starts a new run

// Installs SIGINT/SIGTERM/SIGHUP handlers that call requestInterrupt().
void installInterruptHandlers();

}  // namespace aidi::inst
