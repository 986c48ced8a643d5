#include "file_nvm.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

namespace aidi::fw::host {

FileNvm::FileNvm(const std::string& path, std::uint32_t size) : m_size(size) {
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) return;
  struct stat st {};
  if (::fstat(m_fd, &st) != 0 || (st.st_size < static_cast<off_t>(size) && ::ftruncate(m_fd, size) != 0)) return;
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd, 0);
  if (p != MAP_FAILED) m_bytes = static_cast<std::uint8_t*>(p);
}

FileNvm::~FileNvm() {
  if (m_bytes) ::munmap(m_bytes, m_size);
  if (m_fd >= 0) ::close(m_fd);
}

bool FileNvm::write(std::uint32_t offset, const void* data, std::uint32_t size) {
  std::memcpy(m_bytes + offset, data, size);
  ++m_stats.writes;
  m_stats.bytesWritten += size;
  return true;
}

void FileNvm::read(std::uint32_t offset, void* data, std::uint32_t size) {
  std::memcpy(data, m_bytes + offset, size);
  ++m_stats.reads;
  m_stats.bytesRead += size;
}

}  // namespace aidi::fw::host
