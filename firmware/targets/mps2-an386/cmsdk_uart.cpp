#include "cmsdk_uart.hpp"

#include "board.hpp"

namespace aidi::fw::mps2 {
namespace {
constexpr std::uintptr_t kData = 0x0;
constexpr std::uintptr_t kState = 0x4;
constexpr std::uintptr_t kCtrl = 0x8;
constexpr std::uintptr_t kBaudDiv = 0x10;
constexpr std::uint32_t kStateTxFull = 1u << 0;
constexpr std::uint32_t kStateRxFull = 1u << 1;
constexpr std::uint32_t kCtrlTxEnable = 1u << 0;
constexpr std::uint32_t kCtrlRxEnable = 1u << 1;
}  // namespace

void CmsdkUart::enable() const {
  reg(m_base + kBaudDiv) = 16;
  reg(m_base + kCtrl) = kCtrlTxEnable | kCtrlRxEnable;
}

void CmsdkUart::writeByte(std::uint8_t byte) const {
  while (reg(m_base + kState) & kStateTxFull) {
  }
  reg(m_base + kData) = byte;
}

void CmsdkUart::write(const void* data, std::size_t size) const {
  const auto* p = static_cast<const std::uint8_t*>(data);
  for (std::size_t i = 0; i < size; ++i) writeByte(p[i]);
}

void CmsdkUart::writeText(const char* text) const {
  while (*text) writeByte(static_cast<std::uint8_t>(*text++));
}

void CmsdkUart::writeDecimal(std::uint32_t value) const {
  char digits[10];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (n > 0) writeByte(static_cast<std::uint8_t>(digits[--n]));
}

bool CmsdkUart::tryReadByte(std::uint8_t& byte) const {
  if (!(reg(m_base + kState) & kStateRxFull)) return false;
  byte = static_cast<std::uint8_t>(reg(m_base + kData));
  return true;
}

}  // namespace aidi::fw::mps2
