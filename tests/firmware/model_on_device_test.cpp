// Every model of the zoo on the virtual board (Cortex-M4 build of the same
// kernels): its predictions and logits equal the exporter's on every sample
// of the subset, as reported through the telemetry protocol.
#include <gtest/gtest.h>

#include "aidi/inst/qemu_board.hpp"
#include "aidi/proto/crc32c.hpp"
#include "aidi/proto/decoder.hpp"
#include "aidi/proto/messages.hpp"
#include "model_fixtures.hpp"

using namespace aidi;
using namespace std::chrono_literals;

namespace {

class ModelOnDevice : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST_P(ModelOnDevice, PredictionsEqualTheExporterOnEverySample) {
  const std::string name = GetParam();
  const auto expected = test::loadJson(test::fixturesDir() / "models" / name / "expected.json");
  const std::size_t samples = expected["samples"];

  inst::QemuBoardConfig config;
  config.firmware = std::string(AIDI_FIRMWARE_DIR) + "/aidi-model-check-" + name + "-mps2-an386.elf";
  auto board = inst::QemuBoard::start(config);
  ASSERT_TRUE(board) << board.error().message;

  proto::FrameDecoder decoder(proto::isKnownMessageType);
  std::size_t results = 0;
  int mismatches = 0;
  bool done = false;
  const auto deadline = std::chrono::steady_clock::now() + 240s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    std::byte buffer[4096];
    auto n = (*board)->telemetry().read(buffer, 500ms);
    ASSERT_TRUE(n) << n.error().message << " " << (*board)->exitDiagnosis();
    for (std::size_t i = 0; i < *n && !done; ++i) {
      if (decoder.push(static_cast<std::uint8_t>(buffer[i])) != proto::DecodeResult::Frame) continue;
      const proto::Frame& frame = decoder.frame();
      proto::DeviceError error{};
      ASSERT_NE(proto::decodeMessage(frame, error), proto::PayloadStatus::Ok) << "device error: " << error.text;
      proto::Log log{};
      if (proto::decodeMessage(frame, log) == proto::PayloadStatus::Ok) {
        done = std::string(log.text) == "done";
        continue;
      }
      proto::InferenceResult result{};
      ASSERT_EQ(proto::decodeMessage(frame, result), proto::PayloadStatus::Ok);
      ASSERT_EQ(result.sample, results) << "results arrive in sample order";
      const std::string logits = test::hex(result.logits, result.logitCount);
      EXPECT_EQ(result.logitsCrc, proto::Crc32c::calculate(result.logits, result.logitCount));
      if (result.predicted != expected["predictions"][results].get<int>() ||
          logits != expected["logits_hex"][results]) {
        if (++mismatches <= 5)
          ADD_FAILURE() << name << " sample " << results << ": device " << int(result.predicted) << " " << logits
                        << ", exporter " << expected["predictions"][results] << " " << expected["logits_hex"][results];
      }
      ++results;
    }
  }
  EXPECT_TRUE(done) << "the device did not finish within the time limit";
  EXPECT_EQ(results, samples);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(decoder.counters().droppedFrames(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Zoo, ModelOnDevice, ::testing::ValuesIn(test::zooModels()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string n = param.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });
