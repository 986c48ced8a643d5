// Link over a terminal device through POSIX termios (raw, 8N1, no flow
// control): pseudo-terminals, which libserialport does not open (the
// instrument simulators and a captured port replayed through `socat`), and
// any /dev/tty* where libserialport is not wanted. makeLink picks it for
// /dev/pts/N; SerialLink stays the choice for real ports (it enumerates
// USB descriptors and knows each OS's quirks).
#pragma once

#include <string>

#include "aidi/inst/link.hpp"

namespace aidi::inst {

class TtyLink final : public Link {
 public:
  TtyLink(std::string device, int baud);
  ~TtyLink() override;
  TtyLink(const TtyLink&) = delete;
  TtyLink& operator=(const TtyLink&) = delete;

  [[nodiscard]] Status open() override;
  void close() override;
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> buffer, Millis timeout) override;
  [[nodiscard]] Status write(std::span<const std::byte> data) override;
  std::string describe() const override;

 private:
  std::string m_device;
  int m_baud;
  int m_fd = -1;
};

// Whether `device` is a pseudo-terminal's path (/dev/pts/N).
bool isPseudoTerminal(const std::string& device);

}  // namespace aidi::inst
