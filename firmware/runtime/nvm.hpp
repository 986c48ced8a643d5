// Non-volatile memory as the runtime sees it: byte-addressed reads and writes
// that may fail when power fails. On the virtual board it is the NOLOAD
// region, on the real board an SPI FRAM, on the host a buffer with failure
// injection. Every access is counted; a device build also spends the CPU
// cycles a real FRAM transfer takes (see physical assumptions).
#pragma once

#include <cstdint>

namespace aidi::fw {

struct NvmStats {
  std::uint64_t writes = 0, bytesWritten = 0, reads = 0, bytesRead = 0;
};

class Nvm {
 public:
  // False when power failed during the write: the bytes may be partly
  // written (torn) and nothing after this point runs.
  virtual bool write(std::uint32_t offset, const void* data, std::uint32_t size) = 0;
  virtual void read(std::uint32_t offset, void* data, std::uint32_t size) = 0;
  virtual std::uint32_t size() const = 0;
  const NvmStats& stats() const { return m_stats; }

 protected:
  ~Nvm() = default;
  NvmStats m_stats;
};

// NVM in addressable memory (the virtual board's NOLOAD region, a host buffer).
class MemoryNvm final : public Nvm {
 public:
  MemoryNvm(std::uint8_t* bytes, std::uint32_t size) : m_bytes(bytes), m_size(size) {}
  bool write(std::uint32_t offset, const void* data, std::uint32_t size) override;
  void read(std::uint32_t offset, void* data, std::uint32_t size) override;
  std::uint32_t size() const override { return m_size; }
  std::uint8_t* bytes() { return m_bytes; }

 private:
  std::uint8_t* m_bytes;
  std::uint32_t m_size;
};

}  // namespace aidi::fw
