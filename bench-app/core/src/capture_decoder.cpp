#include "aidi/core/capture_decoder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "aidi/inst/interrupt.hpp"
#include "aidi/inst/registry.hpp"
#include "aidi/inst/tcp_link.hpp"
#include "aidi/proto/messages.hpp"

namespace aidi::core {
namespace {

struct Sink {
  proto::FrameDecoder decoder{proto::isKnownMessageType};
  const FrameCallback& onFrame;
  void feed(const std::byte* data, std::size_t n) {
    decoder.feed(
        reinterpret_cast<const std::uint8_t*>(data), n,
        [](const proto::Frame& f, void* self) { static_cast<Sink*>(self)->onFrame(f); }, this);
  }
};

inst::Status readLink(inst::Link& link, Sink& sink);

// tcp:HOST:PORT, a ser2net port or any raw socket (the bench files' resource syntax).
inst::Status readTcp(const std::string& source, Sink& sink) {
  auto resource = inst::parseVisaResource(source);
  if (!resource) return inst::fail(inst::ErrorCode::Io, resource.error().message);
  inst::TcpLink link(resource->host, resource->port, inst::Millis{5000});
  return readLink(link, sink);
}

// serial:DEVICE[@BAUD], the board's port as it runs (921,600 Bd unless told).
inst::Status readSerial(const std::string& address, Sink& sink) {
  const auto at = address.rfind('@');
  int baud = 921600;
  if (at != std::string::npos) {
    const char* text = address.c_str() + at + 1;
    const auto [end, ec] = std::from_chars(text, address.c_str() + address.size(), baud);
    if (ec != std::errc{} || *end != '\0' || baud < 1200 || baud > 4'000'000)
      return inst::fail(inst::ErrorCode::Io, "bad address \"serial:" + address + "\": expected serial:DEVICE[@BAUD], "
                                             "BAUD from 1200 to 4000000");
  }
  const std::string device = address.substr(0, at);
  if (device.empty()) return inst::fail(inst::ErrorCode::Io, "bad address \"serial:" + address + "\": no device");
  auto link = inst::makeLink(
      inst::VisaResource{.kind = inst::VisaResource::Kind::Serial, .device = device, .text = "ASRL" + device + "::INSTR"},
      baud);
  return readLink(*link, sink);
}

inst::Status readLink(inst::Link& link, Sink& sink) {
  if (auto ok = link.open(); !ok) return ok;
  std::array<std::byte, 4096> buffer;
  for (;;) {
    auto n = link.read(buffer, inst::Millis{200});
    if (!n) {
      // The peer closing in order ends the capture; Ctrl-C ends it too. A
      // reset connection is an error: the capture may be incomplete.
      if (n.error().code == inst::ErrorCode::Closed || n.error().code == inst::ErrorCode::Cancelled) return {};
      return std::unexpected(n.error());
    }
    sink.feed(buffer.data(), *n);
  }
}

inst::Status readFd(int fd, const std::string& name, Sink& sink) {
  std::array<std::byte, 1 << 16> buffer;
  for (;;) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n == 0) return {};
    if (n < 0) {
      if (errno == EINTR) {
        if (inst::interruptRequested()) return {};
        continue;
      }
      return inst::fail(inst::ErrorCode::Io, "cannot read " + name + ": " + std::strerror(errno));
    }
    sink.feed(buffer.data(), static_cast<std::size_t>(n));
    if (inst::interruptRequested()) return {};
  }
}

}  // namespace

inst::Result<proto::DecoderCounters> decodeCapture(const std::string& source, const FrameCallback& onFrame) {
  Sink sink{.onFrame = onFrame};
  inst::Status status;
  if (source.starts_with("tcp:")) {
    status = readTcp(source, sink);
  } else if (source.starts_with("serial:")) {
    status = readSerial(source.substr(7), sink);
  } else if (source == "-") {
    status = readFd(STDIN_FILENO, "standard input", sink);
  } else {
    const int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return inst::fail(errno == ENOENT ? inst::ErrorCode::NotFound : inst::ErrorCode::Io,
                        "cannot open capture " + source + ": " + std::strerror(errno));
    }
    status = readFd(fd, source, sink);
    ::close(fd);
  }
  if (!status) return std::unexpected(status.error());
  sink.decoder.endOfInput();  // a frame cut off by the end of the capture is counted
  return sink.decoder.counters();
}

}  // namespace aidi::core
