// The real board's FRAM driver against a model of the chip's SPI protocol:
// what it writes is what it reads back, at the right addresses, and every
// write is preceded by WREN (a FRAM ignores WRITE with its latch clear).
#include <gtest/gtest.h>

#include <numeric>
#include <random>

#include "fram_chip_model.hpp"
#include "spi_fram.hpp"

using aidi::fw::SpiFram;
using aidi::test::FramChipModel;

namespace {
constexpr std::uint32_t kBytes = 512 * 1024;  // CY15B104Q: 4 Mbit
}

TEST(SpiFram, WritesReadBackAtTheirAddresses) {
  FramChipModel chip(kBytes);
  SpiFram fram(chip, kBytes, 0);
  std::vector<std::uint8_t> data(300);
  std::iota(data.begin(), data.end(), 7);
  // Addresses that need all three address bytes.
  for (std::uint32_t address : {0u, 1u, 0xFFu, 0x100u, 0x12345u, kBytes - 300}) {
    ASSERT_TRUE(fram.write(address, data.data(), static_cast<std::uint32_t>(data.size())));
    std::vector<std::uint8_t> back(data.size());
    fram.read(address, back.data(), static_cast<std::uint32_t>(back.size()));
    EXPECT_EQ(back, data) << "address " << address;
    EXPECT_TRUE(std::equal(data.begin(), data.end(), chip.memory.begin() + address)) << "address " << address;
  }
  EXPECT_EQ(chip.ignoredWrites, 0) << "every WRITE must follow a WREN";
  EXPECT_EQ(chip.unknownOpcodes, 0);
  EXPECT_FALSE(chip.selected) << "every command ends with chip select high";
}

TEST(SpiFram, EveryWriteSetsTheLatchAgain) {
  FramChipModel chip(kBytes);
  SpiFram fram(chip, kBytes, 0);
  const std::uint8_t a = 0xA5, b = 0x5A;
  ASSERT_TRUE(fram.write(10, &a, 1));
  EXPECT_EQ(fram.status() & aidi::fw::fram::kStatusWel, 0) << "the chip clears the latch after a WRITE";
  ASSERT_TRUE(fram.write(11, &b, 1));
  EXPECT_EQ(chip.memory[10], a);
  EXPECT_EQ(chip.memory[11], b) << "a second write without its own WREN would be lost";
  EXPECT_EQ(chip.ignoredWrites, 0);
}

TEST(SpiFram, CountsAccessesLikeEveryNvm) {
  FramChipModel chip(kBytes);
  SpiFram fram(chip, kBytes, 0);
  std::vector<std::uint8_t> buffer(64, 1);
  ASSERT_TRUE(fram.write(0, buffer.data(), 64));
  ASSERT_TRUE(fram.write(64, buffer.data(), 32));
  fram.read(0, buffer.data(), 16);
  EXPECT_EQ(fram.stats().writes, 2u);
  EXPECT_EQ(fram.stats().bytesWritten, 96u);
  EXPECT_EQ(fram.stats().reads, 1u);
  EXPECT_EQ(fram.stats().bytesRead, 16u);
  EXPECT_EQ(chip.bytesWritten, 96);
  EXPECT_EQ(fram.size(), kBytes);
}

TEST(SpiFram, RandomTrafficMatchesAShadowCopy) {
  FramChipModel chip(kBytes);
  SpiFram fram(chip, kBytes, 0);
  std::vector<std::uint8_t> shadow(kBytes, 0xFF);
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const std::uint32_t size = 1 + rng() % 512;
    const std::uint32_t address = rng() % (kBytes - size);
    std::vector<std::uint8_t> data(size);
    for (auto& byte : data) byte = static_cast<std::uint8_t>(rng());
    ASSERT_TRUE(fram.write(address, data.data(), size));
    std::copy(data.begin(), data.end(), shadow.begin() + address);
  }
  EXPECT_EQ(chip.memory, shadow);
}

TEST(SpiFram, SleepsWhileTheMcuSleepsAndAnswersOnlyAfterItsRecoveryTime) {
  constexpr std::uint32_t kWake = 11250;  // 450 us at 25 MHz
  FramChipModel chip(kBytes, kWake);
  SpiFram fram(chip, kBytes, kWake);
  std::vector<std::uint8_t> data(16, 0x5A), back(16, 0);
  fram.sleep();
  EXPECT_TRUE(chip.asleep);
  EXPECT_EQ(chip.unknownOpcodes, 0);
  // A command to a sleeping chip is lost: the driver must wake it first.
  ASSERT_TRUE(fram.write(0, data.data(), 16));
  EXPECT_EQ(chip.bytesWritten, 0);
  EXPECT_GT(chip.ignoredWhileAsleep, 0);
  fram.wake();
  EXPECT_FALSE(chip.asleep);
  ASSERT_TRUE(fram.write(0, data.data(), 16));
  fram.read(0, back.data(), 16);
  EXPECT_EQ(back, data);
}

TEST(SpiFram, AWakeShorterThanTheRecoveryTimeLeavesTheChipAsleep) {
  FramChipModel chip(kBytes, 11250);
  SpiFram fram(chip, kBytes, 1000);  // a driver with the wrong t_REC
  fram.sleep();
  fram.wake();
  EXPECT_TRUE(chip.asleep);
}

namespace {
// The bus with no chip on it, or a chip wired wrong: MISO pulled low or
// floating high, or a chip that sees its commands but whose writes do not
// land (MOSI wired to the wrong pin: every byte it clocks in is 0x00).
class MiswiredBus final : public aidi::fw::SpiBus {
 public:
  enum class Fault { MisoLow, MisoHigh, MosiStuckLow };
  MiswiredBus(Fault fault, FramChipModel& chip) : m_fault(fault), m_chip(chip) {}
  void select() override { m_chip.select(); }
  void deselect() override { m_chip.deselect(); }
  void waitCycles(std::uint32_t n) override { m_chip.waitCycles(n); }
  void transfer(const std::uint8_t* tx, std::uint8_t* rx, std::uint32_t size) override {
    std::vector<std::uint8_t> in(tx ? tx : nullptr, tx ? tx + size : nullptr);
    // MOSI stuck low for the data (not the commands' opcode and address
    // transfers): the scratch word arrives as zeros.
    const bool command = tx && (size == 1 || tx[0] == aidi::fw::fram::kWrite || tx[0] == aidi::fw::fram::kRead ||
                                tx[0] == aidi::fw::fram::kReadStatus);
    if (m_fault == Fault::MosiStuckLow && tx && !command) in.assign(size, 0);
    m_chip.transfer(tx ? in.data() : nullptr, rx, size);
    if (rx && m_fault != Fault::MosiStuckLow)
      for (std::uint32_t i = 0; i < size; ++i) rx[i] = m_fault == Fault::MisoLow ? 0x00 : 0xFF;
  }

 private:
  Fault m_fault;
  FramChipModel& m_chip;
};
}  // namespace

TEST(SpiFram, TheBootCheckPassesOnAChipAndLeavesItsLatchClear) {
  FramChipModel chip(kBytes);
  SpiFram fram(chip, kBytes, 0);
  EXPECT_EQ(fram.selfCheck(248), aidi::fw::FramCheck::Ok);
  EXPECT_EQ(fram.status() & aidi::fw::fram::kStatusWel, 0);
  EXPECT_EQ(chip.unknownOpcodes, 0);
  EXPECT_EQ(chip.ignoredWrites, 0);
}

TEST(SpiFram, TheBootCheckNamesAnAbsentOrMiswiredChip) {
  using Fault = MiswiredBus::Fault;
  for (const auto& [fault, expected] : {std::pair{Fault::MisoLow, aidi::fw::FramCheck::NoLatch},
                                        std::pair{Fault::MisoHigh, aidi::fw::FramCheck::LatchStuck},
                                        std::pair{Fault::MosiStuckLow, aidi::fw::FramCheck::ReadBackWrong}}) {
    FramChipModel chip(kBytes);
    MiswiredBus bus(fault, chip);
    SpiFram fram(bus, kBytes, 0);
    const auto found = fram.selfCheck(248);
    EXPECT_EQ(found, expected) << static_cast<int>(fault);
    EXPECT_NE(std::string(aidi::fw::toString(found)).find("FRAM not responding"), std::string::npos);
  }
}
