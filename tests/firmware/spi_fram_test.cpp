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
