// Protocol frames on UART0, for the firmware apps of this board: one writer
// numbering the frames of a boot, and the error and log messages every app sends.
#pragma once

#include <cstdint>
#include <cstring>

#include "aidi/proto/messages.hpp"
#include "board.hpp"
#include "cmsdk_uart.hpp"

namespace aidi::fw::mps2 {

class TelemetryUart {
 public:
  explicit TelemetryUart(std::uint16_t bootId = 0) : m_writer(bootId) {}
  void begin() const {
    m_uart.enable();
    m_uart.writeByte(proto::kDelimiter);  // lets the host resynchronise
  }
  void setBootId(std::uint16_t bootId) { m_writer = proto::FrameWriter(bootId); }

  template <class M>
  void send(const M& message) {
    std::uint8_t wire[proto::kMaxEncodedFrame];
    m_uart.write(wire, m_writer.write(message, wire, sizeof wire));
  }
  void sendError(std::uint16_t code, std::uint32_t detail, const char* text) {
    proto::DeviceError e{};
    e.code = code;
    e.detail = detail;
    e.textLength = static_cast<std::uint8_t>(clip(std::strlen(text), proto::kMaxErrorText));
    std::memcpy(e.text, text, e.textLength);
    send(e);
  }
  void sendLog(const char* text, proto::LogLevel level = proto::LogLevel::Info) {
    proto::Log log{};
    log.level = level;
    log.textLength = static_cast<std::uint8_t>(clip(std::strlen(text), proto::kMaxLogText));
    std::memcpy(log.text, text, log.textLength);
    send(log);
  }

 private:
  static std::size_t clip(std::size_t n, std::size_t max) { return n < max ? n : max; }
  CmsdkUart m_uart{kUart0Base};
  proto::FrameWriter m_writer;
};

}  // namespace aidi::fw::mps2
