// A model of an SPI FRAM chip's command protocol (CY15B104Q / FM25V-class,
// from the datasheets' command tables): opcodes WREN 06h, WRDI 04h, RDSR 05h,
// WRITE 02h, READ 03h; 3 address bytes, MSB first; a WRITE without the
// write-enable latch set is ignored; the latch clears when a WRITE ends
// (chip select rising); addresses wrap at the end of the array. SLEEP B9h:
// the chip ignores everything until a chip select has been held low for its
// recovery time (t_REC, `wakeCycles`).
#pragma once

#include <cstdint>
#include <vector>

#include "spi_fram.hpp"

namespace aidi::test {

class FramChipModel final : public fw::SpiBus {
 public:
  explicit FramChipModel(std::uint32_t bytes, std::uint32_t wakeCycles = 0) : memory(bytes, 0xFF), m_wakeCycles(wakeCycles) {}

  void select() override {
    selected = true;
    m_waited = 0;
    m_position = 0;
    m_opcode = 0;
    m_address = 0;
  }
  void deselect() override {
    if (asleep) {
      if (m_waited >= m_wakeCycles && m_position == 0) asleep = false;
      selected = false;
      return;
    }
    if (m_opcode == fw::fram::kSleep && m_position == 1) asleep = true;
    if (m_opcode == fw::fram::kWriteEnable && m_position == 1) m_wel = true;
    if (m_opcode == fw::fram::kWriteDisable) m_wel = false;
    if (m_opcode == fw::fram::kWrite) m_wel = false;  // the latch clears at the end of every WRITE
    selected = false;
  }
  void waitCycles(std::uint32_t cycles) override { m_waited += cycles; }
  void transfer(const std::uint8_t* tx, std::uint8_t* rx, std::uint32_t size) override {
    if (asleep) {  // asleep: no output, no effect
      if (rx)
        for (std::uint32_t i = 0; i < size; ++i) rx[i] = 0xFF;
      ignoredWhileAsleep += size;
      return;
    }
    for (std::uint32_t i = 0; i < size; ++i) {
      const std::uint8_t in = tx ? tx[i] : 0;
      const std::uint8_t out = clock(in);
      if (rx) rx[i] = out;
    }
  }

  std::vector<std::uint8_t> memory;
  bool selected = false;
  int ignoredWrites = 0;    // WRITE commands while the latch was clear
  int unknownOpcodes = 0;
  int bytesWritten = 0;
  bool asleep = false;
  int ignoredWhileAsleep = 0;  // bytes clocked while the chip slept

 private:
  std::uint8_t clock(std::uint8_t in) {
    if (!selected) return 0xFF;  // bus floating
    const std::uint32_t n = m_position++;
    if (n == 0) {
      m_opcode = in;
      const bool known = in == fw::fram::kWriteEnable || in == fw::fram::kWriteDisable ||
                         in == fw::fram::kReadStatus || in == fw::fram::kWrite || in == fw::fram::kRead ||
                         in == fw::fram::kSleep;
      if (!known) ++unknownOpcodes;
      if (in == fw::fram::kWrite && !m_wel) ++ignoredWrites;
      return 0;
    }
    if (m_opcode == fw::fram::kReadStatus) return m_wel ? fw::fram::kStatusWel : 0;
    if (m_opcode != fw::fram::kWrite && m_opcode != fw::fram::kRead) return 0;
    if (n <= fw::fram::kAddressBytes) {
      m_address = (m_address << 8) | in;
      return 0;
    }
    const std::uint32_t at = m_address++ % memory.size();
    if (m_opcode == fw::fram::kRead) return memory[at];
    if (m_wel) {
      memory[at] = in;
      ++bytesWritten;
    }
    return 0;
  }

  std::uint32_t m_wakeCycles;
  std::uint32_t m_waited = 0;
  bool m_wel = false;
  std::uint32_t m_position = 0;
  std::uint8_t m_opcode = 0;
  std::uint32_t m_address = 0;
};

}  // namespace aidi::test
