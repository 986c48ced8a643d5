#include "nvm_record.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "boot_counter.hpp"
#include "image_stamp.hpp"
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

// A reflashed board: the FRAM still holds the old image's progress. A new
// image, or the same one flashed again (a new run nonce), discards it (the
// runtimes find formatted NVM); the same image and run resume it; and a power failure at any write of the discard leaves a
// state whose next boot still discards.
namespace {
constexpr ImageStamp kOld{buildIdOf("1a2b3c4d55667788"), 0xC0FFEEu, 2, 0x1234u};
constexpr ImageStamp kNew{buildIdOf("99aa00ff00000000"), 0xC0FFEEu, 2, 0x1234u};
}  // namespace

TEST(ImageStamp, BuildIdIsTheHashsFirstEightHexDigits) {
  static_assert(buildIdOf("1a2b3c4d55667788") == 0x1a2b3c4du);
  static_assert(buildIdOf("ABCDEF01") == 0xabcdef01u);
  EXPECT_NE(kOld.build, kNew.build);
}

TEST(ImageStamp, ANewImageNeverResumesAnotherImagesProgress) {
  std::vector<std::uint8_t> stampBytes(kImageStampBytes, 0), runtimeBytes(ProgressRecord::kBytes + 64, 0);
  MemoryNvm stamp(stampBytes.data(), static_cast<std::uint32_t>(stampBytes.size()));
  MemoryNvm runtime(runtimeBytes.data(), static_cast<std::uint32_t>(runtimeBytes.size()));
  EXPECT_TRUE(claimProgress(stamp, 0, runtime, kOld)) << "first boot: no stamp yet";
  ProgressRecord record(runtime, 0);
  Progress p{};
  ASSERT_FALSE(record.load(p));
  ASSERT_TRUE(record.commit(Progress{7, 3, 2, 40, 0, 0}));

  EXPECT_FALSE(claimProgress(stamp, 0, runtime, kOld)) << "the same image keeps its progress";
  ProgressRecord again(runtime, 0);
  ASSERT_TRUE(again.load(p));
  EXPECT_EQ(p.layer, 3);

  ImageStamp otherPolicy = kOld;
  otherPolicy.policy = 3;
  ImageStamp otherModel = kOld;
  otherModel.model ^= 1;
  ImageStamp reflashed = kOld;  // the same image flashed again: a new run
  reflashed.run = 0x5678u;
  for (const ImageStamp& image : {kNew, otherPolicy, otherModel, reflashed}) {
    ASSERT_TRUE(again.commit(Progress{7, 3, 2, 40, 0, 0}));
    EXPECT_TRUE(claimProgress(stamp, 0, runtime, image));
    ProgressRecord fresh(runtime, 0);
    EXPECT_FALSE(fresh.load(p)) << "another image's progress is discarded";
    EXPECT_FALSE(claimProgress(stamp, 0, runtime, image)) << "and the stamp is the new image's";
  }
}

TEST(ImageStamp, APowerFailureDuringTheDiscardIsRedoneAtTheNextBoot) {
  const auto oldProgressIn = [](host::FailingNvm& stamp, host::FailingNvm& runtime) {
    EXPECT_TRUE(claimProgress(stamp, 0, runtime, kOld));
    ProgressRecord record(runtime, 0);
    Progress p{};
    record.load(p);
    EXPECT_TRUE(record.commit(Progress{7, 3, 2, 40, 0, 0}));
  };
  // The discard's writes: the progress record zeroed, then the stamp committed.
  host::FailingNvm cleanStamp(kImageStampBytes), cleanRuntime(ProgressRecord::kBytes);
  oldProgressIn(cleanStamp, cleanRuntime);
  const std::size_t stampBefore = cleanStamp.writeSizes().size(), runtimeBefore = cleanRuntime.writeSizes().size();
  ASSERT_TRUE(claimProgress(cleanStamp, 0, cleanRuntime, kNew));
  const auto zeroWrites = static_cast<std::int64_t>(cleanRuntime.writeSizes().size() - runtimeBefore);
  const auto stampWrites = static_cast<std::int64_t>(cleanStamp.writeSizes().size() - stampBefore);
  ASSERT_GT(zeroWrites, 0);
  ASSERT_EQ(stampWrites, 3);

  for (std::int64_t cut = 0; cut < zeroWrites + stampWrites; ++cut) {
    host::FailingNvm stamp(kImageStampBytes), runtime(ProgressRecord::kBytes);
    oldProgressIn(stamp, runtime);
    if (cut < zeroWrites) runtime.failAtWrite(cut);
    else stamp.failAtWrite(cut - zeroWrites);
    claimProgress(stamp, 0, runtime, kNew);  // power fails inside
    stamp.failAtWrite(-1);
    runtime.failAtWrite(-1);
    claimProgress(stamp, 0, runtime, kNew);  // the next boot
    ProgressRecord after(runtime, 0);
    Progress p{};
    EXPECT_FALSE(after.load(p)) << "the old progress survived a cut at write " << cut;
    EXPECT_FALSE(claimProgress(stamp, 0, runtime, kNew)) << "the stamp is not the new image's after a cut at write " << cut;
  }
}
