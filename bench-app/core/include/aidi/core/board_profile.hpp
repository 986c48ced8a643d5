// A board profile (boards/NAME.toml): the figures of one board, each with its
// datasheet source. The firmware's header is generated from the same file at
// build time (tools/gen_board_header.py); the bench loads it at run time to
// time and power the virtual board, to compute the energy-bound limit, to
// check a device's Hello, and to print in reports. A profile whose target is
// the virtual board (mps2-an386) can stand for any MCU: the virtual board
// then runs the same instructions with that MCU's clock, powers and NVM costs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/result.hpp"
#include "aidi/proto/messages.hpp"

namespace aidi::core {

struct BoardProfile {
  std::string name, target, description, nvmKind;
  std::filesystem::path path;
  std::string text;  // the file as read: recorded with the runs that used it
  double clockHz = 0, activePowerW = 0, sleepPowerW = 0;
  std::uint32_t nvmBytes = 0, nvmCyclesPerByte = 0, nvmWriteOverheadCycles = 0, nvmReadOverheadCycles = 0;
  // The NVM chip's own draw: standby while the board runs, active while it
  // transfers, sleep while the MCU sleeps (the firmware puts it to sleep
  // first), and the recovery time the firmware waits, active, after each wake.
  double nvmStandbyPowerW = 0, nvmActivePowerW = 0, nvmSleepPowerW = 0, nvmWakeS = 0;
  std::uint32_t sramBytes = 0, flashBytes = 0;
  double vOn = 0, vOff = 0, vMax = 0, efficiency = 0, leakageW = 0;
  // The board shut down to wait for energy (SRAM lost, woken at V_on by a
  // comparator): MCU shutdown, the wake comparator, the NVM powered down.
  double shutdownPowerW = 0;
  // The ADC that reads the storage capacitor (through a switched divider):
  // its resolution over a full scale, its noise (rms, at the capacitor) and
  // the time one reading takes, charged at the running power.
  std::uint32_t adcBits = 12;
  double adcFullScaleV = 0, adcNoiseV = 0, adcConversionS = 0;
  // The rate its telemetry UART sends at, polled: every frame byte holds the
  // CPU for 10 bit times (8N1). 0: not charged (the virtual board's frames
  // are the bench's observation; a deployed device sends none).
  std::uint32_t telemetryBaud = 0;
  std::map<std::string, std::string> sources;  // figure key -> its source

  // The storage element as this board sees it: its thresholds, converter
  // and leakage with a capacitor of `capacitanceF`.
  inst::StorageParams storage(double capacitanceF) const;
  // The board's draw while it runs (MCU active, NVM in standby) and while it
  // sleeps (both asleep). A plain inference needs no NVM, so its NVM sleeps:
  // the energy-bound limit's power.
  double runningPowerW() const { return activePowerW + nvmStandbyPowerW; }
  double sleepingPowerW() const { return sleepPowerW + nvmSleepPowerW; }
  double plainPowerW() const { return activePowerW + nvmSleepPowerW; }
  // The board's draw while its NVM transfers (the MCU waits on it, active).
  double transferPowerW() const { return activePowerW + nvmActivePowerW; }
  // Device cycles of `joules` while it runs.
  double cyclesOf(double joules) const { return joules / runningPowerW() * clockHz; }
  // The cycles the firmware waits after waking its NVM.
  std::uint32_t nvmWakeCycles() const { return static_cast<std::uint32_t>(nvmWakeS * clockHz + 0.5); }
  // CPU cycles a telemetry byte holds the board (0 when not charged).
  double telemetryCyclesPerByte() const { return telemetryBaud > 0 ? 10.0 * clockHz / telemetryBaud : 0.0; }
};

// The virtual board's own profile: what runs use when nothing names a board.
inline constexpr const char* kDefaultBoard = "mps2-an386";

// AIDI_BOARDS, or the source tree's boards/.
std::filesystem::path defaultBoardDirectory();
// Where a profile's text comes from: a file, where every figure is required;
// or a campaign's record, where figures added since default to what the
// bench did before them.
enum class ProfileOrigin { File, Recorded };
// Parses a profile's text; errors name `path`, the line and the key.
[[nodiscard]] inst::Result<BoardProfile> parseBoardProfile(const std::string& text, const std::filesystem::path& path,
                                                           ProfileOrigin origin = ProfileOrigin::File);
[[nodiscard]] inst::Result<BoardProfile> loadBoardProfile(const std::filesystem::path& path);
// boards/NAME.toml in `directory`; an unknown name lists the known ones.
[[nodiscard]] inst::Result<BoardProfile> findBoardProfile(const std::string& name,
                                                          const std::filesystem::path& directory = defaultBoardDirectory());
// A device's Hello against the profile the bench runs it with: its target
// and clock must be the profile's, or the run's timing would be wrong; the
// error names both.
[[nodiscard]] inst::Status checkHelloAgainstProfile(const proto::Hello& hello, const BoardProfile& profile);

// The names of the profiles in `directory`, sorted.
std::vector<std::string> boardNames(const std::filesystem::path& directory = defaultBoardDirectory());

}  // namespace aidi::core
