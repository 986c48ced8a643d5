#include "aidi/inst/serial_link.hpp"

#include <libserialport.h>

#include <algorithm>
#include <chrono>

#include "aidi/inst/interrupt.hpp"

namespace aidi::inst {
namespace {

std::string lastError() {
  char* message = sp_last_error_message();
  std::string text = message ? message : "unknown error";
  sp_free_error_message(message);
  return text;
}

}  // namespace

SerialLink::SerialLink(std::string device, int baud) : m_device(std::move(device)), m_baud(baud) {}

SerialLink::~SerialLink() { close(); }

std::string SerialLink::describe() const { return "serial " + m_device + " at " + std::to_string(m_baud) + " baud"; }

Status SerialLink::open() {
  close();
  if (sp_get_port_by_name(m_device.c_str(), &m_port) != SP_OK) {
    m_port = nullptr;
    return fail(ErrorCode::NotFound, describe() + ": no such port (" + lastError() + ")");
  }
  if (sp_open(m_port, SP_MODE_READ_WRITE) != SP_OK) {
    const std::string why = lastError();
    sp_free_port(m_port);
    m_port = nullptr;
    return fail(why.find("ermission") != std::string::npos ? ErrorCode::InUse : ErrorCode::Io,
                describe() + ": cannot open (" + why + ")");
  }
  const bool ok = sp_set_baudrate(m_port, m_baud) == SP_OK && sp_set_bits(m_port, 8) == SP_OK &&
                  sp_set_parity(m_port, SP_PARITY_NONE) == SP_OK && sp_set_stopbits(m_port, 1) == SP_OK &&
                  sp_set_flowcontrol(m_port, SP_FLOWCONTROL_NONE) == SP_OK;
  if (!ok) {
    const std::string why = lastError();
    close();
    return fail(ErrorCode::Io, describe() + ": cannot configure (" + why + ")");
  }
  return {};
}

void SerialLink::close() {
  if (!m_port) return;
  sp_close(m_port);
  sp_free_port(m_port);
  m_port = nullptr;
}

Result<std::size_t> SerialLink::read(std::span<std::byte> buffer, Millis timeout) {
  if (!m_port) return fail(ErrorCode::Io, describe() + ": not open");
  // Short slices, so Ctrl-C is noticed within 100 ms.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (interruptRequested()) return fail(ErrorCode::Cancelled, describe() + ": interrupted");
    const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    const auto slice = static_cast<unsigned>(std::clamp<long long>(left.count(), 1, 100));
    const sp_return n = sp_blocking_read_next(m_port, buffer.data(), buffer.size(), slice);
    if (n < 0) return fail(ErrorCode::Io, describe() + ": read failed (" + lastError() + ")");
    if (n > 0) return static_cast<std::size_t>(n);
    if (std::chrono::steady_clock::now() >= deadline) return std::size_t{0};
  }
}

Status SerialLink::write(std::span<const std::byte> data) {
  if (!m_port) return fail(ErrorCode::Io, describe() + ": not open");
  const sp_return n = sp_blocking_write(m_port, data.data(), data.size(), 2000);
  if (n < 0 || static_cast<std::size_t>(n) != data.size())
    return fail(ErrorCode::Io, describe() + ": write failed (" + (n < 0 ? lastError() : std::string("timeout")) + ")");
  return {};
}

}  // namespace aidi::inst
