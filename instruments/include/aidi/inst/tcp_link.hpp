// Link over a TCP client socket: QEMU's `-serial tcp:` UARTs, ser2net-exported
// serial ports, and SCPI instruments on port 5025.
#pragma once

#include <cstdint>
#include <string>

#include "aidi/inst/link.hpp"

namespace aidi::inst {

class TcpLink final : public Link {
 public:
  // `connectTimeout` bounds open(); refused connections are retried until then,
  // since a server that is starting up (QEMU) refuses for a moment.
  TcpLink(std::string host, std::uint16_t port, Millis connectTimeout = Millis{3000});
  ~TcpLink() override;
  TcpLink(const TcpLink&) = delete;
  TcpLink& operator=(const TcpLink&) = delete;

  [[nodiscard]] Status open() override;
  void close() override;
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> buffer, Millis timeout) override;
  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  std::string describe() const override;
  bool isOpen() const { return m_fd >= 0; }

 private:
  std::string m_host;
  std::uint16_t m_port;
  Millis m_connectTimeout;
  int m_fd = -1;
};

}  // namespace aidi::inst
