// Polled driver for the ARM CMSDK APB UART (UART0/UART1 of mps2-an386).
#pragma once

#include <cstddef>
#include <cstdint>

namespace aidi::fw::mps2 {

class CmsdkUart {
 public:
  explicit constexpr CmsdkUart(std::uintptr_t base) : m_base(base) {}

  // Enables TX and RX. QEMU ignores the baud rate but requires BAUDDIV >= 16.
  void enable() const;
  void writeByte(std::uint8_t byte) const;  // blocks while the TX buffer is full
  void write(const void* data, std::size_t size) const;
  void writeText(const char* text) const;
  void writeDecimal(std::uint32_t value) const;
  // Returns true and sets `byte` when one was waiting.
  bool tryReadByte(std::uint8_t& byte) const;

 private:
  std::uintptr_t m_base;
};

}  // namespace aidi::fw::mps2
