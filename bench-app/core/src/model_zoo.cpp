#include "aidi/core/model_zoo.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "aidi/core/install_layout.hpp"
#include "model_view.hpp"

namespace aidi::core {

std::filesystem::path defaultModelDirectory() {
  if (const char* env = std::getenv("AIDI_MODELS"); env && *env) return env;
  return dataRoot() / "fixtures" / "models";
}

std::filesystem::path subsetFileFor(const std::filesystem::path& zoo) {
  const auto beside = zoo.parent_path() / "fashion-mnist" / "test-1000.bin";
  if (std::error_code ec; std::filesystem::exists(beside, ec)) return beside;
  return dataRoot() / "fixtures" / "fashion-mnist" / "test-1000.bin";
}

inst::Result<ModelSummary> loadModelSummary(const std::filesystem::path& dir) {
  const auto modelFile = dir / "model.aidi";
  std::ifstream in(modelFile, std::ios::binary);
  if (!in) return inst::fail(inst::ErrorCode::NotFound, "model file not found: " + modelFile.string());
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  fw::ModelView view;
  if (const auto status = view.parse(bytes.data(), bytes.size()); status != fw::ModelStatus::Ok) {
    std::string where = view.badIndex() >= 0 ? " (entry " + std::to_string(view.badIndex()) + ")" : "";
    return inst::fail(inst::ErrorCode::Protocol, modelFile.string() + ": " + fw::toString(status) + where);
  }
  std::ifstream manifestIn(dir / "manifest.json");
  if (!manifestIn) return inst::fail(inst::ErrorCode::NotFound, "manifest not found: " + (dir / "manifest.json").string());
  auto manifest = nlohmann::json::parse(manifestIn, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object())
    return inst::fail(inst::ErrorCode::Protocol, (dir / "manifest.json").string() + ": not valid JSON");
  ModelSummary s;
  s.name = dir.filename().string();
  s.directory = dir;
  s.params = manifest.value("params", 0ull);
  s.macs = view.macs();
  s.weightBytes = manifest.value("weight_bytes", 0ull);
  s.peakSramBytes = manifest.value("peak_sram_bytes", 0ull);
  s.modelBytes = bytes.size();
  s.floatAccuracy = manifest.value("float_test_accuracy", 0.0);
  s.int8Accuracy = manifest.value("int8_test_accuracy", 0.0);
  s.manifest = std::move(manifest);
  return s;
}

bool isModelInZoo(const std::filesystem::path& zoo, const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == ".." ||
      name.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos)
    return false;
  std::error_code ec;
  return std::filesystem::is_regular_file(zoo / name / "model.aidi", ec);
}

inst::Result<SubsetImage> loadSubsetImage(const std::filesystem::path& subset, std::size_t sample) {
  constexpr std::size_t kHeader = 20, kPixels = 28 * 28;
  std::ifstream in(subset, std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  if (bytes.size() < kHeader || std::string(bytes.begin(), bytes.begin() + 8) != "AIDIFMN1")
    return inst::fail(inst::ErrorCode::NotFound, "not a Fashion-MNIST subset file: " + subset.string());
  const std::size_t count = bytes[8] | bytes[9] << 8 | bytes[10] << 16 | static_cast<std::size_t>(bytes[11]) << 24;
  if (sample >= count || bytes.size() < kHeader + count + kPixels * count)
    return inst::fail(inst::ErrorCode::NotFound, "sample " + std::to_string(sample) + " not in " + subset.string());
  SubsetImage image;
  image.label = bytes[kHeader + sample];
  const auto first = bytes.begin() + static_cast<long>(kHeader + count + kPixels * sample);
  image.pixels.assign(first, first + kPixels);
  return image;
}

inst::Result<std::vector<ModelSummary>> listModels(const std::filesystem::path& directory) {
  std::error_code ec;
  if (!std::filesystem::is_directory(directory, ec))
    return inst::fail(inst::ErrorCode::NotFound, "model directory not found: " + directory.string());
  std::vector<std::filesystem::path> dirs;
  // Folders with neither a model nor a manifest are not models (a build
  // folder, say); one with only half of them is a damaged model.
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (!entry.is_directory(ec)) continue;
    if (std::filesystem::exists(entry.path() / "model.aidi", ec) || std::filesystem::exists(entry.path() / "manifest.json", ec))
      dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  std::vector<ModelSummary> models;
  for (const auto& dir : dirs) {
    auto summary = loadModelSummary(dir);
    if (!summary) return std::unexpected(summary.error());
    models.push_back(std::move(*summary));
  }
  return models;
}

}  // namespace aidi::core
