#include "aidi/proto/cobs.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace aidi::proto;

namespace {
std::vector<std::uint8_t> encode(const std::vector<std::uint8_t>& in) {
  std::vector<std::uint8_t> out(cobsMaxEncodedSize(in.size()));
  const std::size_t n = cobsEncode(in.data(), in.size(), out.data(), out.size());
  out.resize(n);
  return out;
}
}  // namespace

// Examples from Cheshire & Baker, "Consistent Overhead Byte Stuffing" (1999),
// as tabulated in the COBS article of the English Wikipedia.
TEST(Cobs, PaperExamples) {
  EXPECT_EQ(encode({0x00}), (std::vector<std::uint8_t>{0x01, 0x01}));
  EXPECT_EQ(encode({0x00, 0x00}), (std::vector<std::uint8_t>{0x01, 0x01, 0x01}));
  EXPECT_EQ(encode({0x00, 0x11, 0x00}), (std::vector<std::uint8_t>{0x01, 0x02, 0x11, 0x01}));
  EXPECT_EQ(encode({0x11, 0x22, 0x00, 0x33}), (std::vector<std::uint8_t>{0x03, 0x11, 0x22, 0x02, 0x33}));
  EXPECT_EQ(encode({0x11, 0x22, 0x33, 0x44}), (std::vector<std::uint8_t>{0x05, 0x11, 0x22, 0x33, 0x44}));
  EXPECT_EQ(encode({0x11, 0x00, 0x00, 0x00}), (std::vector<std::uint8_t>{0x02, 0x11, 0x01, 0x01, 0x01}));
}

TEST(Cobs, A254ByteRunNeedsNoZero) {
  std::vector<std::uint8_t> in(254);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i + 1);
  const auto out = encode(in);
  ASSERT_EQ(out.size(), 256u);
  EXPECT_EQ(out[0], 0xFF);
  EXPECT_EQ(out[255], 0x01);
}

TEST(Cobs, RoundTripsRandomData) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<std::uint8_t> in(rng() % 600);
    for (auto& b : in) b = (rng() % 4 == 0) ? 0 : static_cast<std::uint8_t>(rng());
    const auto enc = encode(in);
    for (auto b : enc) ASSERT_NE(b, 0);
    std::vector<std::uint8_t> dec(in.size() + 1);
    const long n = cobsDecode(enc.data(), enc.size(), dec.data(), dec.size());
    ASSERT_EQ(n, static_cast<long>(in.size()));
    dec.resize(static_cast<std::size_t>(n));
    EXPECT_EQ(dec, in);
  }
}

TEST(Cobs, EncodeRefusesASmallBuffer) {
  std::vector<std::uint8_t> in(10, 1), out(10);
  EXPECT_EQ(cobsEncode(in.data(), in.size(), out.data(), out.size()), 0u);
}

TEST(Cobs, DecodeRejectsMalformedInput) {
  std::uint8_t out[16];
  const std::uint8_t runsPastEnd[] = {0x05, 0x11, 0x22};
  EXPECT_EQ(cobsDecode(runsPastEnd, sizeof runsPastEnd, out, sizeof out), -1);
  const std::uint8_t zeroInside[] = {0x03, 0x11, 0x00};
  EXPECT_EQ(cobsDecode(zeroInside, sizeof zeroInside, out, sizeof out), -1);
  const std::uint8_t tooBig[] = {0x05, 0x11, 0x22, 0x33, 0x44};
  EXPECT_EQ(cobsDecode(tooBig, sizeof tooBig, out, 2), -1);
}
