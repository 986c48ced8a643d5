// Loads fixtures/protocol/*.json for the protocol tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace aidi::test {

inline nlohmann::json loadProtocolFixture(const std::string& name) {
  std::ifstream in(std::string(AIDI_SOURCE_DIR) + "/fixtures/protocol/" + name);
  return nlohmann::json::parse(in);
}

inline std::vector<std::uint8_t> fromHex(const std::string& hex) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(static_cast<std::uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return bytes;
}

}  // namespace aidi::test
