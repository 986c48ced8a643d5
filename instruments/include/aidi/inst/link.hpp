// A byte stream to a device: a serial port, a ser2net-style TCP port or the
// virtual board's UART. Framing lives above it (protocol decoder, SCPI lines).
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <string>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

using Millis = std::chrono::milliseconds;

class Link {
 public:
  virtual ~Link() = default;
  [[nodiscard]] virtual Status open() = 0;
  virtual void close() = 0;  // idempotent
  // Reads what is available, waiting up to `timeout` for the first byte.
  // Returns 0 on timeout; Closed when the peer closed the connection in
  // order, Io when it failed (reset, device gone).
  [[nodiscard]] virtual Result<std::size_t> read(std::span<std::byte> buffer, Millis timeout) = 0;
  [[nodiscard]] virtual Status write(std::span<const std::byte> data) = 0;
  // Where the link goes, for messages ("tcp 127.0.0.1:4000").
  virtual std::string describe() const = 0;
};

}  // namespace aidi::inst
