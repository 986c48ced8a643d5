#include "aidi/core/install_layout.hpp"

#include <cstdlib>
#include <system_error>

namespace aidi::core {

namespace {
std::optional<std::filesystem::path> fromEnvironment(const char* name) {
  if (const char* env = std::getenv(name); env && *env) return std::filesystem::path(env);
  return std::nullopt;
}
}  // namespace

std::optional<std::filesystem::path> installedDataDirectory() {
  static const std::optional<std::filesystem::path> found = []() -> std::optional<std::filesystem::path> {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return std::nullopt;
    const auto share = exe.parent_path().parent_path() / "share" / "aidi-bench";
    if (std::filesystem::is_directory(share / "boards", ec)) return share;
    return std::nullopt;
  }();
  return found;
}

std::filesystem::path dataRoot() {
  if (auto installed = installedDataDirectory()) return *installed;
  return AIDI_SOURCE_DIR;
}

std::filesystem::path firmwareRoot() {
  if (auto env = fromEnvironment("AIDI_FIRMWARE_DIR")) return *env;
  if (auto installed = installedDataDirectory()) return *installed / "firmware";
  return AIDI_FIRMWARE_BINARY_DIR;
}

std::filesystem::path insnPluginPath() {
  if (auto env = fromEnvironment("AIDI_INSN_PLUGIN")) return *env;
  if (auto installed = installedDataDirectory()) return *installed / "qemu" / "libaidi_insn_window.so";
  return AIDI_INSN_PLUGIN;
}

std::filesystem::path defaultDatabasePath() {
  if (auto env = fromEnvironment("AIDI_DB")) return *env;
  if (auto data = fromEnvironment("XDG_DATA_HOME")) return *data / "aidi-bench" / "aidi.sqlite";
  if (auto home = fromEnvironment("HOME")) return *home / ".local" / "share" / "aidi-bench" / "aidi.sqlite";
  return "aidi.sqlite";
}

}  // namespace aidi::core
