// VISA-style resource strings, as lab users write them for VISA and PyVISA:
//   TCPIP0::192.0.2.7::5025::SOCKET   raw SCPI socket (port optional: 5025)
//   ASRL/dev/ttyUSB0::INSTR           serial port by device path
// and their short forms:
//   tcp:HOST:PORT                     a raw TCP socket (a ser2net port of a remote serial link)
//   serial:/dev/ttyACM0               a serial port
#pragma once

#include <cstdint>
#include <string>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

struct VisaResource {
  enum class Kind { TcpSocket, Serial } kind;
  std::string host;     // TcpSocket
  std::uint16_t port = 5025;
  std::string device;   // Serial
  std::string text;     // as written
};

// Parses `text`; the error names the resource and what is wrong with it.
[[nodiscard]] Result<VisaResource> parseVisaResource(const std::string& text);

}  // namespace aidi::inst
