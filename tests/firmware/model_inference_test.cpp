// Every exported model, run by the C++ reference kernels, gives exactly the
// int8 logits and predictions of the Python exporter's integer simulation (an
// independent implementation), sample for sample.
#include <gtest/gtest.h>

#include <cstring>

#include "aidi/proto/crc32c.hpp"
#include "model_fixtures.hpp"
#include "plain_inference.hpp"

using namespace aidi::fw;
using namespace aidi::test;

namespace {

// Rewrites the body CRC after an edit, so validation beyond the CRC is reached.
void fixCrc(std::vector<std::uint8_t>& bytes) {
  const std::uint32_t crc = aidi::proto::Crc32c::calculate(bytes.data() + 64, bytes.size() - 64);
  std::memcpy(bytes.data() + 20, &crc, 4);
}

std::vector<std::uint8_t> inasTiny() { return readBytes(fixturesDir() / "models/inas-tiny/model.aidi"); }

}  // namespace

TEST(ModelZoo, HasTheBaselineAndMcunetModels) {
  const auto models = zooModels();
  EXPECT_NE(std::find(models.begin(), models.end(), "inas-tiny"), models.end());
  EXPECT_TRUE(std::any_of(models.begin(), models.end(), [](const auto& m) { return m.starts_with("mcunet-"); }));
}

class ModelInference : public ::testing::TestWithParam<bool> {};

// With the reference kernels (false) and the Cortex-M4 kernels (true).
TEST_P(ModelInference, KernelsEqualTheExporterOnEverySample) {
  const KernelSet& kernels = GetParam() ? cm4Kernels() : referenceKernels();
  const Subset subset = loadSubset();
  ASSERT_EQ(subset.count, 1000u);
  for (const std::string& name : zooModels()) {
    SCOPED_TRACE(name);
    const auto bytes = readBytes(fixturesDir() / "models" / name / "model.aidi");
    ModelView model;
    ASSERT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::Ok);
    EXPECT_STREQ(model.name(), name.c_str());
    ArenaPlan plan;
    ASSERT_TRUE(planArena(model, plan));
    const auto manifest = loadJson(fixturesDir() / "models" / name / "manifest.json");
    EXPECT_EQ(model.macs(), manifest["macs"].get<std::uint64_t>());
    EXPECT_GE(plan.bytes, manifest["peak_sram_bytes"].get<std::uint32_t>());
    EXPECT_LE(plan.bytes, 256u * 1024);

    const auto expected = loadJson(fixturesDir() / "models" / name / "expected.json");
    std::vector<std::int8_t> arena(plan.bytes);
    int mismatches = 0;
    for (std::size_t i = 0; i < subset.count; ++i) {
      std::int8_t logits[16];
      const int predicted =
          runPlainInference(model, plan, kernels, subset.image(i), arena.data(), logits, 16);
      const int n = model.tensor(model.outputTensor()).shape.size();
      if (predicted != expected["predictions"][i].get<int>() || hex(logits, n) != expected["logits_hex"][i]) {
        if (++mismatches <= 5)
          ADD_FAILURE() << "sample " << i << ": predicted " << predicted << " logits " << hex(logits, n)
                        << ", exporter " << expected["predictions"][i] << " " << expected["logits_hex"][i];
      }
    }
    EXPECT_EQ(mismatches, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, ModelInference, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& kind) { return kind.param ? "cm4" : "reference"; });

TEST(ModelView, RefusesDamagedFilesBeforeAnyInference) {
  const auto good = inasTiny();
  ModelView model;
  ASSERT_EQ(model.parse(good.data(), good.size()), ModelStatus::Ok);

  auto bytes = good;
  bytes[0] = 'X';
  EXPECT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::BadMagic);
  bytes = good;
  bytes[8] = 2;
  EXPECT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::BadVersion);
  EXPECT_EQ(model.parse(good.data(), good.size() - 1), ModelStatus::BadSize);
  EXPECT_EQ(model.parse(good.data(), 10), ModelStatus::TooSmall);
  bytes = good;
  bytes[bytes.size() - 3] ^= 0x40;
  EXPECT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::BadCrc);
}

TEST(ModelView, RefusesInconsistentShapesAndWeights) {
  const auto good = inasTiny();
  // Tensor 1 (first conv's output) claims 15 rows instead of 14.
  auto bytes = good;
  bytes[64 + 16] = 15;
  fixCrc(bytes);
  ModelView model;
  EXPECT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::BadShape);
  EXPECT_EQ(model.badIndex(), 0);
  // Layer 0's weight size off by one.
  bytes = good;
  const std::uint32_t layers = good[52] | good[53] << 8;
  bytes[layers + 28] += 1;
  fixCrc(bytes);
  EXPECT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::BadWeights);
  // Layer 0 reads a tensor that does not exist.
  bytes = good;
  bytes[layers + 8] = 200;
  fixCrc(bytes);
  EXPECT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::BadTensor);
  // Unknown op.
  bytes = good;
  bytes[layers] = 42;
  fixCrc(bytes);
  EXPECT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::BadOp);
  // Layer table past the end of the file.
  bytes = good;
  bytes[52] = 0xF0;
  bytes[53] = 0xFF;
  fixCrc(bytes);
  EXPECT_EQ(model.parse(bytes.data(), bytes.size()), ModelStatus::BadTable);
}
