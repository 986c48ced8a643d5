// The NUCLEO-F412ZG firmware images: one per model x policy, each with its
// vector table at the start of flash, everything volatile in the 256 KiB
// SRAM, and a size report that agrees with the ELF and fits the chip.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "aidi/inst/elf_file.hpp"

using aidi::inst::ElfFile;
namespace fs = std::filesystem;

namespace {
constexpr std::uint32_t kFlashBase = 0x08000000u, kFlashEnd = kFlashBase + 1024u * 1024;
constexpr std::uint32_t kRamBase = 0x20000000u, kRamEnd = kRamBase + 256u * 1024;
const fs::path kDir = fs::path(AIDI_FIRMWARE_DIR) / "targets/nucleo-f412zg";

std::vector<std::string> models() {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(fs::path(AIDI_SOURCE_DIR) / "fixtures/models"))
    if (fs::exists(entry.path() / "model.aidi")) out.push_back(entry.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

fs::path elfOf(const std::string& model, const std::string& policy) {
  return kDir / ("aidi-inference-" + model + "-" + policy + "-nucleo-f412zg.elf");
}
}  // namespace

TEST(NucleoElf, OneImagePerModelAndPolicyWithItsVectorTableInFlash) {
  ASSERT_FALSE(models().empty());
  for (const auto& model : models()) {
    for (const char* policy : {"layer", "fixed-tile", "loop", "aidi"}) {
      auto elf = ElfFile::open(elfOf(model, policy));
      ASSERT_TRUE(elf) << elf.error().message;
      EXPECT_EQ(elf->machine(), ElfFile::kMachineArm);
      const auto vectors = elf->section(".isr_vector");
      ASSERT_TRUE(vectors);
      EXPECT_EQ(vectors->address, kFlashBase);
      EXPECT_EQ(vectors->size, (16u + 97u) * 4) << "16 core vectors + 97 STM32F412 interrupts";
      EXPECT_EQ(elf->readWord(kFlashBase), kRamEnd) << "initial stack pointer at the top of SRAM";
      const auto reset = elf->readWord(kFlashBase + 4);
      const auto handler = elf->symbol("Reset_Handler");
      ASSERT_TRUE(reset && handler);
      EXPECT_EQ(*reset, *handler | 1u) << "Thumb reset vector";
      // The run nonce: a word in flash, erased, for the flasher to write.
      const auto nonce = elf->symbol("aidi_run_nonce");
      ASSERT_TRUE(nonce) << "aidi_run_nonce";
      EXPECT_GE(*nonce, kFlashBase);
      EXPECT_LT(*nonce, kFlashEnd);
      EXPECT_EQ(*nonce % 4, 0u);
      EXPECT_EQ(elf->readWord(*nonce), 0xFFFFFFFFu) << "erased in the image";
      for (const char* name : {".text", ".init_array"}) {
        const auto s = elf->section(name);
        ASSERT_TRUE(s) << name;
        EXPECT_GE(s->address, kFlashBase) << name;
        EXPECT_LE(s->address + s->size, kFlashEnd) << name;
      }
      for (const char* name : {".data", ".bss"}) {
        const auto s = elf->section(name);
        ASSERT_TRUE(s) << name;
        EXPECT_GE(s->address, kRamBase) << name;
        EXPECT_LE(s->address + s->size, kRamEnd) << name;
      }
    }
  }
}

TEST(NucleoElf, SizeReportAgreesWithTheElfAndFitsTheChip) {
  for (const auto& model : models()) {
    for (const char* policy : {"layer", "fixed-tile", "loop", "aidi"}) {
      const fs::path elfPath = elfOf(model, policy);
      std::ifstream in(elfPath.string() + ".size.json");
      ASSERT_TRUE(in) << "no size report for " << elfPath;
      const auto report = nlohmann::json::parse(in);
      auto elf = ElfFile::open(elfPath);
      ASSERT_TRUE(elf);
      const auto bytes = [&](const char* name) { return elf->section(name) ? elf->section(name)->size : 0u; };
      EXPECT_EQ(report["sram_bytes"].get<std::uint32_t>(), bytes(".data") + bytes(".bss")) << elfPath;
      EXPECT_EQ(report["flash_bytes"].get<std::uint32_t>(),
                bytes(".isr_vector") + bytes(".text") + bytes(".ARM.exidx") + bytes(".init_array") + bytes(".data"))
          << elfPath;
      EXPECT_LE(report["flash_bytes"].get<std::uint32_t>(), 1024u * 1024);
      EXPECT_LE(report["sram_bytes"].get<std::uint32_t>() + report["stack_bytes"].get<std::uint32_t>(), 256u * 1024);
      // The scratch holds the model's peak activations (from its manifest).
      std::ifstream manifestIn(fs::path(AIDI_SOURCE_DIR) / "fixtures/models" / model / "manifest.json");
      const auto manifest = nlohmann::json::parse(manifestIn);
      EXPECT_GE(report["scratch_bytes"].get<std::uint32_t>(), manifest["peak_sram_bytes"].get<std::uint32_t>());
      EXPECT_GE(report["sram_bytes"].get<std::uint32_t>(), report["scratch_bytes"].get<std::uint32_t>());
    }
  }
}
