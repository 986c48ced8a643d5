// Loads the model zoo and the Fashion-MNIST subset fixtures for tests.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aidi::test {

inline std::filesystem::path fixturesDir() { return std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures"; }

inline std::vector<std::uint8_t> readBytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Model names that have an exported model in fixtures/models.
inline std::vector<std::string> zooModels() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(fixturesDir() / "models"))
    if (std::filesystem::exists(e.path() / "model.aidi")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct Subset {
  std::vector<std::uint8_t> labels;
  std::vector<std::uint8_t> images;  // count x 784
  std::size_t count = 0;
  const std::uint8_t* image(std::size_t i) const { return images.data() + i * 784; }
};

// fixtures/fashion-mnist/test-1000.bin: "AIDIFMN1", u32 count, u32 rows, u32 cols, labels, images.
inline Subset loadSubset() {
  const auto bytes = readBytes(fixturesDir() / "fashion-mnist" / "test-1000.bin");
  Subset s;
  s.count = bytes[8] | bytes[9] << 8 | bytes[10] << 16 | static_cast<std::size_t>(bytes[11]) << 24;
  s.labels.assign(bytes.begin() + 20, bytes.begin() + 20 + static_cast<long>(s.count));
  s.images.assign(bytes.begin() + 20 + static_cast<long>(s.count), bytes.end());
  return s;
}

// Lower-case hex of int8 values, as expected.json stores logits.
inline std::string hex(const std::int8_t* v, int n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i) {
    const auto b = static_cast<std::uint8_t>(v[i]);
    s += digits[b >> 4];
    s += digits[b & 15];
  }
  return s;
}

inline nlohmann::json loadJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

}  // namespace aidi::test
