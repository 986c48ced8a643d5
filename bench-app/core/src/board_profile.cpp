#include "aidi/core/board_profile.hpp"
#include "aidi/core/install_layout.hpp"

#include "aidi/support/printable.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <fstream>
#include <set>
#include <sstream>

#include "toml_file.hpp"

namespace aidi::core {
namespace {

// One figure: { value = ..., source = "..." }, finite and within [low, high].
struct Figure {
  const char* key;
  double low, high;
  bool whole;
  // Figures added after campaigns began recording their profiles: what a
  // recorded profile without them stands for (NaN: always required).
  double laterDefault = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace

std::filesystem::path defaultBoardDirectory() {
  if (const char* env = std::getenv("AIDI_BOARDS"); env && *env) return env;
  return dataRoot() / "boards";
}

inst::StorageParams BoardProfile::storage(double capacitanceF) const {
  inst::StorageParams s;
  s.capacitanceF = capacitanceF;
  s.vOn = vOn;
  s.vOff = vOff;
  s.vMax = vMax;
  s.efficiency = efficiency;
  s.leakageW = leakageW;
  return s;
}

inst::Result<BoardProfile> parseBoardProfile(const std::string& text, const std::filesystem::path& path,
                                             ProfileOrigin origin) {
  auto parsed = parseToml(text, path);
  if (!parsed) return std::unexpected(parsed.error());
  const toml::table& root = *parsed;
  const TomlFile file{path.string()};
  BoardProfile p;
  p.path = path;
  p.text = text;
  // The same figures and ranges as tools/gen_board_header.py.
  const Figure figures[] = {
      {"clock_hz", 1e3, 1e9, false},          {"active_power_w", 1e-7, 10, false},
      {"sleep_power_w", 0, 1, false},         {"nvm_bytes", 1, 2147483648.0, true},
      {"nvm_cycles_per_byte", 1, 1e5, true},  {"nvm_write_overhead_cycles", 0, 1e6, true},
      {"nvm_read_overhead_cycles", 0, 1e6, true}, {"nvm_standby_power_w", 0, 1, false},
      {"nvm_sleep_power_w", 0, 1, false},     {"nvm_wake_s", 0, 1, false},
      {"sram_bytes", 1024, 2147483648.0, true},
      {"flash_bytes", 1024, 2147483648.0, true},  {"v_on", 0.1, 60, false},
      {"v_off", 0.1, 60, false},              {"v_max", 0.1, 60, false},
      {"efficiency", 1e-3, 1, false},         {"leakage_w", 0, 1, false},
      // Since the realism work: a profile recorded before them ran with the
      // bench's oracle of its energy and never shut down.
      {"shutdown_power_w", 0, 1, false, 1.0},
      {"adc_bits", 6, 24, true, 12},          {"adc_full_scale_v", 0.1, 60, false, 60},
      {"adc_noise_v", 0, 1, false, 0},        {"adc_conversion_s", 0, 0.1, false, 0},
      // Since the profiling work: before it, transfers drew the standby power.
      {"nvm_active_power_w", 0, 1, false, 0},
      // Since the real-board work: before it, telemetry was not charged.
      {"telemetry_baud", 0, 1e8, true, 0},
  };
  std::set<std::string> known = {"name", "target", "description", "nvm_kind"};
  for (const auto& f : figures) known.insert(f.key);
  for (const auto& [key, node] : root)
    if (!known.contains(std::string(key.str())))
      return file.error(&node, std::string(key.str()), "unknown key");
  for (const auto& [key, field] : {std::pair<const char*, std::string*>{"name", &p.name}, {"target", &p.target},
                                   {"description", &p.description}, {"nvm_kind", &p.nvmKind}}) {
    const toml::node* node = root.get(key);
    const auto v = node ? node->value<std::string>() : std::nullopt;
    if (!v || v->empty()) return file.error(node ? node : &root, key, "needs a text");
    *field = *v;
  }
  std::map<std::string, double> values;
  for (const auto& f : figures) {
    const toml::node* node = root.get(f.key);
    if (!node && origin == ProfileOrigin::Recorded && !std::isnan(f.laterDefault)) {
      values[f.key] = f.laterDefault;
      p.sources[f.key] = "not in the profile the campaign recorded (the figure came later)";
      continue;
    }
    const toml::table* t = node ? node->as_table() : nullptr;
    if (!t) return file.error(node ? node : &root, f.key, "needs { value = NUMBER, source = \"datasheet, page\" }");
    const toml::node* valueNode = t->get("value");
    const auto source = (*t)["source"].value<std::string>();
    if (!valueNode || !valueNode->is_number()) return file.error(node, std::string(f.key) + ".value", "needs a number");
    const double number = valueNode->value_or(0.0);
    const double* value = &number;
    if (!source || source->empty()) return file.error(node, std::string(f.key) + ".source", "every figure needs its source");
    for (const auto& [k, n] : *t)
      if (k.str() != "value" && k.str() != "source") return file.error(&n, std::string(f.key) + "." + std::string(k.str()), "unknown key");
    if (!std::isfinite(*value) || *value < f.low || *value > f.high)
      return file.error(valueNode, std::string(f.key) + ".value",
                    "must be finite and within [" + std::to_string(f.low) + ", " + std::to_string(f.high) + "]");
    if (f.whole && *value != std::floor(*value))
      return file.error(valueNode, std::string(f.key) + ".value", "must be a whole number");
    values[f.key] = *value;
    p.sources[f.key] = *source;
  }
  p.clockHz = values["clock_hz"];
  p.activePowerW = values["active_power_w"];
  p.sleepPowerW = values["sleep_power_w"];
  p.nvmBytes = static_cast<std::uint32_t>(values["nvm_bytes"]);
  p.nvmCyclesPerByte = static_cast<std::uint32_t>(values["nvm_cycles_per_byte"]);
  p.nvmWriteOverheadCycles = static_cast<std::uint32_t>(values["nvm_write_overhead_cycles"]);
  p.nvmReadOverheadCycles = static_cast<std::uint32_t>(values["nvm_read_overhead_cycles"]);
  p.nvmStandbyPowerW = values["nvm_standby_power_w"];
  p.nvmSleepPowerW = values["nvm_sleep_power_w"];
  p.nvmWakeS = values["nvm_wake_s"];
  p.nvmActivePowerW = root.get("nvm_active_power_w") ? values["nvm_active_power_w"] : p.nvmStandbyPowerW;
  p.sramBytes = static_cast<std::uint32_t>(values["sram_bytes"]);
  p.flashBytes = static_cast<std::uint32_t>(values["flash_bytes"]);
  p.vOn = values["v_on"];
  p.vOff = values["v_off"];
  p.vMax = values["v_max"];
  p.efficiency = values["efficiency"];
  p.leakageW = values["leakage_w"];
  p.shutdownPowerW = values["shutdown_power_w"];
  if (!root.get("shutdown_power_w")) p.shutdownPowerW = p.sleepingPowerW();  // recorded before: it could not shut down
  p.adcBits = static_cast<std::uint32_t>(values["adc_bits"]);
  p.adcFullScaleV = values["adc_full_scale_v"];
  p.adcNoiseV = values["adc_noise_v"];
  p.adcConversionS = values["adc_conversion_s"];
  p.telemetryBaud = static_cast<std::uint32_t>(values["telemetry_baud"]);
  if (p.adcFullScaleV < p.vMax)
    return file.error(root.get("adc_full_scale_v"), "adc_full_scale_v", "must reach v_max: the ADC reads the capacitor up to its ceiling");
  if (p.shutdownPowerW > p.sleepingPowerW())
    return file.error(root.get("shutdown_power_w"), "shutdown_power_w", "must not exceed the sleep power (MCU and NVM asleep)");
  if (p.nvmActivePowerW < p.nvmStandbyPowerW)
    return file.error(root.get("nvm_active_power_w"), "nvm_active_power_w", "must not be below nvm_standby_power_w");
  if (p.nvmSleepPowerW > p.nvmStandbyPowerW)
    return file.error(root.get("nvm_sleep_power_w"), "nvm_sleep_power_w", "must not exceed nvm_standby_power_w");
  if (!(p.vOff < p.vOn && p.vOn <= p.vMax))
    return file.error(root.get("v_on"), "v_on", "need v_off < v_on <= v_max");
  return p;
}

inst::Result<BoardProfile> loadBoardProfile(const std::filesystem::path& path) {
  auto text = readTextFile(path, "board profile");
  if (!text) return std::unexpected(text.error());
  return parseBoardProfile(*text, path);
}

inst::Status checkHelloAgainstProfile(const proto::Hello& hello, const BoardProfile& profile) {
  const std::string target(hello.target, hello.targetLength);
  if (target != profile.target)
    return inst::fail(inst::ErrorCode::Protocol, "the device says it is a \"" + target + "\" but board profile \"" +
                                                     profile.name + "\" (" + profile.path.string() + ") is for \"" +
                                                     profile.target + "\"");
  if (std::abs(static_cast<double>(hello.clockHz) - profile.clockHz) > 0.5)
    return inst::fail(inst::ErrorCode::Protocol,
                      "the device runs at " + std::to_string(hello.clockHz) + " Hz but board profile \"" + profile.name +
                          "\" (" + profile.path.string() + ") says " + std::to_string(static_cast<std::uint64_t>(profile.clockHz)) + " Hz");
  return {};
}

std::vector<std::string> boardNames(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec))
    if (entry.path().extension() == ".toml") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

inst::Result<BoardProfile> findBoardProfile(const std::string& name, const std::filesystem::path& directory) {
  // A profile's name is a file name in `directory`: short, no path, no
  // control characters (a hostile name must neither reach elsewhere nor make
  // the file system throw, e.g. a name longer than the system allows).
  const bool plainName = !name.empty() && name.size() <= 64 && name.find("..") == std::string::npos &&
                         std::all_of(name.begin(), name.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
                         });
  const auto path = directory / (name + ".toml");
  std::error_code ec;
  if (!plainName || !std::filesystem::exists(path, ec)) {
    std::string known;
    for (const auto& n : boardNames(directory)) known += (known.empty() ? "" : ", ") + n;
    return inst::fail(inst::ErrorCode::NotFound, "unknown board \"" + printable(name) + "\" (profiles in " +
                                                     directory.string() + ": " + known + ")");
  }
  auto profile = loadBoardProfile(path);
  if (profile && profile->name != name)
    return inst::fail(inst::ErrorCode::Protocol, path.string() + ": name: \"" + profile->name +
                                                     "\" does not match the file name \"" + name + "\"");
  return profile;
}

}  // namespace aidi::core
