#include "nvm_record.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "boot_counter.hpp"
#include "failing_nvm.hpp"

using namespace aidi::fw;

namespace {
struct Value {
  std::uint32_t a, b;
};
constexpr std::uint32_t kMagic = 0x54534554u;
}  // namespace

TEST(BootCounter, CountsFromOneOnErasedNvm) {
  std::vector<std::uint8_t> bytes(kBootCounterBytes, 0);
  MemoryNvm nvm(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  EXPECT_EQ(countBoot(nvm, 0), 1u);
  EXPECT_EQ(countBoot(nvm, 0), 2u);
  EXPECT_EQ(countBoot(nvm, 0), 3u);
}

TEST(BootCounter, GarbageNvmIsTreatedAsErased) {
  std::vector<std::uint8_t> bytes(kBootCounterBytes, 0xA5);
  MemoryNvm nvm(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  EXPECT_EQ(countBoot(nvm, 0), 1u);
}

TEST(NvmRecord, ACorruptSlotFallsBackToTheOther) {
  std::vector<std::uint8_t> bytes(NvmRecord<Value>::kBytes, 0);
  MemoryNvm nvm(bytes.data(), static_cast<std::uint32_t>(bytes.size()));
  NvmRecord<Value> record(nvm, 0, kMagic);
  ASSERT_TRUE(record.commit({1, 1}));
  ASSERT_TRUE(record.commit({2, 2}));
  for (std::size_t slot = 0; slot < 2; ++slot) {
    auto copy = bytes;
    copy[slot * (NvmRecord<Value>::kBytes / 2) + 9] ^= 0x01;  // one bit of one slot's payload
    MemoryNvm damaged(copy.data(), static_cast<std::uint32_t>(copy.size()));
    NvmRecord<Value> reread(damaged, 0, kMagic);
    Value v{};
    ASSERT_TRUE(reread.load(v));
    EXPECT_TRUE(v.a == 1 || v.a == 2);
  }
}

// A power failure at any write of a commit, the write itself torn: the record
// loads as the old value or the new one, never anything else.
TEST(NvmRecord, APowerFailureAtAnyWriteKeepsOldOrNew) {
  for (std::uint32_t before = 0; before < 3; ++before) {
    for (int failAt = 0; failAt < 3; ++failAt) {
      host::FailingNvm nvm(256);
      NvmRecord<Value> record(nvm, 16, kMagic);
      for (std::uint32_t i = 1; i <= before; ++i) ASSERT_TRUE(record.commit({i, i}));
      nvm.failAtWrite(failAt);
      EXPECT_FALSE(record.commit({100, 100}));
      nvm.failAtWrite(-1);
      NvmRecord<Value> afterBoot(nvm, 16, kMagic);
      Value v{};
      const bool found = afterBoot.load(v);
      if (before == 0) {
        EXPECT_FALSE(found) << "fail at write " << failAt;
      } else {
        ASSERT_TRUE(found);
        EXPECT_EQ(v.a, before) << "fail at write " << failAt;
      }
      ASSERT_TRUE(afterBoot.commit({7, 7}));
      NvmRecord<Value> again(nvm, 16, kMagic);
      ASSERT_TRUE(again.load(v));
      EXPECT_EQ(v.a, 7u) << "the record keeps working after a torn commit";
    }
  }
}
