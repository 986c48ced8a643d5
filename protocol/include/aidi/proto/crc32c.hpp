// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final xor
// 0xFFFFFFFF). Check value of "123456789" is 0xE3069283.
//
// Used by the frame trailer and by every record the firmware keeps in NVM.
// Freestanding: no heap, no exceptions; the 1 KiB table is constexpr so it
// lands in flash on the device.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aidi::proto {

class Crc32c {
 public:
  static constexpr std::uint32_t kInitial = 0xFFFFFFFFu;

  // One-shot checksum of `size` bytes at `data`.
  static std::uint32_t calculate(const void* data, std::size_t size) {
    Crc32c crc;
    crc.update(data, size);
    return crc.value();
  }

  // Incremental form: update() any number of times, then value().
  void update(const void* data, std::size_t size);
  std::uint32_t value() const { return m_state ^ 0xFFFFFFFFu; }
  void clear() { m_state = kInitial; }

 private:
  std::uint32_t m_state = kInitial;
};

}  // namespace aidi::proto
