#include "aidi/inst/registry.hpp"

#include <vector>

#include "aidi/inst/current_source_harvester.hpp"
#include "aidi/inst/otii_supply.hpp"
#include "aidi/inst/ppk2_supply.hpp"
#include "aidi/inst/scpi_power_supply.hpp"
#include "aidi/inst/serial_link.hpp"
#include "aidi/inst/supply_harvester.hpp"
#include "aidi/inst/tcp_link.hpp"
#include "aidi/inst/tty_link.hpp"

namespace aidi::inst {
namespace {

Result<std::unique_ptr<PowerSupply>> openScpi(const std::string& resource, const SafetyLimits& limits,
                                              const SupplyOptions& options) {
  auto psu = ScpiPowerSupply::open(resource, limits,
                                   ScpiOptions{.timeout = options.timeout, .family = options.driver,
                                               .baud = options.baud, .identifyOnly = options.identifyOnly});
  if (!psu) return std::unexpected(psu.error());
  return std::unique_ptr<PowerSupply>(std::move(*psu));
}

Result<std::unique_ptr<PowerSupply>> openPpk2(const std::string& resource, const SafetyLimits& limits,
                                              const SupplyOptions& options) {
  auto kit = Ppk2Supply::open(resource, limits, Ppk2Options{.timeout = options.timeout, .identifyOnly = options.identifyOnly});
  if (!kit) return std::unexpected(kit.error());
  return std::unique_ptr<PowerSupply>(std::move(*kit));
}

Result<std::unique_ptr<PowerSupply>> openOtii(const std::string& resource, const SafetyLimits& limits,
                                              const SupplyOptions& options) {
  auto otii = OtiiSupply::open(resource, limits, OtiiOptions{.timeout = options.timeout, .identifyOnly = options.identifyOnly});
  if (!otii) return std::unexpected(otii.error());
  return std::unique_ptr<PowerSupply>(std::move(*otii));
}

// One line per driver. The SCPI families are rows of the dialect table
// (scpi_power_supply.cpp); a supply that speaks another protocol adds its
// own line with its own open function.
std::vector<SupplyDriver> buildSupplyDrivers() {
  std::vector<SupplyDriver> drivers;
  for (const auto& d : scpiDialects())
    drivers.push_back({d.family, "SCPI over TCP or serial, " + std::to_string(d.channels) + " channels, *IDN? " + d.idnPattern,
                       openScpi});
  drivers.push_back({"ppk2", "Nordic Power Profiler Kit II over USB serial: source-meter at 0.8-5 V, 100 kS/s current",
                     openPpk2});
  drivers.push_back({"otii", "Qoitech Otii Arc/Ace through the Otii automation server (TCP JSON): main output and recording",
                     openOtii});
  return drivers;
}

constexpr UsbInstrument kUsbInstruments[] = {
    {ppk2::kUsbVendorId, ppk2::kUsbProductId, "ppk2", "Nordic Power Profiler Kit II"},
};

template <class F>
std::unique_ptr<Flasher> makeOne(const OpenOcdConfig& config) {
  return std::make_unique<F>(config);
}

constexpr FlasherKind kFlashers[] = {
    {"openocd", "OpenOCD run here: program, verify and reset through a debug probe (ST-LINK, CMSIS-DAP, J-Link)",
     makeOne<OpenOcdFlasher>},
    {"openocd-tcl", "an OpenOCD already running on the probe's host, over its TCL port (resource = tcp:HOST:6666)",
     makeOne<OpenOcdTclFlasher>},
};

std::unique_ptr<BenchHarvester> makeSupplyHarvester(PowerSupply& supply, const BenchHarvesterSetup& s,
                                                    SupplyHarvesterConfig::Mode mode) {
  SupplyHarvesterConfig config;
  config.mode = mode;
  config.channel = s.channel;
  config.deviceVolts = s.deviceVolts;
  config.currentLimit = s.currentLimit;
  config.deviceWatts = s.deviceWatts;
  config.timeScale = s.timeScale;
  config.measureIntervalS = s.measureIntervalS;
  if (s.stepS > 0) config.stepS = s.stepS;
  return std::make_unique<SupplyHarvester>(supply, *s.model, config);
}

std::unique_ptr<BenchHarvester> makeCurrentSource(PowerSupply& supply, const BenchHarvesterSetup& s) {
  CurrentSourceConfig config;
  config.channel = s.channel;
  config.efficiency = s.efficiency;
  config.vMax = s.vMax;
  config.traceStartS = s.traceStartS;
  if (s.stepS > 0) config.stepS = s.stepS;
  return std::make_unique<CapacitorHarvester>(supply, *s.trace, config,
                                              CapacitorHarvester::Thresholds{.vOn = s.vOn, .vOff = s.vOff,
                                                                             .startVolts = s.startVolts});
}

constexpr HarvesterMode kHarvesterModes[] = {
    {"switching", "output off while the modelled capacitor charges, on at the device voltage for the on-time",
     [](PowerSupply& p, const BenchHarvesterSetup& s) { return makeSupplyHarvester(p, s, SupplyHarvesterConfig::Mode::Switching); }},
    {"voltage-following", "while on, the set voltage steps down along the modelled capacitor voltage",
     [](PowerSupply& p, const BenchHarvesterSetup& s) {
       return makeSupplyHarvester(p, s, SupplyHarvesterConfig::Mode::VoltageFollowing);
     }},
    {"current-source", "a real storage capacitor at the board fed I = eta P(t) / V_cap every step; the board's own "
                       "thresholds end its cycles",
     makeCurrentSource},
};

constexpr MeterDriver kMeters[] = {
    {"ppk2", "Nordic PPK2 in ampere-meter mode, in series with the supply: 100 kS/s current and 8 digital inputs",
     openPpk2Meter},
    {"otii", "Qoitech Otii recording main current and voltage (a second connection to its server)", openOtiiMeter},
};

}  // namespace

std::span<const SupplyDriver> supplyDrivers() {
  static const std::vector<SupplyDriver> drivers = buildSupplyDrivers();
  return drivers;
}

Result<std::unique_ptr<PowerSupply>> openPowerSupply(const std::string& resource, const SafetyLimits& limits,
                                                     const SupplyOptions& options) {
  if (options.driver.empty()) return openScpi(resource, limits, options);  // identified by *IDN?
  for (const auto& driver : supplyDrivers())
    if (driver.name == options.driver) return driver.open(resource, limits, options);
  std::string known;
  for (const auto& driver : supplyDrivers()) known += (known.empty() ? "" : ", ") + std::string(driver.name);
  return fail(ErrorCode::Unsupported, resource + ": unknown supply driver \"" + options.driver + "\" (" + known + ")");
}

std::unique_ptr<Link> makeLink(const VisaResource& resource, int baud, Millis connectTimeout) {
  if (resource.kind == VisaResource::Kind::Serial) {
    if (isPseudoTerminal(resource.device)) return std::make_unique<TtyLink>(resource.device, baud);
    return std::make_unique<SerialLink>(resource.device, baud);
  }
  return std::make_unique<TcpLink>(resource.host, resource.port, connectTimeout);
}

std::span<const UsbInstrument> usbInstruments() { return kUsbInstruments; }

const UsbInstrument* usbInstrument(int vendorId, int productId) {
  for (const auto& i : kUsbInstruments)
    if (i.vendorId == vendorId && i.productId == productId) return &i;
  return nullptr;
}

std::span<const FlasherKind> flasherKinds() { return kFlashers; }

Result<std::unique_ptr<Flasher>> makeFlasher(std::string_view kind, const OpenOcdConfig& config) {
  std::string known;
  for (const auto& f : kFlashers) {
    if (f.name == kind) return f.make(config);
    known += (known.empty() ? "" : ", ") + std::string(f.name);
  }
  return fail(ErrorCode::Unsupported, "unknown flasher \"" + std::string(kind) + "\" (" + known + ")");
}

std::span<const HarvesterMode> harvesterModes() { return kHarvesterModes; }

Result<const HarvesterMode*> harvesterMode(std::string_view name) {
  for (const auto& m : kHarvesterModes)
    if (m.name == name) return &m;
  std::string known;
  for (const auto& m : kHarvesterModes) known += (known.empty() ? "" : ", ") + std::string(m.name);
  return fail(ErrorCode::Unsupported, "unknown harvester mode \"" + std::string(name) + "\" (" + known + ")");
}

std::span<const MeterDriver> meterDrivers() { return kMeters; }

Result<std::unique_ptr<Meter>> openMeter(std::string_view driver, const std::string& resource, const SafetyLimits& limits) {
  for (const auto& m : kMeters)
    if (m.name == driver) return m.open(resource, limits);
  std::string known;
  for (const auto& m : kMeters) known += (known.empty() ? "" : ", ") + std::string(m.name);
  return fail(ErrorCode::Unsupported, resource + ": unknown meter driver \"" + std::string(driver) + "\" (" + known + ")");
}

}  // namespace aidi::inst
