#include "failing_nvm.hpp"

#include <cstring>

namespace aidi::fw::host {

bool FailingNvm::write(std::uint32_t offset, const void* data, std::uint32_t size) {
  ++m_stats.writes;
  m_sizes.push_back(size);
  if (m_failAt >= 0 && m_writesSinceArmed++ == m_failAt) {
    std::uint32_t landed = m_landed == kHalf ? size / 2 : (m_landed < size ? m_landed : size);
    if (m_fraction >= 0) landed = static_cast<std::uint32_t>(m_fraction * size);
    std::memcpy(m_bytes.data() + offset, data, landed);  // torn
    m_stats.bytesWritten += landed;
    m_failAt = -1;
    return false;
  }
  std::memcpy(m_bytes.data() + offset, data, size);
  m_stats.bytesWritten += size;
  return true;
}

void FailingNvm::read(std::uint32_t offset, void* data, std::uint32_t size) {
  std::memcpy(data, m_bytes.data() + offset, size);
  ++m_stats.reads;
  m_stats.bytesRead += size;
}

}  // namespace aidi::fw::host
