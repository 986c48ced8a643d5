#include "nvm.hpp"

#include <cstring>

namespace aidi::fw {

bool MemoryNvm::write(std::uint32_t offset, const void* data, std::uint32_t size) {
  std::memcpy(m_bytes + offset, data, size);
  ++m_stats.writes;
  m_stats.bytesWritten += size;
  return true;
}

void MemoryNvm::read(std::uint32_t offset, void* data, std::uint32_t size) {
  std::memcpy(data, m_bytes + offset, size);
  ++m_stats.reads;
  m_stats.bytesRead += size;
}

}  // namespace aidi::fw
