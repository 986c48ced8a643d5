#include "aidi/proto/crc32c.hpp"

namespace aidi::proto {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78u;  // reflected Castagnoli

struct Table {
  std::uint32_t entry[256];
};

constexpr Table makeTable() {
  Table t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ kPolynomial : c >> 1;
    t.entry[i] = c;
  }
  return t;
}

constexpr Table kTable = makeTable();

}  // namespace

void Crc32c::update(const void* data, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t c = m_state;
  for (std::size_t i = 0; i < size; ++i) c = kTable.entry[(c ^ p[i]) & 0xFFu] ^ (c >> 8);
  m_state = c;
}

}  // namespace aidi::proto
