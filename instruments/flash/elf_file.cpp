#include "aidi/inst/elf_file.hpp"

#include <fstream>
#include <iterator>

namespace aidi::inst {
namespace {

constexpr std::uint32_t kSymTab = 2;
constexpr std::uint32_t kPtLoad = 1;

std::uint32_t le32(const std::vector<unsigned char>& b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | static_cast<std::uint32_t>(b[at + 1]) << 8 |
         static_cast<std::uint32_t>(b[at + 2]) << 16 | static_cast<std::uint32_t>(b[at + 3]) << 24;
}
std::uint16_t le16(const std::vector<unsigned char>& b, std::size_t at) {
  return static_cast<std::uint16_t>(b[at] | b[at + 1] << 8);
}
bool fits(const std::vector<unsigned char>& b, std::size_t offset, std::size_t size) {
  return offset <= b.size() && size <= b.size() - offset;
}
std::string cString(const std::vector<unsigned char>& b, std::size_t at) {
  std::string s;
  while (at < b.size() && b[at] != 0) s.push_back(static_cast<char>(b[at++]));
  return s;
}

}  // namespace

Result<ElfFile> ElfFile::open(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::NotFound, "cannot read firmware image " + path.string());
  ElfFile elf;
  elf.m_bytes.assign(std::istreambuf_iterator<char>(in), {});
  const auto& b = elf.m_bytes;
  const auto bad = [&](const std::string& why) { return fail(ErrorCode::Protocol, path.string() + ": " + why); };

  if (b.size() < 52 || b[0] != 0x7F || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') return bad("not an ELF file");
  if (b[4] != 1 || b[5] != 1) return bad("not a 32-bit little-endian ELF");
  elf.m_machine = le16(b, 18);
  const std::uint32_t shoff = le32(b, 32);
  const std::uint16_t shentsize = le16(b, 46);
  const std::uint16_t shnum = le16(b, 48);
  const std::uint16_t shstrndx = le16(b, 50);
  if (shentsize < 40 || !fits(b, shoff, std::size_t{shentsize} * shnum) || shstrndx >= shnum)
    return bad("section header table out of bounds");

  struct Raw {
    std::uint32_t name, type, flags, addr, offset, size, link, entsize;
  };
  std::vector<Raw> raw(shnum);
  for (std::size_t i = 0; i < shnum; ++i) {
    const std::size_t h = shoff + i * shentsize;
    raw[i] = {le32(b, h), le32(b, h + 4), le32(b, h + 8), le32(b, h + 12), le32(b, h + 16), le32(b, h + 20),
              le32(b, h + 24), le32(b, h + 36)};
    if (raw[i].type != ElfSection::kNoBits && !fits(b, raw[i].offset, raw[i].size))
      return bad("section " + std::to_string(i) + " runs past the end of the file");
  }
  const std::uint32_t phoff = le32(b, 28);
  const std::uint16_t phentsize = le16(b, 42);
  const std::uint16_t phnum = le16(b, 44);
  if (phnum > 0 && (phentsize < 32 || !fits(b, phoff, std::size_t{phentsize} * phnum)))
    return bad("program header table out of bounds");
  for (std::size_t i = 0; i < phnum; ++i) {
    const std::size_t h = phoff + i * phentsize;
    if (le32(b, h) != kPtLoad || le32(b, h + 16) == 0) continue;
    const ElfSegment segment{le32(b, h + 12), le32(b, h + 4), le32(b, h + 16)};
    if (!fits(b, segment.fileOffset, segment.fileSize))
      return bad("program segment " + std::to_string(i) + " runs past the end of the file");
    elf.m_segments.push_back(segment);
  }

  const std::size_t names = raw[shstrndx].offset;
  for (const auto& r : raw)
    elf.m_sections.push_back({cString(b, names + r.name), r.type, r.flags, r.addr, r.size, r.offset});

  for (const auto& r : raw) {
    if (r.type != kSymTab || r.entsize < 16 || r.link >= shnum) continue;
    const std::size_t strings = raw[r.link].offset;
    for (std::size_t at = r.offset; at + 16 <= std::size_t{r.offset} + r.size; at += r.entsize)
      elf.m_symbols.emplace_back(cString(b, strings + le32(b, at)), le32(b, at + 4));
  }
  return elf;
}

std::span<const unsigned char> ElfFile::segmentBytes(const ElfSegment& segment) const {
  return std::span(m_bytes).subspan(segment.fileOffset, segment.fileSize);
}

std::optional<ElfSection> ElfFile::section(const std::string& name) const {
  for (const auto& s : m_sections)
    if (s.name == name) return s;
  return std::nullopt;
}

std::optional<std::uint32_t> ElfFile::symbol(const std::string& name) const {
  for (const auto& [n, v] : m_symbols)
    if (n == name) return v;
  return std::nullopt;
}

std::optional<std::uint32_t> ElfFile::readWord(std::uint32_t address) const {
  for (const auto& s : m_sections) {
    if (!s.occupiesFile() || s.size < 4 || address < s.address || address - s.address > s.size - 4) continue;
    return le32(m_bytes, s.fileOffset + (address - s.address));
  }
  return std::nullopt;
}

}  // namespace aidi::inst
