// The stop request every long operation of the bench honours within a
// second (Ctrl-C, SIGTERM, a GUI's Stop button): the faces set and clear it
// here; instruments, the simulation and the campaign runner poll it.
#pragma once

#include "aidi/inst/interrupt.hpp"

namespace aidi::core {
using inst::clearInterrupt;
using inst::installInterruptHandlers;
using inst::interruptRequested;
using inst::requestInterrupt;
}  // namespace aidi::core
