// The host target's persistent NVM: a file mapped into memory (MAP_SHARED),
// so what an inference commits survives the process being killed, as FRAM
// survives a brown-out; a new process maps the same file and resumes. The
// mapping is owned here; reads and writes are MemoryNvm's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "nvm.hpp"

namespace aidi::fw::host {

class FileNvm {
 public:
  // Maps `path` (created, or grown, to `size` bytes). ok() false on failure.
  FileNvm(const std::string& path, std::uint32_t size);
  ~FileNvm();
  FileNvm(const FileNvm&) = delete;
  FileNvm& operator=(const FileNvm&) = delete;

  bool ok() const { return m_memory.has_value(); }
  MemoryNvm& nvm() { return *m_memory; }

 private:
  void* m_map = nullptr;
  std::uint32_t m_size;
  int m_fd = -1;
  std::optional<MemoryNvm> m_memory;
};

}  // namespace aidi::fw::host
