// The model zoo as the bench sees it: fixtures/models/NAME/{model.aidi,
// manifest.json, expected.json}. Loading validates the model file with the
// firmware's own reader, so a damaged file is refused with its reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aidi/inst/result.hpp"

namespace aidi::core {

struct ModelSummary {
  std::string name;
  std::filesystem::path directory;
  std::uint64_t params = 0, macs = 0, weightBytes = 0, peakSramBytes = 0, modelBytes = 0;
  double floatAccuracy = 0, int8Accuracy = 0;
  nlohmann::json manifest;
};

// Where the zoo lives: $AIDI_MODELS, else the source tree's fixtures/models.
std::filesystem::path defaultModelDirectory();
// The test subset the models of `zoo` are run on: fashion-mnist/ beside the
// zoo (fixtures/), else the source tree's.
std::filesystem::path subsetFileFor(const std::filesystem::path& zoo);

// Every model folder under `directory`, by name. A folder whose manifest or
// model file is missing or damaged is an error naming it.
[[nodiscard]] inst::Result<std::vector<ModelSummary>> listModels(const std::filesystem::path& directory);
[[nodiscard]] inst::Result<ModelSummary> loadModelSummary(const std::filesystem::path& modelDirectory);
// Whether `name` is a model of `zoo`: a plain folder name (no separator, not
// "." or "..", at most 255 bytes) holding model.aidi. Never throws, whatever
// the name: names come from users' files.
[[nodiscard]] bool isModelInZoo(const std::filesystem::path& zoo, const std::string& name);

// One image of the Fashion-MNIST subset fixture (fixtures/fashion-mnist/README.md).
struct SubsetImage {
  std::vector<std::uint8_t> pixels;  // 28 x 28, row-major
  int label = -1;
};
[[nodiscard]] inst::Result<SubsetImage> loadSubsetImage(const std::filesystem::path& subset, std::size_t sample);

}  // namespace aidi::core
