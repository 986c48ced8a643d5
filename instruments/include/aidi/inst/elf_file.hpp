// Reads the section table and symbols of a 32-bit little-endian ELF: what the
// bench needs to know about a firmware image before it flashes it (where
// sections sit, how big it is, which target it was linked for).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

struct ElfSection {
  std::string name;
  std::uint32_t type = 0;  // SHT_PROGBITS = 1, SHT_NOBITS = 8
  std::uint32_t flags = 0;
  std::uint32_t address = 0;
  std::uint32_t size = 0;
  std::uint32_t fileOffset = 0;
  bool occupiesFile() const { return type != kNoBits; }
  static constexpr std::uint32_t kProgBits = 1;
  static constexpr std::uint32_t kNoBits = 8;
};

// A PT_LOAD program header: the bytes a loader puts at `loadAddress` (the
// physical address: for initialised data, where it sits in flash, not the
// RAM it is copied to at start-up).
struct ElfSegment {
  std::uint32_t loadAddress = 0;
  std::uint32_t fileOffset = 0;
  std::uint32_t fileSize = 0;
};

class ElfFile {
 public:
  // Protocol error naming the file when it is not a 32-bit little-endian ELF
  // or its tables run past the end; NotFound when it cannot be read.
  [[nodiscard]] static Result<ElfFile> open(const std::filesystem::path& path);

  std::uint16_t machine() const { return m_machine; }  // 40 = ARM
  const std::vector<ElfSection>& sections() const { return m_sections; }
  // The loadable segments with file contents, in the file's order.
  const std::vector<ElfSegment>& loadSegments() const { return m_segments; }
  // A segment's bytes in the file (bounds checked when it was opened).
  std::span<const unsigned char> segmentBytes(const ElfSegment& segment) const;
  std::optional<ElfSection> section(const std::string& name) const;
  // Value of a symbol from .symtab.
  std::optional<std::uint32_t> symbol(const std::string& name) const;
  // Little-endian word at `address` inside a section with file contents.
  std::optional<std::uint32_t> readWord(std::uint32_t address) const;

  static constexpr std::uint16_t kMachineArm = 40;

 private:
  std::vector<unsigned char> m_bytes;
  std::uint16_t m_machine = 0;
  std::vector<ElfSection> m_sections;
  std::vector<ElfSegment> m_segments;
  std::vector<std::pair<std::string, std::uint32_t>> m_symbols;
};

}  // namespace aidi::inst
