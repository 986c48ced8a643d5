// A record in NVM that is replaced atomically under power failure: two slots,
// each with a sequence number and a CRC-32C. A commit writes the slot that is
// not the newest valid one — its CRC cleared first, then the body, then the
// CRC — so a failure at any byte leaves the previous record valid. load()
// picks the valid slot with the higher sequence. Every access goes through
// Nvm, so failure injection reaches every write. Used for inference progress
// and for the boot counter.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aidi/proto/crc32c.hpp"
#include "nvm.hpp"

namespace aidi::fw {

template <class Payload>
class NvmRecord {
  struct Slot {
    std::uint32_t magic;
    std::uint32_t sequence;
    Payload payload;
    std::uint32_t crc;  // over magic, sequence and payload
  };

 public:
  static constexpr std::uint32_t kBytes = 2 * sizeof(Slot);

  NvmRecord(Nvm& nvm, std::uint32_t offset, std::uint32_t magic) : m_nvm(nvm), m_offset(offset), m_magic(magic) {}

  // Newest valid payload; false when neither slot is valid (formatted NVM).
  bool load(Payload& out) {
    Slot a, b;
    const bool va = readSlot(0, a), vb = readSlot(1, b);
    m_newest = -1;
    m_sequence = 0;
    if (!va && !vb) return false;
    const bool useB = vb && (!va || b.sequence > a.sequence);
    const Slot& s = useB ? b : a;
    m_newest = useB ? 1 : 0;
    m_sequence = s.sequence;
    out = s.payload;
    return true;
  }

  // False when power failed during the commit (the previous record stays).
  // Call load() first after a boot, so the right slot is replaced.
  bool commit(const Payload& payload) {
    const int target = m_newest == 0 ? 1 : 0;
    Slot s{m_magic, m_sequence + 1, payload, 0};
    s.crc = crcOf(s);
    const std::uint32_t at = m_offset + static_cast<std::uint32_t>(target) * sizeof(Slot);
    const std::uint32_t zero = 0;
    if (!m_nvm.write(at + offsetof(Slot, crc), &zero, 4)) return false;
    if (!m_nvm.write(at, &s, offsetof(Slot, crc))) return false;
    if (!m_nvm.write(at + offsetof(Slot, crc), &s.crc, 4)) return false;
    m_newest = target;
    m_sequence = s.sequence;
    return true;
  }

 private:
  static std::uint32_t crcOf(const Slot& s) { return proto::Crc32c::calculate(&s, offsetof(Slot, crc)); }
  bool readSlot(int index, Slot& slot) {
    m_nvm.read(m_offset + static_cast<std::uint32_t>(index) * sizeof(Slot), &slot, sizeof slot);
    return slot.magic == m_magic && slot.sequence != 0 && slot.crc == crcOf(slot);
  }

  Nvm& m_nvm;
  std::uint32_t m_offset;
  std::uint32_t m_magic;
  int m_newest = -1;
  std::uint32_t m_sequence = 0;
};

}  // namespace aidi::fw
