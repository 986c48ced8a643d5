// Non-volatile memory as the runtime sees it: byte-addressed reads and writes
// that may fail when power fails. On the virtual board it is the NOLOAD
// region, on the real board an SPI FRAM, on the host a buffer with failure
// injection (FailingNvm) or a memory-mapped file that outlives the process
// (FileNvm). Every access is counted; a device build also spends the CPU
// cycles a real FRAM transfer takes (the board profile's NvmCosts).
#pragma once

#include <cstdint>

namespace aidi::fw {

// What NVM traffic costs in CPU cycles on a board (its profile,
// boards/*.toml): the runtime's energy decisions and the virtual board's
// costed NVM use the same figures.
struct NvmCosts {
  std::uint32_t cyclesPerByte;
  std::uint32_t writeOverheadCycles;  // per write command (WREN + WRITE + address)
  std::uint32_t readOverheadCycles;   // per read command (READ + address)
  std::uint32_t wakeCycles = 0;       // waited, active, after waking the chip from its sleep mode
  constexpr std::uint64_t write(std::uint64_t bytes) const { return writeOverheadCycles + bytes * cyclesPerByte; }
  constexpr std::uint64_t read(std::uint64_t bytes) const { return readOverheadCycles + bytes * cyclesPerByte; }
};

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
  // The chip's sleep mode while the MCU sleeps for energy (an FRAM in
  // standby draws ~30x what it does asleep); wake() returns when it answers
  // again. Memory without such a mode does nothing.
  virtual void sleep() {}
  virtual void wake() {}
  const NvmStats& stats() const { return m_stats; }

 protected:
  ~Nvm() = default;
  NvmStats m_stats;
};

// Whether `nvm` keeps what is written: two complementary patterns written
// to the 4 bytes at `scratchOffset` (which the caller reserves) and read
// back. An absent, write-protected or miswired chip, or a stuck bit, fails.
inline bool readsBack(Nvm& nvm, std::uint32_t scratchOffset) {
  constexpr std::uint32_t kPatterns[] = {0xA55A0FF0u, 0x5AA5F00Fu};
  for (const std::uint32_t pattern : kPatterns) {
    std::uint32_t back = 0;
    if (!nvm.write(scratchOffset, &pattern, sizeof pattern)) return false;
    nvm.read(scratchOffset, &back, sizeof back);
    if (back != pattern) return false;
  }
  return true;
}

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

// A range of another NVM seen as a whole one (the boot counter and the
// runtime's regions share one FRAM chip on the real board).
class NvmWindow final : public Nvm {
 public:
  NvmWindow(Nvm& base, std::uint32_t offset, std::uint32_t size) : m_base(base), m_offset(offset), m_size(size) {}
  bool write(std::uint32_t offset, const void* data, std::uint32_t size) override {
    ++m_stats.writes;
    m_stats.bytesWritten += size;
    return m_base.write(m_offset + offset, data, size);
  }
  void read(std::uint32_t offset, void* data, std::uint32_t size) override {
    ++m_stats.reads;
    m_stats.bytesRead += size;
    m_base.read(m_offset + offset, data, size);
  }
  std::uint32_t size() const override { return m_size; }
  void sleep() override { m_base.sleep(); }
  void wake() override { m_base.wake(); }

 private:
  Nvm& m_base;
  std::uint32_t m_offset;
  std::uint32_t m_size;
};

}  // namespace aidi::fw
