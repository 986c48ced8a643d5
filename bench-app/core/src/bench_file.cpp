#include "aidi/core/bench_file.hpp"

#include <chrono>
#include <set>
#include <thread>
#include <tuple>


#include "aidi/core/boot_demo.hpp"
#include "toml_file.hpp"
#include "aidi/core/psu_control.hpp"
#include "aidi/core/board_profile.hpp"
#include "aidi/inst/registry.hpp"

namespace aidi::core {
namespace {


using Where = TomlFile;

inst::Result<inst::VisaResource> resource(const Where& w, const toml::table& t, const std::string& section) {
  const toml::node* node = t.get("resource");
  const auto text = node ? node->value<std::string>() : std::nullopt;
  if (!text) return w.error(node ? node : &t, section + ".resource", "needs a VISA resource string");
  auto parsed = inst::parseVisaResource(*text);
  if (!parsed) return w.error(node, section + ".resource", parsed.error().message);
  return *parsed;
}

// Whether `name` names a row of a registry table (supply drivers, meter
// drivers, flasher kinds), and the rows' names for the error that says not.
template <class Rows>
std::pair<bool, std::string> findRow(const Rows& rows, std::string_view name) {
  std::pair<bool, std::string> found{false, ""};
  for (const auto& row : rows) {
    found.first |= row.name == name;
    found.second += (found.second.empty() ? "" : ", ") + std::string(row.name);
  }
  return found;
}

}  // namespace

inst::Result<BenchFile> loadBenchFile(const std::filesystem::path& path) {
  auto text = readTextFile(path, "bench file");
  if (!text) return std::unexpected(text.error());
  return parseBenchFile(*text, path);
}

inst::Result<BenchFile> parseBenchFile(const std::string& text, const std::filesystem::path& path) {
  const Where w{path.string()};
  auto parsed = parseToml(text, path);
  if (!parsed) return std::unexpected(parsed.error());
  const toml::table& root = *parsed;
  if (auto ok = w.onlyKeys(root, "", {"bench", "limits", "supply", "link", "harvester", "meter", "flasher"}); !ok)
    return std::unexpected(ok.error());
  BenchFile b;
  b.path = path;

  const toml::table* bench = root["bench"].as_table();
  if (!bench) return w.error(&root, "[bench]", "missing section");
  if (auto ok = w.onlyKeys(*bench, "bench.", {"name", "target", "description"}); !ok) return std::unexpected(ok.error());
  auto name = w.text(*bench, "name", "bench.name", "");
  if (!name) return std::unexpected(name.error());
  b.name = *name;
  if (b.name.empty()) return w.error(bench, "bench.name", "needs a name");
  auto target = w.text(*bench, "target", "bench.target", "");
  if (!target) return std::unexpected(target.error());
  b.target = *target;
  // The target is a real board's profile (boards/TARGET.toml).
  const toml::node* targetNode = bench->get("target") ? bench->get("target") : bench;
  auto profile = findBoardProfile(b.target);
  if (!profile) return w.error(targetNode, "bench.target", profile.error().message);
  if (profile->target == kDefaultBoard)
    return w.error(targetNode, "bench.target", "\"" + b.target + "\" is the virtual board; a bench file describes real instruments");

  const toml::table* limits = root["limits"].as_table();
  if (!limits) return w.error(&root, "[limits]", "missing section: a bench needs safety limits");
  if (auto ok = w.onlyKeys(*limits, "limits.", {"max_voltage", "max_current"}); !ok) return std::unexpected(ok.error());
  for (const auto& [key, field, ceiling] : {std::tuple<const char*, double*, double>{"max_voltage", &b.limits.maxVolts, 60.0},
                                            {"max_current", &b.limits.maxAmps, 10.0}}) {
    const toml::node* node = limits->get(key);
    const auto v = node ? node->value<double>() : std::nullopt;
    if (!v) return w.error(node ? node : limits, std::string("limits.") + key, "needs a number");
    if (!(*v > 0) || *v > ceiling)
      return w.error(node, std::string("limits.") + key, "must be above 0 and at most " + std::to_string(ceiling));
    *field = *v;
  }

  if (const toml::table* supply = root["supply"].as_table()) {
    if (auto ok = w.onlyKeys(*supply, "supply.", {"resource", "channel", "driver"}); !ok) return std::unexpected(ok.error());
    BenchSupply s;
    auto r = resource(w, *supply, "supply");
    if (!r) return std::unexpected(r.error());
    s.resource = *r;
    auto channel = w.number<int>(*supply, "channel", "supply.channel", 1, 1, 4);
    if (!channel) return std::unexpected(channel.error());
    s.channel = *channel;
    auto driver = w.text(*supply, "driver", "supply.driver", "");
    if (!driver) return std::unexpected(driver.error());
    s.driver = *driver;
    if (!s.driver.empty()) {
      const auto [found, known] = findRow(inst::supplyDrivers(), s.driver);
      if (!found) return w.error(supply->get("driver"), "supply.driver", "unknown driver \"" + s.driver + "\" (" + known + ")");
    }
    b.supply = s;
  }
  if (const toml::table* link = root["link"].as_table()) {
    if (auto ok = w.onlyKeys(*link, "link.", {"resource", "baud"}); !ok) return std::unexpected(ok.error());
    BenchLink l;
    auto r = resource(w, *link, "link");
    if (!r) return std::unexpected(r.error());
    l.resource = *r;
    auto baud = w.number<int>(*link, "baud", "link.baud", 921600, 1200, 4'000'000);
    if (!baud) return std::unexpected(baud.error());
    l.baud = *baud;
    b.link = l;
  }
  if (const toml::table* harvester = root["harvester"].as_table()) {
    if (auto ok = w.onlyKeys(*harvester, "harvester.", {"mode", "step_s"}); !ok) return std::unexpected(ok.error());
    auto mode = w.text(*harvester, "mode", "harvester.mode", b.harvest.mode);
    if (!mode) return std::unexpected(mode.error());
    if (auto known = inst::harvesterMode(*mode); !known)
      return w.error(harvester->get("mode"), "harvester.mode", known.error().message);
    b.harvest.mode = *mode;
    auto step = w.number<double>(*harvester, "step_s", "harvester.step_s", 0.0, 1e-3, 10.0);
    if (!step) return std::unexpected(step.error());
    b.harvest.stepS = *step;
    if (!b.supply) return w.error(harvester, "[harvester]", "needs a [supply] to play the harvest on");
  }
  if (const toml::table* meter = root["meter"].as_table()) {
    if (auto ok = w.onlyKeys(*meter, "meter.", {"resource", "driver"}); !ok) return std::unexpected(ok.error());
    BenchMeter m;
    auto r = resource(w, *meter, "meter");
    if (!r) return std::unexpected(r.error());
    m.resource = *r;
    auto driver = w.text(*meter, "driver", "meter.driver", "");
    if (!driver) return std::unexpected(driver.error());
    const auto [found, known] = findRow(inst::meterDrivers(), *driver);
    if (!found)
      return w.error(meter->get("driver") ? meter->get("driver") : meter, "meter.driver",
                     "needs a meter driver, one of " + known + (driver->empty() ? "" : " (not \"" + *driver + "\")"));
    m.driver = *driver;
    if (b.supply && m.resource.text == b.supply->resource.text && m.driver != "otii")
      return w.error(meter->get("resource"), "meter.resource",
                     "is the supply's own resource; a " + m.driver + " cannot be the supply and a meter at once");
    b.meter = m;
  }
  if (const toml::table* flasher = root["flasher"].as_table()) {
    if (auto ok = w.onlyKeys(*flasher, "flasher.",
                             {"kind", "program", "config", "adapter_serial", "search_dirs", "resource", "remote_image_dir"});
        !ok)
      return std::unexpected(ok.error());
    auto kind = w.text(*flasher, "kind", "flasher.kind", "openocd");
    if (!kind) return std::unexpected(kind.error());
    b.flasherKind = *kind;
    const auto [known, kinds] = findRow(inst::flasherKinds(), b.flasherKind);
    if (!known)
      return w.error(flasher->get("kind"), "flasher.kind", "unknown flasher \"" + b.flasherKind + "\" (" + kinds + ")");
    inst::OpenOcdConfig o;
    auto program = w.text(*flasher, "program", "flasher.program", o.program);
    if (!program) return std::unexpected(program.error());
    o.program = *program;
    auto serial = w.text(*flasher, "adapter_serial", "flasher.adapter_serial", "");
    if (!serial) return std::unexpected(serial.error());
    o.adapterSerial = *serial;
    for (const auto& [key, list] : {std::pair<const char*, std::vector<std::string>*>{"config", &o.configFiles},
                                    {"search_dirs", &o.searchDirs}}) {
      const toml::node* node = flasher->get(key);
      if (!node) continue;
      const toml::array* array = node->as_array();
      if (!array) return w.error(node, std::string("flasher.") + key, "needs a list of strings");
      list->clear();
      for (const auto& item : *array) {
        const auto s = item.value<std::string>();
        if (!s) return w.error(&item, std::string("flasher.") + key, "every entry must be a string");
        list->push_back(*s);
      }
    }
    if (o.configFiles.empty()) return w.error(flasher->get("config"), "flasher.config", "needs at least one file");
    // openocd-tcl: the OpenOCD on the probe's host, and where it sees the images.
    auto tcl = w.text(*flasher, "resource", "flasher.resource", "");
    if (!tcl) return std::unexpected(tcl.error());
    if (!tcl->empty()) {
      auto resource = inst::parseVisaResource(*tcl);
      if (!resource || resource->kind != inst::VisaResource::Kind::TcpSocket)
        return w.error(flasher->get("resource"), "flasher.resource",
                       resource ? "the TCL port is a TCP resource (tcp:HOST:6666)" : resource.error().message);
      o.tclServer = *resource;
    }
    if (b.flasherKind == "openocd-tcl" && !o.tclServer)
      return w.error(flasher, "flasher.resource", "openocd-tcl needs the OpenOCD's TCL port (resource = \"tcp:HOST:6666\")");
    auto remote = w.text(*flasher, "remote_image_dir", "flasher.remote_image_dir", "");
    if (!remote) return std::unexpected(remote.error());
    o.remoteImageDir = *remote;
    b.flasher = o;
  }
  return b;
}

std::filesystem::path benchFirmware(const BenchFile& bench, const std::string& model, const std::string& policy) {
  return firmwareTargetDir(bench.target) / ("aidi-inference-" + model + "-" + policy + "-" + bench.target + ".elf");
}

}  // namespace aidi::core

namespace aidi::core {

BenchProbe probeBench(const BenchFile& bench) {
  BenchProbe probe;
  if (bench.supply) {
    PsuRequest request;
    request.resource = bench.supply->resource.text;
    request.limits = bench.limits;
    request.channel = bench.supply->channel;
    request.family = bench.supply->driver;
    request.identifyOnly = true;
    auto report = controlPowerSupply(request);  // identifies only: no setting is sent
    if (report) probe.supply = report->identity;
    else probe.supplyError = report.error().message;
  }
  if (bench.meter) {
    // Through the meter's supply driver, opened to identify only.
    auto meter = inst::openPowerSupply(bench.meter->resource.text, bench.limits,
                                       {.driver = bench.meter->driver, .identifyOnly = true});
    auto identity = meter ? (*meter)->identify() : inst::Result<inst::Identity>(std::unexpected(meter.error()));
    if (identity) probe.meter = *identity;
    else probe.meterError = identity.error().message;
  }
  if (bench.link) {
    const auto& r = bench.link->resource;
    if (r.kind == inst::VisaResource::Kind::Serial) {
      std::error_code ec;
      probe.linkOk = std::filesystem::exists(r.device, ec);
      probe.linkState = r.device + (probe.linkOk ? " present" : " not found (is the board plugged in?)");
    } else {
      auto link = inst::makeLink(r, bench.link->baud, inst::Millis{2000});
      auto opened = link->open();
      probe.linkOk = opened.has_value();
      probe.linkState = r.host + ":" + std::to_string(r.port) +
                        (opened ? std::string(" accepts connections") : ": " + opened.error().message);
    }
  }
  return probe;
}

inst::Status flashBench(const BenchFile& bench, const std::filesystem::path& elf, double deviceVolts,
                        inst::PowerSupply* supply) {
  if (!bench.flasher)
    return inst::fail(inst::ErrorCode::Unsupported, bench.path.string() + ": [flasher]: the bench has no flasher");
  if (std::error_code ec; !std::filesystem::is_regular_file(elf, ec))
    return inst::fail(inst::ErrorCode::NotFound, "firmware image not found: " + elf.string() +
                                                     " (built by `make` for every model and policy)");
  // Powered by the bench's supply, the board stays halted after flashing
  // until the supply cuts it: a run begins from its first power-on.
  inst::OpenOcdConfig config = *bench.flasher;
  config.runAfterProgram = !bench.supply;
  auto flasher = inst::makeFlasher(bench.flasherKind, config);
  if (!flasher) return std::unexpected(flasher.error());
  if (!bench.supply) return (*flasher)->program(elf);  // powered some other way (USB)
  std::unique_ptr<inst::PowerSupply> opened;
  if (!supply) {
    auto psu = inst::openPowerSupply(bench.supply->resource.text, bench.limits, {.driver = bench.supply->driver});
    if (!psu) return std::unexpected(psu.error());
    opened = std::move(*psu);
    supply = opened.get();
  }
  const int channel = bench.supply->channel;
  const auto powered = [&]() -> inst::Status {
    if (auto ok = supply->setCurrentLimit(channel, bench.limits.maxAmps); !ok) return ok;
    if (auto ok = supply->setVoltage(channel, std::min(deviceVolts, bench.limits.maxVolts)); !ok) return ok;
    if (auto ok = supply->setOutput(channel, true); !ok) return ok;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the rail settles
    return (*flasher)->program(elf);
  };
  auto flashed = powered();
  auto off = supply->setOutput(channel, false);
  if (!flashed) return flashed;
  return off;
}

}  // namespace aidi::core
