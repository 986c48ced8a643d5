// A record in NVM that is replaced atomically under power failure.
//
// Two slots, each with a sequence number and a CRC-32C; commit() writes the
// slot that is *not* the newest valid one and writes its CRC last, so a power
// failure at any byte leaves the previous record intact. load() picks the valid
// slot with the higher sequence. Used for the boot counter and, by the runtime,
// for inference progress.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "aidi/proto/crc32c.hpp"

namespace aidi::fw {

template <class Payload>
class AtomicRecord {
 public:
  struct Slot {
    std::uint32_t magic;
    std::uint32_t sequence;
    Payload payload;
    std::uint32_t crc;  // over magic, sequence and payload
  };

  // Newest valid payload, or nullptr when neither slot is valid (first boot,
  // NVM erased or both slots corrupt).
  const Payload* load(std::uint32_t magic) const {
    const Slot* best = newest(magic);
    return best ? &best->payload : nullptr;
  }

  // Sequence number of the newest valid slot; 0 when there is none.
  std::uint32_t sequence(std::uint32_t magic) const {
    const Slot* best = newest(magic);
    return best ? best->sequence : 0;
  }

  void commit(std::uint32_t magic, const Payload& payload) {
    const Slot* best = newest(magic);
    Slot& target = (best == &m_slot[0]) ? m_slot[1] : m_slot[0];
    const std::uint32_t next = best ? best->sequence + 1 : 1;
    target.crc = 0;  // invalidate before the body changes
    std::atomic_signal_fence(std::memory_order_seq_cst);
    target.magic = magic;
    target.sequence = next;
    target.payload = payload;
    const std::uint32_t crc = crcOf(target);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    target.crc = crc;
  }

 private:
  static std::uint32_t crcOf(const Slot& s) {
    return proto::Crc32c::calculate(&s, offsetof(Slot, crc));
  }
  static bool valid(const Slot& s, std::uint32_t magic) {
    return s.magic == magic && s.sequence != 0 && s.crc == crcOf(s);
  }
  const Slot* newest(std::uint32_t magic) const {
    const bool a = valid(m_slot[0], magic);
    const bool b = valid(m_slot[1], magic);
    if (a && b) return (m_slot[1].sequence > m_slot[0].sequence) ? &m_slot[1] : &m_slot[0];
    if (a) return &m_slot[0];
    if (b) return &m_slot[1];
    return nullptr;
  }

  Slot m_slot[2];
};

}  // namespace aidi::fw
