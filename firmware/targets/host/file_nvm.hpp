// The host target's persistent NVM: a file mapped into memory (MAP_SHARED),
// so what an inference commits survives the process being killed, as FRAM
// survives a brown-out; a new process maps the same file and resumes.
#pragma once

#include <cstdint>
#include <string>

#include "nvm.hpp"

namespace aidi::fw::host {

class FileNvm final : public Nvm {
 public:
  // Maps `path` (created, or grown, to `size` bytes). ok() false on failure.
  FileNvm(const std::string& path, std::uint32_t size);
  ~FileNvm();
  FileNvm(const FileNvm&) = delete;
  FileNvm& operator=(const FileNvm&) = delete;

  bool ok() const { return m_bytes != nullptr; }
  bool write(std::uint32_t offset, const void* data, std::uint32_t size) override;
  void read(std::uint32_t offset, void* data, std::uint32_t size) override;
  std::uint32_t size() const override { return m_size; }

 private:
  std::uint8_t* m_bytes = nullptr;
  std::uint32_t m_size;
  int m_fd = -1;
};

}  // namespace aidi::fw::host
