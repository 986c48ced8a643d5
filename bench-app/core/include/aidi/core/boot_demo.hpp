// The foundation's end-to-end slice: boot the virtual board, read its hello,
// reset it through QMP and watch the NVM boot counter rise while SRAM comes
// back cold every time.
#pragma once

#include <filesystem>
#include <string>

#include <functional>
#include <vector>

#include "aidi/core/device_hello.hpp"
#include "aidi/inst/qemu_board.hpp"

namespace aidi::core {

struct BootDemoOptions {
  inst::QemuBoardConfig board;
  int boots = 3;  // hellos to collect: the first boot plus boots-1 resets
  inst::Millis helloTimeout{5000};
};

// Where the firmware images of `target` are: targets/TARGET below
// $AIDI_FIRMWARE_DIR (a firmware build directory), else below the build's.
std::filesystem::path firmwareTargetDir(const std::string& target);

// The hello firmware of the virtual board ($AIDI_FIRMWARE, else the build's)
// and the QEMU program ($AIDI_QEMU, else qemu-system-arm).
std::filesystem::path defaultHelloFirmware();
std::string defaultQemuProgram();

// Called for each hello as it arrives (progress output).
using HelloCallback = std::function<void(const DeviceHello&)>;

// Returns every hello in order. The board is quit on every path.
[[nodiscard]] inst::Result<std::vector<DeviceHello>> runBootDemo(const BootDemoOptions& options,
                                                                 const HelloCallback& onHello = {});

}  // namespace aidi::core
