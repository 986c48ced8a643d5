// NVM on an external SPI FRAM (Cypress/Infineon CY15B104Q, FM25V-class):
// WREN before every WRITE (the chip clears its write-enable latch when a
// WRITE ends), 3-byte big-endian addresses, no page boundaries, no write
// delay. The bus is an interface so the same driver runs on the board's SPI
// peripheral and, in tests, against a model of the chip.
#pragma once

#include <cstdint>

#include "nvm.hpp"

namespace aidi::fw {

class SpiBus {
 public:
  virtual void select() = 0;    // chip select low
  virtual void deselect() = 0;  // chip select high: ends the command
  // Full duplex; `rx` or `tx` may be null (receive: 0x00 is sent).
  virtual void transfer(const std::uint8_t* tx, std::uint8_t* rx, std::uint32_t size) = 0;
  // Busy-waits `cycles` CPU cycles (the chip's recovery from sleep).
  virtual void waitCycles(std::uint32_t cycles) = 0;

 protected:
  ~SpiBus() = default;
};

namespace fram {
inline constexpr std::uint8_t kWriteEnable = 0x06;   // WREN
inline constexpr std::uint8_t kWriteDisable = 0x04;  // WRDI
inline constexpr std::uint8_t kReadStatus = 0x05;    // RDSR
inline constexpr std::uint8_t kWrite = 0x02;         // WRITE
inline constexpr std::uint8_t kRead = 0x03;          // READ
inline constexpr std::uint8_t kSleep = 0xB9;         // SLEEP: wakes on the next chip select, after t_REC
inline constexpr std::uint8_t kStatusWel = 0x02;     // write-enable latch bit of the status register
inline constexpr std::uint32_t kAddressBytes = 3;
}  // namespace fram

// What the boot-time check of the chip found (SpiFram::selfCheck).
enum class FramCheck : std::uint8_t {
  Ok,
  NoLatch,         // WREN did not set the write-enable latch: no chip, or MISO/CS miswired (reads 0x00)
  LatchStuck,      // WRDI did not clear it: MISO floating high (reads 0xFF), or a chip that ignores commands
  ReadBackWrong,   // the scratch word did not read back: MOSI/SCK miswired, WP low, or a stuck bit
};
inline const char* toString(FramCheck c) {
  switch (c) {
    case FramCheck::Ok: return "ok";
    case FramCheck::NoLatch: return "FRAM not responding: WREN did not set the write-enable latch";
    case FramCheck::LatchStuck: return "FRAM not responding: WRDI did not clear the write-enable latch";
    case FramCheck::ReadBackWrong: return "FRAM not responding: a scratch word did not read back";
  }
  return "?";
}

class SpiFram final : public Nvm {
 public:
  // `wakeCycles`: the chip's recovery time from sleep (t_REC) in CPU cycles.
  SpiFram(SpiBus& bus, std::uint32_t sizeBytes, std::uint32_t wakeCycles)
      : m_bus(bus), m_size(sizeBytes), m_wakeCycles(wakeCycles) {}

  bool write(std::uint32_t offset, const void* data, std::uint32_t size) override {
    command(fram::kWriteEnable);
    m_bus.select();
    header(fram::kWrite, offset);
    m_bus.transfer(static_cast<const std::uint8_t*>(data), nullptr, size);
    m_bus.deselect();
    ++m_stats.writes;
    m_stats.bytesWritten += size;
    return true;  // a brown-out resets the MCU: nothing after a torn write runs
  }
  void read(std::uint32_t offset, void* data, std::uint32_t size) override {
    m_bus.select();
    header(fram::kRead, offset);
    m_bus.transfer(nullptr, static_cast<std::uint8_t*>(data), size);
    m_bus.deselect();
    ++m_stats.reads;
    m_stats.bytesRead += size;
  }
  std::uint32_t size() const override { return m_size; }
  void sleep() override { command(fram::kSleep); }
  void wake() override {
    // The falling chip select starts the wake-up; the chip ignores commands
    // until t_REC has passed.
    m_bus.select();
    m_bus.waitCycles(m_wakeCycles);
    m_bus.deselect();
  }

  // Whether a chip answers as a FRAM should, before anything is trusted to
  // it (an absent or miswired chip would otherwise give garbage results or
  // restart inference 1 for ever): WREN sets the latch in RDSR, WRDI clears
  // it, and a scratch word at `scratchOffset` (4 bytes the caller reserves)
  // reads back two complementary patterns. Leaves the latch clear.
  FramCheck selfCheck(std::uint32_t scratchOffset) {
    command(fram::kWriteEnable);
    if (!(status() & fram::kStatusWel)) return FramCheck::NoLatch;
    command(fram::kWriteDisable);
    if (status() & fram::kStatusWel) return FramCheck::LatchStuck;
    return readsBack(*this, scratchOffset) ? FramCheck::Ok : FramCheck::ReadBackWrong;
  }

  std::uint8_t status() {
    std::uint8_t tx[2] = {fram::kReadStatus, 0}, rx[2] = {};
    m_bus.select();
    m_bus.transfer(tx, rx, 2);
    m_bus.deselect();
    return rx[1];
  }

 private:
  void command(std::uint8_t opcode) {
    m_bus.select();
    m_bus.transfer(&opcode, nullptr, 1);
    m_bus.deselect();
  }
  void header(std::uint8_t opcode, std::uint32_t address) {
    const std::uint8_t h[1 + fram::kAddressBytes] = {opcode, static_cast<std::uint8_t>(address >> 16),
                                                     static_cast<std::uint8_t>(address >> 8),
                                                     static_cast<std::uint8_t>(address)};
    m_bus.transfer(h, nullptr, sizeof h);
  }

  SpiBus& m_bus;
  std::uint32_t m_size;
  std::uint32_t m_wakeCycles;
};

}  // namespace aidi::fw
