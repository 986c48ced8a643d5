// The virtual board's firmware image: sections where the linker script puts
// them, so QEMU loads flash, leaves the NVM alone, and the zeros loader covers
// all volatile SRAM.
#include "aidi/inst/elf_file.hpp"

#include <gtest/gtest.h>

using aidi::inst::ElfFile;
using aidi::inst::ElfSection;

namespace {
constexpr std::uint32_t kRamBase = 0x20000000u;
constexpr std::uint32_t kRamEnd = kRamBase + 256u * 1024;
constexpr std::uint32_t kNvmBase = 0x20200000u;
constexpr std::uint32_t kNvmEnd = kNvmBase + 512u * 1024;

ElfFile load() {
  auto elf = ElfFile::open(AIDI_FIRMWARE_ELF);
  if (!elf) ADD_FAILURE() << elf.error().message;
  return std::move(*elf);
}
}  // namespace

TEST(FirmwareElf, IsAnArmImage) { EXPECT_EQ(load().machine(), ElfFile::kMachineArm); }

TEST(FirmwareElf, VectorTableAtZeroWithStackAtTopOfRam) {
  const ElfFile elf = load();
  const auto vectors = elf.section(".isr_vector");
  ASSERT_TRUE(vectors);
  EXPECT_EQ(vectors->address, 0u);
  EXPECT_GE(vectors->size, 16u * 4);
  EXPECT_EQ(elf.readWord(0), kRamEnd) << "initial stack pointer";
  const auto reset = elf.readWord(4);
  const auto resetHandler = elf.symbol("Reset_Handler");
  ASSERT_TRUE(reset && resetHandler);
  EXPECT_EQ(*reset, *resetHandler | 1u) << "reset vector must point at Reset_Handler in Thumb state";
}

TEST(FirmwareElf, NvmIsNoLoadAtItsFixedAddress) {
  const ElfFile elf = load();
  const auto nvm = elf.section(".nvm");
  ASSERT_TRUE(nvm);
  EXPECT_EQ(nvm->address, kNvmBase);
  EXPECT_EQ(nvm->type, ElfSection::kNoBits) << "QEMU must never load over the NVM";
  EXPECT_LE(nvm->address + nvm->size, kNvmEnd);
  EXPECT_EQ(elf.symbol("__nvm_start"), kNvmBase);
}

TEST(FirmwareElf, VolatileDataStaysInTheZeroedSram) {
  const ElfFile elf = load();
  for (const char* name : {".data", ".bss", ".noinit"}) {
    const auto s = elf.section(name);
    ASSERT_TRUE(s) << name;
    EXPECT_GE(s->address, kRamBase) << name;
    EXPECT_LE(s->address + s->size, kRamEnd) << name;
  }
  const auto text = elf.section(".text");
  ASSERT_TRUE(text);
  EXPECT_LT(text->address + text->size, kRamBase) << ".text must sit in flash";
}

TEST(ElfFile, RefusesANonElfFileWithItsName) {
  auto elf = ElfFile::open(AIDI_SOURCE_DIR "/CMakeLists.txt");
  ASSERT_FALSE(elf);
  EXPECT_NE(elf.error().message.find("CMakeLists.txt"), std::string::npos);
  EXPECT_NE(elf.error().message.find("not an ELF"), std::string::npos);
}

TEST(ElfFile, MissingFileIsNotFound) {
  auto elf = ElfFile::open("/nonexistent/firmware.elf");
  ASSERT_FALSE(elf);
  EXPECT_EQ(elf.error().code, aidi::inst::ErrorCode::NotFound);
}
