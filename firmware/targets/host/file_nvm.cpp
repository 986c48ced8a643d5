#include "file_nvm.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aidi::fw::host {

FileNvm::FileNvm(const std::string& path, std::uint32_t size) : m_size(size) {
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (m_fd < 0) return;
  struct stat st {};
  if (::fstat(m_fd, &st) != 0 || (st.st_size < static_cast<off_t>(size) && ::ftruncate(m_fd, size) != 0)) return;
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd, 0);
  if (p == MAP_FAILED) return;
  m_map = p;
  m_memory.emplace(static_cast<std::uint8_t*>(p), size);
}

FileNvm::~FileNvm() {
  m_memory.reset();
  if (m_map) ::munmap(m_map, m_size);
  if (m_fd >= 0) ::close(m_fd);
}

}  // namespace aidi::fw::host
