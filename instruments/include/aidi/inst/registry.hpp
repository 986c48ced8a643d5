// Where the bench finds an instrument's driver: one table per kind, chosen by
// name (bench files, --driver), by the *IDN? reply, or by the resource string.
// A new instrument is its driver file plus one line in a table here
// (instruments/src/registry.cpp); nothing else names drivers.
//   power supply  by driver name, or the first SCPI family whose *IDN? matches
//   link          by resource: ASRL/dev/...::INSTR serial, TCPIP0::HOST::PORT::SOCKET
//                 raw TCP (ser2net-exported ports, the QEMU board's UART)
//   flasher       by kind: "openocd"
//   harvester     by mode on a supply: "switching", "voltage-following", "current-source"
//   meter         by driver name: "ppk2", "otii"
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "aidi/inst/flasher.hpp"
#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/link.hpp"
#include "aidi/inst/power_supply.hpp"
#include "aidi/inst/bench_harvester.hpp"
#include "aidi/inst/meter.hpp"
#include "aidi/inst/visa_resource.hpp"

namespace aidi::inst {

struct SupplyOptions {
  std::string driver;          // a driver's name; empty: identify by *IDN?
  Millis timeout{2000};
  int baud = 9600;             // serial resources
  bool identifyOnly = false;   // no limits needed; every setting but output off refused
};

struct SupplyDriver {
  std::string name;         // as bench files and --driver spell it
  std::string description;  // for help texts
  Result<std::unique_ptr<PowerSupply>> (*open)(const std::string& resource, const SafetyLimits& limits,
                                                const SupplyOptions& options);
};

// Every power-supply driver, in table order.
std::span<const SupplyDriver> supplyDrivers();
// Opens the supply at `resource` with the driver named in `options` (or the
// one its *IDN? reply picks), within `limits` (checked before anything is sent).
[[nodiscard]] Result<std::unique_ptr<PowerSupply>> openPowerSupply(const std::string& resource,
                                                                   const SafetyLimits& limits,
                                                                   const SupplyOptions& options = {});

// A link to a device's telemetry by its resource (not opened yet).
[[nodiscard]] std::unique_ptr<Link> makeLink(const VisaResource& resource, int baud = 115200,
                                             Millis connectTimeout = Millis{3000});

// Instruments known by their USB ids (`aidi ports` names them): the driver
// that opens them, or empty.
struct UsbInstrument {
  int vendorId, productId;
  std::string_view driver;
  std::string_view name;
};
std::span<const UsbInstrument> usbInstruments();
const UsbInstrument* usbInstrument(int vendorId, int productId);

struct FlasherKind {
  std::string_view name;
  std::string_view description;
  std::unique_ptr<Flasher> (*make)(const OpenOcdConfig& config);
};
std::span<const FlasherKind> flasherKinds();
[[nodiscard]] Result<std::unique_ptr<Flasher>> makeFlasher(std::string_view kind, const OpenOcdConfig& config);

// How a real bench plays a harvest condition (bench_harvester.hpp): one row
// per mode, with the function that builds it on the bench's supply.
struct HarvesterMode {
  std::string_view name;
  std::string_view description;
  std::unique_ptr<BenchHarvester> (*make)(PowerSupply& supply, const BenchHarvesterSetup& setup);
};
std::span<const HarvesterMode> harvesterModes();
[[nodiscard]] Result<const HarvesterMode*> harvesterMode(std::string_view name);

// Meters beside the supply (meter.hpp), by driver name.
struct MeterDriver {
  std::string_view name;
  std::string_view description;
  Result<std::unique_ptr<Meter>> (*open)(const std::string& resource, const SafetyLimits& limits);
};
std::span<const MeterDriver> meterDrivers();
[[nodiscard]] Result<std::unique_ptr<Meter>> openMeter(std::string_view driver, const std::string& resource,
                                                       const SafetyLimits& limits);

}  // namespace aidi::inst
