#include "failing_nvm.hpp"

#include <cstring>

namespace aidi::fw::host {

bool FailingNvm::write(std::uint32_t offset, const void* data, std::uint32_t size) {
  ++m_stats.writes;
  if (m_failAt >= 0 && m_writesSinceArmed++ == m_failAt) {
    std::memcpy(m_bytes.data() + offset, data, size / 2);  // torn
    m_stats.bytesWritten += size / 2;
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
