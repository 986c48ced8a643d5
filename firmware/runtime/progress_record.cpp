#include "progress_record.hpp"

#include <cstddef>

#include "aidi/proto/crc32c.hpp"

namespace aidi::fw {
namespace {
constexpr std::uint32_t kMagic = 0x50524F47u;  // "GORP"
}

bool ProgressRecord::readSlot(int index, Slot& slot) {
  m_nvm.read(m_offset + static_cast<std::uint32_t>(index) * sizeof(Slot), &slot, sizeof slot);
  return slot.magic == kMagic && slot.sequence != 0 &&
         slot.crc == proto::Crc32c::calculate(&slot, offsetof(Slot, crc));
}

bool ProgressRecord::load(Progress& out) {
  Slot a, b;
  const bool va = readSlot(0, a), vb = readSlot(1, b);
  m_newest = -1;
  m_sequence = 0;
  if (!va && !vb) return false;
  const bool useB = vb && (!va || b.sequence > a.sequence);
  const Slot& s = useB ? b : a;
  m_newest = useB ? 1 : 0;
  m_sequence = s.sequence;
  out = s.progress;
  return true;
}

bool ProgressRecord::commit(const Progress& progress) {
  const int target = m_newest == 0 ? 1 : 0;
  Slot s{kMagic, m_sequence + 1, progress, 0};
  s.crc = proto::Crc32c::calculate(&s, offsetof(Slot, crc));
  const std::uint32_t at = m_offset + static_cast<std::uint32_t>(target) * sizeof(Slot);
  // Invalidate, write the body, then the CRC: a torn commit is never valid.
  const std::uint32_t zero = 0;
  if (!m_nvm.write(at + offsetof(Slot, crc), &zero, 4)) return false;
  if (!m_nvm.write(at, &s, offsetof(Slot, crc))) return false;
  if (!m_nvm.write(at + offsetof(Slot, crc), &s.crc, 4)) return false;
  m_newest = target;
  m_sequence = s.sequence;
  return true;
}

}  // namespace aidi::fw
