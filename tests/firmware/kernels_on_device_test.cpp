// The Cortex-M4 kernels against the reference on the virtual board, with the
// real DSP instructions (aidi-kernel-check firmware).
#include <gtest/gtest.h>

#include <set>

#include "aidi/inst/qemu_board.hpp"
#include "aidi/proto/decoder.hpp"
#include "aidi/proto/messages.hpp"

using namespace aidi;
using namespace std::chrono_literals;

TEST(KernelsOnDevice, EveryKernelMatchesTheReferenceOnRandomCases) {
  inst::QemuBoardConfig config;
  config.firmware = std::string(AIDI_FIRMWARE_DIR) + "/aidi-kernel-check-mps2-an386.elf";
  auto board = inst::QemuBoard::start(config);
  ASSERT_TRUE(board) << board.error().message;
  proto::FrameDecoder decoder(proto::isKnownMessageType);
  std::set<std::string> passed;
  bool done = false;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    std::byte buffer[1024];
    auto n = (*board)->telemetry().read(buffer, 500ms);
    ASSERT_TRUE(n) << n.error().message;
    for (std::size_t i = 0; i < *n; ++i) {
      if (decoder.push(static_cast<std::uint8_t>(buffer[i])) != proto::DecodeResult::Frame) continue;
      proto::DeviceError error{};
      ASSERT_NE(proto::decodeMessage(decoder.frame(), error), proto::PayloadStatus::Ok)
          << error.text << " (case " << error.detail << ")";
      proto::Log log{};
      ASSERT_EQ(proto::decodeMessage(decoder.frame(), log), proto::PayloadStatus::Ok);
      if (std::string(log.text) == "done") done = true;
      else passed.insert(log.text);
    }
  }
  ASSERT_TRUE(done);
  EXPECT_EQ(passed, (std::set<std::string>{"pointwise 200/200", "conv 200/200", "depthwise 200/200",
                                           "fully_connected 200/200", "add 200/200", "pool 200/200"}));
}
