#include "aidi/core/device_hello.hpp"

#include <charconv>
#include <map>

namespace aidi::core {

inst::Result<DeviceHello> parseDeviceHello(std::string_view line) {
  using inst::ErrorCode;
  if (!line.starts_with(kHelloPrefix))
    return inst::fail(ErrorCode::Protocol, "not a hello line: \"" + std::string(line) + "\"");
  std::map<std::string, std::string, std::less<>> fields;
  std::string_view rest = line.substr(kHelloPrefix.size());
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find(' '), rest.size());
    const std::string_view item = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return inst::fail(ErrorCode::Protocol, "hello: field without '=': \"" + std::string(item) + "\"");
    fields.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
  }
  DeviceHello hello;
  for (const char* key : {"version", "build", "target", "boot", "sram"}) {
    if (!fields.contains(key)) return inst::fail(ErrorCode::Protocol, std::string("hello: missing field '") + key + "'");
  }
  hello.version = fields["version"];
  hello.build = fields["build"];
  hello.target = fields["target"];
  const std::string& boot = fields["boot"];
  const auto [ptr, ec] = std::from_chars(boot.data(), boot.data() + boot.size(), hello.boot);
  if (ec != std::errc{} || ptr != boot.data() + boot.size())
    return inst::fail(ErrorCode::Protocol, "hello: boot is not a number: \"" + boot + "\"");
  const std::string& sram = fields["sram"];
  if (sram != "cold" && sram != "warm")
    return inst::fail(ErrorCode::Protocol, "hello: sram must be cold or warm, got \"" + sram + "\"");
  hello.sramCold = sram == "cold";
  return hello;
}

}  // namespace aidi::core
