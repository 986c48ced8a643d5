// The instruments layer uses the one host error type (aidi/support/result.hpp).
#pragma once

#include "aidi/support/result.hpp"

namespace aidi::inst {
using aidi::Error;
using aidi::ErrorCode;
using aidi::fail;
using aidi::Result;
using aidi::Status;
}  // namespace aidi::inst
