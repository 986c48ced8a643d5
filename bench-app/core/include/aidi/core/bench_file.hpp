// A bench file (TOML): the instruments on one lab table and their limits,
// written once per bench (fixtures/benches/README.md). Validated before
// anything is switched on; errors name the file, the line and the key.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "aidi/inst/flasher.hpp"
#include "aidi/inst/power_supply.hpp"
#include "aidi/inst/result.hpp"
#include "aidi/inst/visa_resource.hpp"

namespace aidi::core {

struct BenchSupply {
  inst::VisaResource resource;
  int channel = 1;
  std::string driver;  // empty: chosen from the *IDN? reply
};

struct BenchLink {
  inst::VisaResource resource;
  int baud = 921600;  // the NUCLEO firmware's rate
};

// How the supply plays the harvest (a row of inst::harvesterModes()).
struct BenchHarvest {
  std::string mode = "switching";
  double stepS = 0;  // between settings, wall (0: the mode's default)
};

// A meter beside the supply (a row of inst::meterDrivers()): its stream goes
// into each run's waveforms.
struct BenchMeter {
  inst::VisaResource resource;
  std::string driver;
};

struct BenchFile {
  std::filesystem::path path;
  std::string name;
  std::string target;  // firmware target, e.g. nucleo-f412zg
  inst::SafetyLimits limits;
  std::optional<BenchSupply> supply;
  std::optional<BenchLink> link;
  BenchHarvest harvest;
  std::optional<BenchMeter> meter;
  std::optional<inst::OpenOcdConfig> flasher;
  std::string flasherKind = "openocd";  // a row of inst::flasherKinds()
};

[[nodiscard]] inst::Result<BenchFile> loadBenchFile(const std::filesystem::path& path);
// The same from text already read; `path` names it in errors.
[[nodiscard]] inst::Result<BenchFile> parseBenchFile(const std::string& text, const std::filesystem::path& path);

// The firmware image of `model` under `policy` for the bench's target.
std::filesystem::path benchFirmware(const BenchFile& bench, const std::string& model, const std::string& policy);

// What answers on a bench: the supply's and the meter's identities (*IDN?
// or the driver's own query; nothing is switched) and whether the link can
// be opened. Each part says why not.
struct BenchProbe {
  std::optional<inst::Identity> supply;
  std::string supplyError;  // when the supply is configured and did not answer
  std::optional<inst::Identity> meter;
  std::string meterError;   // when the meter is configured and did not answer
  bool linkOk = false;
  std::string linkState;    // e.g. "/dev/ttyACM0 present", or the reason it is not
};
[[nodiscard]] BenchProbe probeBench(const BenchFile& bench);

// Programs `elf` through the bench's flasher (verify and reset included).
// A bench with a supply powers the board at `deviceVolts` (within its
// limits) while it is flashed, since a probe cannot program an unpowered
// target, and switches it off after, flashed or not. `supply`: the bench's
// supply already open (else it is opened here).
[[nodiscard]] inst::Status flashBench(const BenchFile& bench, const std::filesystem::path& elf, double deviceVolts = 3.3,
                                      inst::PowerSupply* supply = nullptr);

}  // namespace aidi::core
