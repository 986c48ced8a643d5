#include "aidi/proto/crc32c.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

using aidi::proto::Crc32c;

// Check value from the CRC catalogue (reveng, "CRC-32/ISCSI"): CRC of the ASCII
// bytes "123456789" is 0xE3069283.
TEST(Crc32c, CatalogueCheckValue) {
  const char* check = "123456789";
  EXPECT_EQ(Crc32c::calculate(check, std::strlen(check)), 0xE3069283u);
}

// RFC 3720 (iSCSI) appendix B.4: 32 bytes of zeros -> 0x8A9136AA, 32 bytes of 0xFF -> 0x62A8AB43.
TEST(Crc32c, Rfc3720Vectors) {
  unsigned char zeros[32] = {};
  unsigned char ones[32];
  std::memset(ones, 0xFF, sizeof ones);
  EXPECT_EQ(Crc32c::calculate(zeros, sizeof zeros), 0x8A9136AAu);
  EXPECT_EQ(Crc32c::calculate(ones, sizeof ones), 0x62A8AB43u);
}

TEST(Crc32c, EmptyInputIsZero) { EXPECT_EQ(Crc32c::calculate(nullptr, 0), 0u); }

TEST(Crc32c, ByteByByteEqualsOneShot) {
  const std::string text = "The quick brown fox jumps over the lazy dog";
  Crc32c crc;
  for (char c : text) crc.update(&c, 1);
  EXPECT_EQ(crc.value(), Crc32c::calculate(text.data(), text.size()));
  crc.clear();
  EXPECT_EQ(crc.value(), 0u);
}
