// The device's text hello line, "AIDI hello version=.. build=.. target=..
// boot=N sram=cold|warm": how the foundation firmware identifies itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aidi/inst/result.hpp"

namespace aidi::core {

struct DeviceHello {
  std::string version;
  std::string build;   // hash of the firmware's sources
  std::string target;  // e.g. mps2-an386
  std::uint32_t boot = 0;
  bool sramCold = false;
};

inline constexpr std::string_view kHelloPrefix = "AIDI hello ";

// Parses one line; Protocol error naming the missing or malformed field.
[[nodiscard]] inst::Result<DeviceHello> parseDeviceHello(std::string_view line);

}  // namespace aidi::core
