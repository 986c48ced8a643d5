#include "atomic_record.hpp"
#include "boot_counter.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace aidi::fw;

namespace {
BootCounterRecord erased() {
  BootCounterRecord r;
  std::memset(static_cast<void*>(&r), 0, sizeof r);
  return r;
}
std::vector<unsigned char> bytesOf(const BootCounterRecord& r) {
  const auto* p = reinterpret_cast<const unsigned char*>(&r);
  return {p, p + sizeof r};
}
}  // namespace

TEST(BootCounter, CountsFromOneOnErasedNvm) {
  BootCounterRecord nvm = erased();
  EXPECT_EQ(countBoot(nvm), 1u);
  EXPECT_EQ(countBoot(nvm), 2u);
  EXPECT_EQ(countBoot(nvm), 3u);
}

TEST(BootCounter, GarbageNvmIsTreatedAsErased) {
  BootCounterRecord nvm;
  std::memset(static_cast<void*>(&nvm), 0xA5, sizeof nvm);
  EXPECT_EQ(countBoot(nvm), 1u);
}

TEST(AtomicRecord, CorruptNewestSlotFallsBackToPrevious) {
  BootCounterRecord nvm = erased();
  countBoot(nvm);
  countBoot(nvm);  // newest is 2 in one slot, 1 in the other
  auto bytes = bytesOf(nvm);
  // Flip one bit in each slot in turn: the other slot must still be valid.
  for (std::size_t slot = 0; slot < 2; ++slot) {
    BootCounterRecord copy = nvm;
    reinterpret_cast<unsigned char*>(&copy)[slot * sizeof(BootCounterRecord::Slot) + 9] ^= 0x01;
    const BootCount* loaded = copy.load(kBootCounterMagic);
    ASSERT_NE(loaded, nullptr);
    EXPECT_TRUE(loaded->boots == 1u || loaded->boots == 2u);
  }
  EXPECT_EQ(bytesOf(nvm), bytes);
}

// A power failure can stop commit() after any byte it stores. commit() clears
// the target slot's CRC first, then writes the body, then the CRC. Every torn
// state must load as the old value or the new one, never anything else.
TEST(AtomicRecord, TornCommitAtEveryByteKeepsOldOrNewValue) {
  for (std::uint32_t before = 0; before < 3; ++before) {
    BootCounterRecord old = erased();
    for (std::uint32_t i = 0; i < before; ++i) countBoot(old);
    BootCounterRecord done = old;
    const std::uint32_t expectedNew = countBoot(done);
    const auto oldBytes = bytesOf(old);
    const auto newBytes = bytesOf(done);

    // The slot commit() wrote is the one whose bytes changed.
    std::size_t first = oldBytes.size(), last = 0;
    for (std::size_t i = 0; i < oldBytes.size(); ++i)
      if (oldBytes[i] != newBytes[i]) first = std::min(first, i), last = std::max(last, i);
    ASSERT_LE(first, last);
    const std::size_t slotSize = sizeof(BootCounterRecord::Slot);
    const std::size_t slotStart = first / slotSize * slotSize;
    const std::size_t crcAt = slotStart + offsetof(BootCounterRecord::Slot, crc);

    for (std::size_t torn = slotStart; torn <= crcAt; ++torn) {
      auto state = oldBytes;
      for (std::size_t b = crcAt; b < crcAt + 4; ++b) state[b] = 0;  // CRC cleared first
      for (std::size_t b = slotStart; b < torn; ++b) state[b] = newBytes[b];
      BootCounterRecord r;
      std::memcpy(static_cast<void*>(&r), state.data(), sizeof r);
      const BootCount* loaded = r.load(kBootCounterMagic);
      if (before == 0) {
        EXPECT_EQ(loaded, nullptr) << "torn at byte " << torn;
      } else {
        ASSERT_NE(loaded, nullptr) << "torn at byte " << torn;
        EXPECT_EQ(loaded->boots, before) << "torn at byte " << torn;
      }
    }
    BootCounterRecord complete;
    std::memcpy(static_cast<void*>(&complete), newBytes.data(), sizeof complete);
    ASSERT_NE(complete.load(kBootCounterMagic), nullptr);
    EXPECT_EQ(complete.load(kBootCounterMagic)->boots, expectedNew);
  }
}
