#include "aidi/inst/tty_link.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "aidi/inst/interrupt.hpp"

namespace aidi::inst {
namespace {

speed_t speedOf(int baud) {
  switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return B0;
  }
}

}  // namespace

bool isPseudoTerminal(const std::string& device) { return device.rfind("/dev/pts/", 0) == 0; }

TtyLink::TtyLink(std::string device, int baud) : m_device(std::move(device)), m_baud(baud) {}

TtyLink::~TtyLink() { close(); }

std::string TtyLink::describe() const { return "tty " + m_device + " at " + std::to_string(m_baud) + " baud"; }

Status TtyLink::open() {
  close();
  const speed_t speed = speedOf(m_baud);
  if (speed == B0) return fail(ErrorCode::Unsupported, describe() + ": baud rate not supported by termios");
  m_fd = ::open(m_device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (m_fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::NotFound : err == EBUSY || err == EACCES ? ErrorCode::InUse : ErrorCode::Io,
                describe() + ": cannot open (" + std::strerror(err) + ")");
  }
  termios t{};
  if (tcgetattr(m_fd, &t) != 0) {
    const int err = errno;
    close();
    return fail(ErrorCode::Io, describe() + ": not a terminal (" + std::strerror(err) + ")");
  }
  cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  t.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | CRTSCTS);
  cfsetispeed(&t, speed);
  cfsetospeed(&t, speed);
  if (tcsetattr(m_fd, TCSANOW, &t) != 0) {
    const int err = errno;
    close();
    return fail(ErrorCode::Io, describe() + ": cannot configure (" + std::strerror(err) + ")");
  }
  return {};
}

void TtyLink::close() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

Result<std::size_t> TtyLink::read(std::span<std::byte> buffer, Millis timeout) {
  if (m_fd < 0) return fail(ErrorCode::Io, describe() + ": not open");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (interruptRequested()) return fail(ErrorCode::Cancelled, describe() + ": interrupted");
    const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    pollfd p{m_fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::clamp<long long>(left.count(), 0, 100)));
    if (ready < 0 && errno != EINTR) return fail(ErrorCode::Io, describe() + ": poll failed (" + std::strerror(errno) + ")");
    if (ready > 0) {
      // A pseudo-terminal whose other side closed reports POLLHUP (and EIO on read): the device is gone.
      const ssize_t n = ::read(m_fd, buffer.data(), buffer.size());
      if (n > 0) return static_cast<std::size_t>(n);
      if (n == 0 || (n < 0 && errno == EIO) || (p.revents & POLLHUP))
        return fail(ErrorCode::Io, describe() + ": device gone (hung up)");
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        return fail(ErrorCode::Io, describe() + ": read failed (" + std::strerror(errno) + ")");
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::size_t{0};
  }
}

Status TtyLink::write(std::span<const std::byte> data) {
  if (m_fd < 0) return fail(ErrorCode::Io, describe() + ": not open");
  std::size_t done = 0;
  const auto deadline = std::chrono::steady_clock::now() + Millis{2000};
  while (done < data.size()) {
    const ssize_t n = ::write(m_fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return fail(ErrorCode::Io, describe() + ": write failed (" + std::strerror(errno) + ")");
    if (std::chrono::steady_clock::now() >= deadline) return fail(ErrorCode::Timeout, describe() + ": write timed out");
    pollfd p{m_fd, POLLOUT, 0};
    (void)::poll(&p, 1, 10);
  }
  return {};
}

}  // namespace aidi::inst
