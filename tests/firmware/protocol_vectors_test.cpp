// The firmware's encoder, running on the virtual board, produces exactly the
// golden vector bytes (a Cortex-M4 build of the same library, checked on the
// target rather than trusted).
#include <gtest/gtest.h>

#include "../protocol/protocol_fixtures.hpp"
#include "aidi/inst/qemu_board.hpp"

using namespace aidi;
using namespace std::chrono_literals;

TEST(FirmwareProtocol, DeviceBytesEqualTheGoldenVectors) {
  std::vector<std::uint8_t> expected{0x00};  // boot resync byte
  const auto fixture = test::loadProtocolFixture("vectors.json");
  for (const auto& v : fixture["vectors"]) {
    const auto w = test::fromHex(v["wire_hex"]);
    expected.insert(expected.end(), w.begin(), w.end());
  }

  inst::QemuBoardConfig config;
  config.firmware = AIDI_PROTOCOL_VECTORS_ELF;
  auto board = inst::QemuBoard::start(config);
  ASSERT_TRUE(board) << board.error().message;

  std::vector<std::uint8_t> received;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (received.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
    std::byte buffer[1024];
    auto n = (*board)->telemetry().read(buffer, 200ms);
    ASSERT_TRUE(n) << n.error().message;
    for (std::size_t i = 0; i < *n; ++i) received.push_back(static_cast<std::uint8_t>(buffer[i]));
  }
  ASSERT_EQ(received.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    ASSERT_EQ(received[i], expected[i]) << "first difference at byte " << i;
}
