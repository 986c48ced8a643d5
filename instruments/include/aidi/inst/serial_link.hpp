// Link over a local serial port through libserialport: a board's USB virtual
// COM port (telemetry) or an instrument's RS-232/USB-serial SCPI interface.
// 8N1, no flow control. (libserialport cannot open pseudo-terminals, so this
// is tested for its failure paths only; real ports are tested on a bench.)
#pragma once

#include <string>

#include "aidi/inst/link.hpp"

struct sp_port;

namespace aidi::inst {

class SerialLink final : public Link {
 public:
  SerialLink(std::string device, int baud);
  ~SerialLink() override;
  SerialLink(const SerialLink&) = delete;
  SerialLink& operator=(const SerialLink&) = delete;

  [[nodiscard]] Status open() override;
  void close() override;
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> buffer, Millis timeout) override;
  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  std::string describe() const override;

 private:
  std::string m_device;
  int m_baud;
  sp_port* m_port = nullptr;
};

}  // namespace aidi::inst
