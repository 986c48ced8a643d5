// Decodes a raw telemetry byte stream, as captured from a device, into frames:
// the engine of `aidi decode`.
#pragma once

#include <functional>
#include <string>

#include "aidi/inst/result.hpp"
#include "aidi/proto/decoder.hpp"

namespace aidi::core {

using FrameCallback = std::function<void(const proto::Frame&)>;

// `source` is a file path, "-" for standard input, or "tcp:HOST:PORT" for a
// ser2net-style port or the virtual board's UART (read until the peer closes
// or Ctrl-C). Calls `onFrame` for every verified frame; returns the decoder's
// counters. An unreadable source is an error naming it; an interrupted read
// still returns the counters of what was read.
[[nodiscard]] inst::Result<proto::DecoderCounters> decodeCapture(const std::string& source,
                                                                 const FrameCallback& onFrame);

}  // namespace aidi::core
