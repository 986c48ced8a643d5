// Where aidi finds its data (board profiles, the model zoo, the firmware
// images, the QEMU plugin) and its default run database: beside an installed
// program (PREFIX/share/aidi-bench, found from the running executable), or
// in the source and build trees it was built in. Environment variables
// (AIDI_BOARDS, AIDI_MODELS, AIDI_FIRMWARE_DIR, AIDI_INSN_PLUGIN, AIDI_DB)
// override each.
#pragma once

#include <filesystem>
#include <optional>

namespace aidi::core {

// PREFIX/share/aidi-bench when this program runs from PREFIX/bin and its data
// was installed (`cmake --install`); nullopt when it runs from a build tree.
std::optional<std::filesystem::path> installedDataDirectory();

// The source tree's layout (boards/, fixtures/…), installed or not.
std::filesystem::path dataRoot();
// The cross-built firmware's tree (targets/TARGET/*.elf).
std::filesystem::path firmwareRoot();
// The QEMU instruction-counting plugin.
std::filesystem::path insnPluginPath();

// The run database every face opens when not told another: AIDI_DB when
// set, else aidi.sqlite in the user's data directory
// ($XDG_DATA_HOME/aidi-bench, or ~/.local/share/aidi-bench).
std::filesystem::path defaultDatabasePath();

}  // namespace aidi::core
