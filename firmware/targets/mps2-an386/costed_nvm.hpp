// The virtual board's NVM: the NOLOAD region, with every access spending the
// CPU cycles an SPI FRAM transfer takes on the emulated board (its profile's
// NvmCosts, given in the run configuration), so instruction counts include
// the NVM's cost as on the real board.
#pragma once

#include <cstdint>
#include <cstring>

#include "nvm.hpp"

// Each runs `cycles` instructions and returns: the SPI transfer's wait. The
// bench's counting plugin weighs the instructions from aidi_nvm_wait to
// aidi_nvm_wait_end one cycle each, so the wait lasts `cycles` cycles as in
// instructions, and marks each kind's entry and return (costed_nvm.cpp).
extern "C" void aidi_nvm_read_wait(std::uint32_t cycles);
extern "C" void aidi_nvm_write_wait(std::uint32_t cycles);
extern "C" void aidi_nvm_wake_wait(std::uint32_t cycles);

namespace aidi::fw::mps2 {

class CostedNvm final : public Nvm {
 public:
  // `writesLost`: fault injection, a chip that takes no writes.
  CostedNvm(std::uint8_t* bytes, std::uint32_t size, const NvmCosts& costs, bool writesLost = false)
      : m_bytes(bytes), m_size(size), m_costs(costs), m_writesLost(writesLost) {}
  bool write(std::uint32_t offset, const void* data, std::uint32_t size) override {
    const std::uint32_t cycles = m_costs.writeOverheadCycles + size * m_costs.cyclesPerByte;  // 32-bit: one MLA
    aidi_nvm_write_wait(cycles);
    m_transferCycles += cycles;
    if (!m_writesLost) std::memcpy(m_bytes + offset, data, size);
    ++m_stats.writes;
    m_stats.bytesWritten += size;
    return true;
  }
  void read(std::uint32_t offset, void* data, std::uint32_t size) override {
    const std::uint32_t cycles = m_costs.readOverheadCycles + size * m_costs.cyclesPerByte;
    aidi_nvm_read_wait(cycles);
    m_transferCycles += cycles;
    std::memcpy(data, m_bytes + offset, size);
    ++m_stats.reads;
    m_stats.bytesRead += size;
  }
  std::uint32_t size() const override { return m_size; }
  void sleep() override {  // the SLEEP opcode
    aidi_nvm_write_wait(m_costs.cyclesPerByte);
    m_transferCycles += m_costs.cyclesPerByte;
  }
  void wake() override { aidi_nvm_wake_wait(m_costs.wakeCycles); }      // chip select low, then t_REC
  // The cycles spent transferring, since the device booted: they draw more
  // than running cycles (the FRAM active), which the energy count needs.
  std::uint64_t transferCycles() const { return m_transferCycles; }

 private:
  std::uint64_t m_transferCycles = 0;
  std::uint8_t* m_bytes;
  std::uint32_t m_size;
  NvmCosts m_costs;
  bool m_writesLost;
};

}  // namespace aidi::fw::mps2
