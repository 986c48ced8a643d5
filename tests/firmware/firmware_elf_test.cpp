// The virtual board's firmware image: sections where the linker script puts
// them, so the bench loads the vector table at 0 and everything else into the
// PSRAM it writes once (it survives resets: QEMU keeps its translated code),
// leaves the NVM alone, and the cold-SRAM loader covers all volatile SRAM.
#include "aidi/inst/elf_file.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/temp_dir.hpp"

using aidi::inst::ElfFile;
using aidi::inst::ElfSection;

namespace {
constexpr std::uint32_t kRamBase = 0x20000000u;
constexpr std::uint32_t kRamEnd = kRamBase + 256u * 1024;
constexpr std::uint32_t kNvmBase = 0x20200000u;
constexpr std::uint32_t kNvmEnd = kNvmBase + 512u * 1024;
constexpr std::uint32_t kPsramBase = 0x21000000u;
constexpr std::uint32_t kPsramEnd = kPsramBase + (16u << 20);

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
  EXPECT_GE(text->address, kPsramBase) << ".text must sit in the PSRAM that plays flash";
  EXPECT_LE(text->address + text->size, kPsramEnd);
}

TEST(FirmwareElf, EverythingLoadedIsTheVectorTableOrInThePsram) {
  // A segment anywhere else would be loaded by QEMU and written again at
  // every reset: in the SRAM it would make SRAM warm, over code it would
  // throw away QEMU's translations at every power cycle.
  const ElfFile elf = load();
  const auto vectors = elf.section(".isr_vector");
  ASSERT_TRUE(vectors);
  ASSERT_FALSE(elf.loadSegments().empty());
  int inPsram = 0;
  for (const auto& segment : elf.loadSegments()) {
    if (segment.loadAddress >= kPsramBase) {
      ++inPsram;
      EXPECT_LE(segment.loadAddress + segment.fileSize, kPsramEnd);
    } else {
      EXPECT_EQ(segment.loadAddress, vectors->address);
      EXPECT_EQ(segment.fileSize, vectors->size);
    }
  }
  EXPECT_GE(inPsram, 1);
  const auto dataLoad = elf.symbol("__data_load");
  ASSERT_TRUE(dataLoad);
  EXPECT_GE(*dataLoad, kPsramBase) << ".data's initial values are copied from the PSRAM at start-up";
}

TEST(ElfFile, RefusesANonElfFileWithItsName) {
  auto elf = ElfFile::open(AIDI_SOURCE_DIR "/CMakeLists.txt");
  ASSERT_FALSE(elf);
  EXPECT_NE(elf.error().message.find("CMakeLists.txt"), std::string::npos);
  EXPECT_NE(elf.error().message.find("not an ELF"), std::string::npos);
}

// A segment claiming more bytes than the file has is refused by name, not
// read past the end (QemuBoard copies segments into QEMU's memory files).
TEST(ElfFile, RefusesASegmentRunningPastTheEnd) {
  std::ifstream in(AIDI_FIRMWARE_ELF, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(bytes.size(), 52u);
  const auto le32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    std::memcpy(&v, bytes.data() + at, 4);
    return v;
  };
  const std::size_t phoff = le32(28);
  ASSERT_EQ(le32(phoff), 1u) << "the first program header is PT_LOAD";
  const std::uint32_t huge = 0x7FFFFFF0u;
  std::memcpy(bytes.data() + phoff + 16, &huge, 4);  // p_filesz
  auto dir = aidi::inst::TempDir::create("aidi-elf-test-");
  ASSERT_TRUE(dir);
  const auto path = dir->path() / "hostile.elf";
  std::ofstream(path, std::ios::binary) << bytes;
  auto elf = ElfFile::open(path);
  ASSERT_FALSE(elf);
  EXPECT_NE(elf.error().message.find("hostile.elf: program segment 0 runs past the end of the file"), std::string::npos)
      << elf.error().message;
}

TEST(ElfFile, MissingFileIsNotFound) {
  auto elf = ElfFile::open("/nonexistent/firmware.elf");
  ASSERT_FALSE(elf);
  EXPECT_EQ(elf.error().code, aidi::inst::ErrorCode::NotFound);
}

namespace {
// The disassembly of one function of the inference firmware (objdump of the
// cross toolchain, run with an argument vector).
std::string disassemble(const std::string& function) {
  auto objdump = aidi::inst::Subprocess::spawn(
      {"arm-none-eabi-objdump", "-d", "--no-show-raw-insn", "--disassemble=" + function, AIDI_INFERENCE_ELF});
  if (!objdump) {
    ADD_FAILURE() << objdump.error().message;
    return {};
  }
  auto code = objdump->wait(std::chrono::seconds(30));
  if (!code || *code != 0) ADD_FAILURE() << "objdump failed: " << objdump->output();
  const std::string out = objdump->output();
  const auto start = out.find("<" + function + ">:");
  return start == std::string::npos ? std::string{} : out.substr(start);
}
}  // namespace

// A power cycle's budget is armed before any other firmware code runs: the
// C start-up (.data copy, .bss zeroing, constructors) is charged like the
// application. Reset_Handler's first call is the reset hook, and the
// inference firmware's hook is the power shim's, which writes Timer0.
TEST(FirmwareElf, TheInferenceFirmwareArmsItsBudgetBeforeAnyOtherCode) {
  const std::string reset = disassemble("Reset_Handler");
  ASSERT_FALSE(reset.empty());
  std::istringstream lines(reset);
  std::string line;
  std::getline(lines, line);  // the label
  bool called = false;
  while (std::getline(lines, line) && !called) {
    if (line.find('\t') == std::string::npos) continue;
    if (line.find("\tbl\t") != std::string::npos || line.find("\tb.w\t") != std::string::npos ||
        line.find("\tb\t") != std::string::npos) {
      EXPECT_NE(line.find("<aidi_reset_hook>"), std::string::npos) << "the first call after reset: " << line;
      called = true;
    } else {
      EXPECT_NE(line.find("\tpush\t"), std::string::npos) << "code before the reset hook: " << line;
    }
  }
  EXPECT_TRUE(called) << reset;
  const std::string hook = disassemble("aidi_reset_hook");
  EXPECT_NE(hook.find("0x40000000"), std::string::npos) << "the hook does not arm Timer0:\n" << hook;
  EXPECT_EQ(hook.find("startCortexM4"), std::string::npos) << hook;
}
