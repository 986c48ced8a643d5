// `aidi`: the command-line face of the bench. Parsing and printing only; the
// work is done by bench-app/core.
//
// Exit codes: 0 success, 1 the work failed (message on stderr), 2 bad usage,
// 130 interrupted by the user.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <fstream>
#include <iostream>
#include <filesystem>
#include <string>
#include <thread>

#include "campaign_commands.hpp"
#include "aidi/core/bench_file.hpp"
#include "aidi/core/board_profile.hpp"
#include "aidi/core/boot_demo.hpp"
#include "aidi/core/capture_decoder.hpp"
#include "aidi/core/frame_json.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/policies.hpp"
#include "aidi/core/crash_test.hpp"
#include "aidi/core/psu_control.hpp"
#include "aidi/core/simulation.hpp"
#include "aidi/core/database_admin.hpp"
#include "aidi/core/instruments.hpp"
#include "aidi/core/interrupt.hpp"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

std::filesystem::path defaultDatabase() {
  if (const char* env = std::getenv("AIDI_DB"); env && *env) return env;
  return "aidi.db";
}

// Numbers from users are finite and in range. CLI11's PositiveNumber lets
// NaN through (NaN <= 0 is false) and accepts inf, so every number option
// uses this instead.
CLI::Validator finiteNumber(double low, bool lowInclusive, double high = std::numeric_limits<double>::max()) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double v = 0;
        try {
          std::size_t used = 0;
          v = std::stod(text, &used);
          if (used != text.size()) return "\"" + text + "\" is not a number";
        } catch (const std::exception&) {
          return "\"" + text + "\" is not a number";
        }
        if (!std::isfinite(v)) return "must be a finite number, not " + text;
        if (lowInclusive ? !(v >= low) : !(v > low))
          return "must be " + std::string(lowInclusive ? "at least " : "above ") + fmt::format("{}", low) + ", not " + text;
        if (!(v <= high)) return fmt::format("must be at most {}, not {}", high, text);
        return {};
      },
      lowInclusive ? fmt::format("NUMBER >= {}", low) : fmt::format("NUMBER > {}", low));
}

int reportError(const aidi::Error& error) {
  fmt::print(stderr, "aidi: error: {}\n", error.message);
  return error.code == aidi::ErrorCode::Cancelled ? kExitInterrupted : kExitFailure;
}

int runDemo(const aidi::core::BootDemoOptions& options, bool json) {
  if (!json) {
    fmt::print("AIDI Bench demo: virtual board {} running {}\n", options.board.machine,
               options.board.firmware.string());
  }
  auto hellos = aidi::core::runBootDemo(options, [json](const aidi::core::DeviceHello& h) {
    if (json) {
      nlohmann::json line{{"event", "hello"}, {"boot", h.boot},     {"build", h.build},
                          {"target", h.target}, {"version", h.version}, {"sram_cold", h.sramCold}};
      fmt::print("{}\n", line.dump());
    } else {
      fmt::print("  boot {}: firmware {} build {} on {}, SRAM {}\n", h.boot, h.version, h.build, h.target,
                 h.sramCold ? "cold" : "WARM");
    }
    std::fflush(stdout);
  });
  if (!hellos) return reportError(hellos.error());
  for (const auto& h : *hellos) {
    if (!h.sramCold) {
      fmt::print(stderr, "aidi: error: SRAM survived a reset on boot {} (the cold-SRAM loader is not working)\n", h.boot);
      return kExitFailure;
    }
  }
  if (!json) fmt::print("NVM kept the boot counter across {} resets; QEMU has quit.\n", hellos->size() - 1);
  return 0;
}

int runDecode(const std::string& source) {
  auto counters = aidi::core::decodeCapture(source, [](const aidi::proto::Frame& frame) {
    fmt::print("{}\n", aidi::core::frameToJson(frame).dump());
  });
  if (!counters) return reportError(counters.error());
  fmt::print("{}\n", nlohmann::ordered_json{{"counters", aidi::core::countersToJson(*counters)}}.dump());
  return aidi::core::interruptRequested() ? kExitInterrupted : 0;
}

struct DbOptions {
  std::filesystem::path path = defaultDatabase();
  std::vector<std::string> tables;
  std::optional<std::int64_t> campaign;
  std::string format = "csv";
  std::filesystem::path out = ".";
};

int runDbMigrate(const DbOptions& o) {
  auto state = aidi::core::migrateDatabase(o.path);
  if (!state) return reportError(state.error());
  fmt::print("{}: schema version {} (latest {})\n", o.path.string(), state->version, state->latest);
  return 0;
}

int runDbCheck(const DbOptions& o) {
  auto report = aidi::core::checkDatabase(o.path);
  if (!report) return reportError(report.error());
  fmt::print("{}: schema version {}, integrity {}\n", o.path.string(), report->version, report->result);
  return report->ok() ? 0 : kExitFailure;
}

int runDbVacuum(const DbOptions& o) {
  if (auto ok = aidi::core::vacuumDatabase(o.path); !ok) return reportError(ok.error());
  fmt::print("{}: vacuumed\n", o.path.string());
  return 0;
}

int runDbExport(const DbOptions& o) {
  if (o.format != "csv" && o.format != "json") {
    fmt::print(stderr, "aidi: error: --format must be csv or json, not \"{}\"\n", o.format);
    return kExitUsage;
  }
  const auto format = o.format == "csv" ? aidi::core::ExportFormat::Csv : aidi::core::ExportFormat::Json;
  const auto tables = o.tables.empty() ? aidi::core::exportableTables() : o.tables;
  const bool toStdout = o.out == "-";
  if (toStdout && tables.size() != 1) {
    fmt::print(stderr, "aidi: error: --out - needs exactly one --table\n");
    return kExitUsage;
  }
  std::error_code ec;
  if (!toStdout) std::filesystem::create_directories(o.out, ec);
  for (const auto& table : tables) {
    if (toStdout) {
      if (auto ok = aidi::core::exportTable(o.path, table, o.campaign, format, std::cout); !ok)
        return reportError(ok.error());
      continue;
    }
    const auto file = o.out / (table + "." + o.format);
    std::ofstream out(file, std::ios::binary);
    if (!out) {
      fmt::print(stderr, "aidi: error: cannot write {}\n", file.string());
      return kExitFailure;
    }
    if (auto ok = aidi::core::exportTable(o.path, table, o.campaign, format, out); !ok) return reportError(ok.error());
    fmt::print("{}\n", file.string());
  }
  return 0;
}

int runModels(const std::filesystem::path& directory, bool json) {
  auto models = aidi::core::listModels(directory);
  if (!models) return reportError(models.error());
  if (json) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& m : *models)
      out.push_back({{"name", m.name}, {"params", m.params}, {"macs", m.macs}, {"peak_sram_bytes", m.peakSramBytes},
                     {"flash_bytes", m.modelBytes}, {"weight_bytes", m.weightBytes},
                     {"float_accuracy", m.floatAccuracy}, {"int8_accuracy", m.int8Accuracy}});
    fmt::print("{}\n", out.dump(1));
    return 0;
  }
  fmt::print("{:<12} {:>8} {:>11} {:>10} {:>10} {:>9} {:>9}\n", "model", "params", "MACs", "peak SRAM", "flash",
             "float", "int8");
  for (const auto& m : *models)
    fmt::print("{:<12} {:>8} {:>11} {:>8} B {:>8} B {:>8.2f}% {:>8.2f}%\n", m.name, m.params, m.macs, m.peakSramBytes,
               m.modelBytes, 100 * m.floatAccuracy, 100 * m.int8Accuracy);
  return 0;
}

int runVirtualPsu(const std::string& model, std::uint16_t port, double loadOhms) {
  if (model != "dp832") {
    fmt::print(stderr, "aidi: error: unknown virtual PSU model \"{}\" (known: dp832)\n", model);
    return kExitUsage;
  }
  aidi::core::ScpiPsuSimulatorOptions options;
  options.port = port;
  options.loadOhms = loadOhms;
  auto psu = aidi::core::ScpiPsuSimulator::start(options);
  if (!psu) return reportError(psu.error());
  fmt::print("virtual {} listening on 127.0.0.1:{} (resource TCPIP0::127.0.0.1::{}::SOCKET); Ctrl-C stops it\n",
             aidi::core::ScpiPsuSimulator::kIdentity, (*psu)->port(), (*psu)->port());
  std::fflush(stdout);
  while (!aidi::core::interruptRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  fmt::print("virtual PSU stopped after {} commands\n", (*psu)->commandsReceived());
  return 0;
}

int runCrashTest(const std::filesystem::path& zoo, const std::string& model, const std::string& policy,
                 std::size_t sample, bool json) {
  auto results = aidi::core::runCrashTest(zoo, model, policy, sample);
  if (!results) return reportError(results.error());
  bool diverged = false;
  for (const auto& r : *results) {
    diverged |= r.divergences > 0;
    if (json) {
      fmt::print("{}\n", nlohmann::ordered_json{{"model", model}, {"policy", r.policy}, {"sample", sample},
                                               {"jobs", r.jobs}, {"failure_points", r.failurePoints},
                                               {"divergences", r.divergences}, {"first_divergence", r.firstDivergence},
                                               {"seconds", r.seconds}}.dump());
    } else {
      fmt::print("{} {:<10} {:>5} jobs {:>7} failure points {:>3} divergences{} ({:.2f} s)\n", model, r.policy, r.jobs,
                 r.failurePoints, r.divergences,
                 r.divergences ? fmt::format(", first at NVM write {}", r.firstDivergence) : "", r.seconds);
    }
  }
  return diverged ? kExitFailure : 0;
}

struct SimOptions {
  std::string model = "inas-tiny", policy = "aidi", trace, board = aidi::core::kDefaultBoard;
  double constantWatts = 0, capacitanceUf = 100;
  std::size_t sample = 0;
  bool json = false;
};

int runSim(const std::filesystem::path& zoo, const SimOptions& o) {
  aidi::core::SimulationRequest request;
  request.modelDirectory = zoo / o.model;
  request.subset = aidi::core::subsetFileFor(zoo);
  request.sample = o.sample;
  request.policy = o.policy;
  auto board = aidi::core::findBoardProfile(o.board);
  if (!board) return reportError(board.error());
  request.board = *board;
  request.storage = board->storage(o.capacitanceUf * 1e-6);
  if (!o.trace.empty()) {
    auto trace = aidi::core::HarvestTrace::load(o.trace);
    if (!trace) return reportError(trace.error());
    request.trace = *trace;
  } else {
    request.trace = aidi::core::HarvestTrace::constant(o.constantWatts);
  }
  auto r = aidi::core::simulate(request);
  if (!r) return reportError(r.error());
  const double ratio = r->energyBoundS > 0 ? r->latencyS / r->energyBoundS : 0;
  double sleepS = 0, chargeS = 0, activeS = 0;
  std::uint64_t sleeps = 0;
  for (const auto& c : r->cycles) sleepS += c.sleepS, sleeps += c.sleeps, chargeS += c.offS, activeS += c.onS;
  const double cyclesPerWallS = static_cast<double>(r->cycles.size()) / r->wallS;
  if (o.json) {
    fmt::print("{}\n", nlohmann::ordered_json{{"model", o.model}, {"policy", o.policy}, {"sample", o.sample},
                                             {"label", r->label}, {"predicted", r->predicted},
                                             {"finished", r->finished}, {"failure", r->failure},
                                             {"power_cycles", r->cycles.size()}, {"checkpoints", r->checkpoints()},
                                             {"device_instructions", r->deviceInstructions},
                                             {"plain_instructions", r->plainInstructions},
                                             {"latency_s", r->latencyS}, {"energy_bound_s", r->energyBoundS},
                                             {"latency_ratio", ratio}, {"charging_s", chargeS},
                                             {"active_s", activeS}, {"asleep_s", sleepS}, {"sleeps", sleeps},
                                             {"wall_s", r->wallS},
                                             {"power_cycles_per_wall_s", cyclesPerWallS}}.dump());
  } else if (r->finished) {
    fmt::print("{} / {} / {} / {:.0f} uF, sample {} (label {}): predicted {}\n", o.model, o.policy,
               o.trace.empty() ? fmt::format("{} W", o.constantWatts) : o.trace, o.capacitanceUf, o.sample, r->label,
               r->predicted);
    fmt::print("  {} power cycles, {} checkpoints, {} device instructions ({} for the plain inference)\n",
               r->cycles.size(), r->checkpoints(), r->deviceInstructions, r->plainInstructions);
    fmt::print("  latency {:.4f} s simulated, energy-bound limit {:.4f} s, ratio {:.3f}\n", r->latencyS,
               r->energyBoundS, ratio);
    fmt::print("  {:.4f} s charging while off, {:.4f} s active, {:.4f} s asleep waiting for energy ({} sleeps)\n",
               chargeS, activeS, sleepS, sleeps);
    fmt::print("  wall {:.2f} s, {:.0f} power cycles per wall second\n", r->wallS, cyclesPerWallS);
  } else {
    fmt::print("{} / {}: did not finish: {}\n", o.model, o.policy, r->failure);
  }
  return r->finished ? 0 : kExitFailure;
}

int runPsu(const aidi::core::PsuRequest& request, bool json) {
  auto report = aidi::core::controlPowerSupply(request);
  if (!report) return reportError(report.error());
  const auto& id = report->identity;
  if (json) {
    nlohmann::ordered_json out{{"resource", request.resource}, {"vendor", id.vendor}, {"model", id.model},
                               {"serial", id.serial}, {"firmware", id.firmware}, {"family", id.family},
                               {"channel", request.channel},
                               {"max_voltage", request.limits.maxVolts}, {"max_current", request.limits.maxAmps}};
    if (report->reading) out["measured"] = {{"volts", report->reading->volts}, {"amps", report->reading->amps}};
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("{} {} (serial {}, firmware {}; dialect {}); limits {} V, {} A\n", id.vendor, id.model, id.serial,
               id.firmware, id.family, request.limits.maxVolts, request.limits.maxAmps);
    if (report->reading)
      fmt::print("channel {}: {:.4f} V, {:.4f} A\n", request.channel, report->reading->volts, report->reading->amps);
  }
  return 0;
}

int runPorts(bool json) {
  auto ports = aidi::core::listSerialPorts();
  if (!ports) return reportError(ports.error());
  if (json) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& p : *ports) {
      nlohmann::ordered_json entry{{"name", p.name}, {"description", p.description}, {"transport", p.transport}};
      if (p.usbVid >= 0) entry["usb"] = {{"vid", fmt::format("{:04x}", p.usbVid)}, {"pid", fmt::format("{:04x}", p.usbPid)},
                                         {"serial", p.serialNumber}};
      out.push_back(entry);
    }
    fmt::print("{}\n", out.dump());
    return 0;
  }
  if (ports->empty()) fmt::print("no serial ports found\n");
  for (const auto& p : *ports) {
    fmt::print("{:<16} {:<8} {}", p.name, p.transport, p.description);
    if (p.usbVid >= 0) fmt::print(" [USB {:04x}:{:04x}{}]", p.usbVid, p.usbPid, p.serialNumber.empty() ? "" : " S/N " + p.serialNumber);
    fmt::print("\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  aidi::core::installInterruptHandlers();

  CLI::App app{"aidi: AIDI Bench, hardware-in-the-loop bench for intermittent deep inference"};
  app.require_subcommand(1);
  app.set_version_flag("--version", AIDI_VERSION);

  auto* version = app.add_subcommand("version", "Print the version of aidi");

  aidi::core::BootDemoOptions demo;
  demo.board.firmware = aidi::core::defaultHelloFirmware();
  demo.board.qemuProgram = aidi::core::defaultQemuProgram();
  bool demoJson = false;
  auto* demoCmd = app.add_subcommand("demo", "Boot the virtual board, reset it, show the NVM boot counter");
  demoCmd->add_option("--firmware", demo.board.firmware, "Firmware ELF for the virtual board")
      ->capture_default_str();
  demoCmd->add_option("--qemu", demo.board.qemuProgram, "QEMU program (or set AIDI_QEMU)")->capture_default_str();
  demoCmd->add_option("--port", demo.board.serialPort, "Loopback TCP port for the board's UART (0: any free)")
      ->capture_default_str();
  demoCmd->add_option("--boots", demo.boots, "Boots to observe (first boot + resets)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  demoCmd->add_flag("--json", demoJson, "One JSON object per line");

  std::string decodeSource;
  auto* decodeCmd = app.add_subcommand(
      "decode", "Decode a raw telemetry capture: one JSON line per frame, then the decoder's counters");
  decodeCmd->add_option("CAPTURE", decodeSource, "A capture file, - for standard input, or tcp:HOST:PORT")
      ->required();

  DbOptions dbOptions;
  auto* dbCmd = app.add_subcommand("db", "Manage a run database")->require_subcommand(1);
  auto* dbMigrate = dbCmd->add_subcommand("migrate", "Apply pending schema migrations");
  auto* dbCheck = dbCmd->add_subcommand("check", "Run SQLite's integrity check; exit 1 unless ok");
  auto* dbVacuum = dbCmd->add_subcommand("vacuum", "Rebuild the file to reclaim space");
  auto* dbExport = dbCmd->add_subcommand("export", "Export tables as CSV or JSON");
  for (auto* sub : {dbMigrate, dbCheck, dbVacuum, dbExport})
    sub->add_option("--db", dbOptions.path, "Database file (or set AIDI_DB)")->capture_default_str();
  dbExport->add_option("--table", dbOptions.tables, "Table to export (repeatable; default all)")
      ->check(CLI::IsMember(aidi::core::exportableTables()));
  dbExport->add_option("--campaign", dbOptions.campaign, "Only this campaign's rows");
  dbExport->add_option("--format", dbOptions.format, "csv or json")->capture_default_str();
  dbExport->add_option("--out", dbOptions.out, "Directory for TABLE.FORMAT files, or - for stdout")
      ->capture_default_str();

  std::filesystem::path modelsDir = aidi::core::defaultModelDirectory();
  bool modelsJson = false;
  auto* modelsCmd = app.add_subcommand("models", "List the model zoo: params, MACs, peak SRAM, flash, accuracy");
  modelsCmd->add_option("--dir", modelsDir, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  modelsCmd->add_flag("--json", modelsJson, "JSON output");

  std::string psuModel = "dp832";
  std::uint16_t psuPort = 0;
  double psuLoad = 100.0;
  auto* virtualPsuCmd = app.add_subcommand("virtual-psu", "Run a simulated SCPI power supply on 127.0.0.1");
  virtualPsuCmd->add_option("--model", psuModel, "Supply model to behave as")->capture_default_str();
  virtualPsuCmd->add_option("--port", psuPort, "TCP port (0: any free one, printed)")->capture_default_str();
  virtualPsuCmd->add_option("--load", psuLoad, "Resistive load on each output, ohms")
      ->check(finiteNumber(0, false, 1e9))
      ->capture_default_str();

  std::string crashModel, crashPolicy = "all";
  std::size_t crashSample = 0;
  bool crashJson = false;
  auto* crashCmd = app.add_subcommand(
      "crashtest", "Inject a power failure at every NVM write of an inference (host target); exit 1 on any divergence");
  crashCmd->add_option("--model", crashModel, "Model of the zoo")->required();
  auto crashChoices = aidi::core::policyNames();
  crashChoices.push_back("all");
  crashCmd->add_option("--policy", crashPolicy, aidi::core::policyList() + " or all")
      ->check(CLI::IsMember(crashChoices))
      ->capture_default_str();
  crashCmd->add_option("--sample", crashSample, "Image of the fixture subset")->capture_default_str();
  crashCmd->add_option("--dir", modelsDir, "Model zoo directory")->capture_default_str();
  crashCmd->add_flag("--json", crashJson, "One JSON object per policy");

  SimOptions sim;
  auto* simCmd = app.add_subcommand("sim", "One inference on the virtual board under a harvest condition");
  simCmd->add_option("--model", sim.model, "Model of the zoo")->capture_default_str();
  simCmd->add_option("--policy", sim.policy, "Scheduling policy: " + aidi::core::policyList())
      ->check(CLI::IsMember(aidi::core::policyNames()))
      ->capture_default_str();
  auto* traceOption = simCmd->add_option("--trace", sim.trace, "Harvest trace (CSV time_s,power_w)");
  simCmd->add_option("--constant", sim.constantWatts, "Constant harvested power, W (instead of a trace)")
      ->check(finiteNumber(0, true, 100))
      ->excludes(traceOption);
  simCmd->add_option("--cap", sim.capacitanceUf, "Storage capacitor, uF")
      ->check(finiteNumber(0, false, 1e7))
      ->capture_default_str();
  simCmd->add_option("--sample", sim.sample, "Image of the fixture subset")->capture_default_str();
  simCmd->add_option("--board", sim.board, "Board profile the virtual board stands for (boards/NAME.toml)")
      ->capture_default_str();
  simCmd->add_option("--dir", modelsDir, "Model zoo directory")->capture_default_str();
  simCmd->add_flag("--json", sim.json, "JSON output");

  aidi::core::PsuRequest psu;
  bool psuJson = false;
  std::string psuOutput;
  auto* psuCmd = app.add_subcommand("psu", "Manual control of a power supply, within safety limits");
  psuCmd->add_option("--resource", psu.resource, "VISA resource, e.g. TCPIP0::192.0.2.7::5025::SOCKET")->required();
  psuCmd->add_option("--channel", psu.channel, "Channel")->capture_default_str();
  psuCmd->add_option("--driver", psu.family, "SCPI family instead of the *IDN? table (rigol-dp800, keysight-e36300, siglent-spd3303x)");
  psuCmd->add_option("--voltage", psu.volts, "Set voltage, V")->check(finiteNumber(0, true));
  psuCmd->add_option("--current-limit", psu.amps, "Set current limit, A")->check(finiteNumber(0, true));
  psuCmd->add_option("--output", psuOutput, "on or off")->check(CLI::IsMember({"on", "off"}));
  psuCmd->add_flag("--measure", psu.measure, "Measure voltage and current");
  psuCmd->add_option("--max-voltage", psu.limits.maxVolts, "Safety limit, V (nothing above is ever sent)")
      ->required()
      ->check(finiteNumber(0, false, 60));
  psuCmd->add_option("--max-current", psu.limits.maxAmps, "Safety limit, A")
      ->required()
      ->check(finiteNumber(0, false, 10));
  psuCmd->add_flag("--json", psuJson, "JSON output");

  aidi::cli::CampaignOptions campaign;
  campaign.database = defaultDatabase();
  campaign.modelZoo = aidi::core::defaultModelDirectory();
  std::filesystem::path campaignFile;
  auto* runCmd = app.add_subcommand("run", "Run a campaign file on the virtual bench, record it, write the HTML report");
  runCmd->add_option("CAMPAIGN", campaignFile, "Campaign file (TOML, see fixtures/campaigns/README.md)")->required();
  runCmd->add_option("--report", campaign.reportPath, "HTML report to write (default: next to the database)");
  std::string resumeWhich;
  auto* resumeCmd = app.add_subcommand("resume", "Continue unfinished campaigns (a killed run is re-run from scratch)");
  resumeCmd->add_option("CAMPAIGN", resumeWhich, "Campaign id or name (default: every unfinished one)");
  resumeCmd->add_option("--report", campaign.reportPath, "HTML report to write (default: next to the database)");
  auto* listCmd = app.add_subcommand("list", "List the campaigns of a database and their progress");
  std::string reportWhich, reportFormat = "html";
  std::filesystem::path reportOut = "-";
  auto* reportCmd = app.add_subcommand("report", "Write a campaign's latency/accuracy report");
  reportCmd->add_option("TARGET", reportWhich, "Campaign id or name, or run:ID for that run's timeline")->required();
  reportCmd->add_option("--format", reportFormat, "html, csv or json")
      ->check(CLI::IsMember({"html", "csv", "json"}))
      ->capture_default_str();
  reportCmd->add_option("--out", reportOut, "Output file, or - for stdout")->capture_default_str();
  std::filesystem::path reportPlots;
  reportCmd->add_option("--plots", reportPlots, "Also write each plot as DIR/NAME.svg");
  for (auto* sub : {runCmd, resumeCmd, listCmd, reportCmd}) {
    sub->add_option("--db", campaign.database, "Run database (or set AIDI_DB)")->capture_default_str();
    sub->add_option("--dir", campaign.modelZoo, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  }
  for (auto* sub : {runCmd, resumeCmd, listCmd}) sub->add_flag("--json", campaign.json, "JSON lines for scripts");

  std::filesystem::path flashBench, flashElf;
  std::string flashModel = "mcunet-s", flashPolicy = "aidi";
  auto* flashCmd = app.add_subcommand("flash", "Program a real board through the bench's flasher (OpenOCD), verify, reset");
  flashCmd->add_option("--bench", flashBench, "Bench file (TOML, see fixtures/benches/README.md)")->required();
  flashCmd->add_option("--model", flashModel, "Model of the firmware image")->capture_default_str();
  flashCmd->add_option("--policy", flashPolicy, "Policy of the firmware image: " + aidi::core::policyList())
      ->check(CLI::IsMember(aidi::core::policyNames()))
      ->capture_default_str();
  flashCmd->add_option("--elf", flashElf, "Firmware image to program instead of the built one");

  std::filesystem::path probeBenchFile;
  std::string probePsu;
  bool probeJson = false;
  auto* instrumentsCmd = app.add_subcommand("instruments", "The instruments of a bench")->require_subcommand(1);
  auto* probeCmd = instrumentsCmd->add_subcommand(
      "probe", "Identify a bench's supply (*IDN?, nothing is switched) and try its link; exit 1 naming what failed");
  auto* probeBenchOption = probeCmd->add_option("BENCH", probeBenchFile, "Bench file (TOML)");
  probeCmd->add_option("--psu", probePsu, "Or just a supply's VISA resource")->excludes(probeBenchOption);
  probeCmd->add_flag("--json", probeJson, "JSON output");

  bool portsJson = false;
  auto* portsCmd = app.add_subcommand("ports", "List serial ports with USB vendor/product ids and descriptions");
  portsCmd->add_flag("--json", portsJson, "JSON output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }

  if (*version) {
    fmt::print("aidi {}\n", AIDI_VERSION);
    return 0;
  }
  if (*demoCmd) return runDemo(demo, demoJson);
  if (*decodeCmd) return runDecode(decodeSource);
  if (*modelsCmd) return runModels(modelsDir, modelsJson);
  if (*simCmd) return runSim(modelsDir, sim);
  if (*portsCmd) return runPorts(portsJson);
  if (*probeCmd) {
    aidi::Result<aidi::core::BenchFile> bench = aidi::core::BenchFile{};
    if (!probePsu.empty()) {
      auto resource = aidi::core::parseVisaResource(probePsu);
      if (!resource) return reportError(resource.error());
      bench->name = "--psu";
      bench->target = "-";
      bench->supply = aidi::core::BenchSupply{*resource, 1, ""};
    } else if (!probeBenchFile.empty()) {
      bench = aidi::core::loadBenchFile(probeBenchFile);
    } else {
      fmt::print(stderr, "aidi: error: name a bench file or --psu RESOURCE\n");
      return kExitUsage;
    }
    if (!bench) return reportError(bench.error());
    const auto probe = aidi::core::probeBench(*bench);
    const bool ok = probe.supplyError.empty() && (probe.linkState.empty() || probe.linkOk);
    if (probeJson) {
      nlohmann::ordered_json out{{"bench", bench->name}, {"ok", ok}};
      if (probe.supply)
        out["supply"] = {{"vendor", probe.supply->vendor}, {"model", probe.supply->model},
                         {"serial", probe.supply->serial}, {"firmware", probe.supply->firmware},
                         {"family", probe.supply->family}};
      if (!probe.supplyError.empty()) out["supply_error"] = probe.supplyError;
      if (!probe.linkState.empty()) out["link"] = {{"ok", probe.linkOk}, {"state", probe.linkState}};
      fmt::print("{}\n", out.dump());
    } else {
      fmt::print("bench {} ({}), limits {} V, {} A\n", bench->name, bench->target, bench->limits.maxVolts,
                 bench->limits.maxAmps);
      if (probe.supply)
        fmt::print("  supply: {} {} (serial {}, firmware {}; dialect {})\n", probe.supply->vendor, probe.supply->model,
                   probe.supply->serial, probe.supply->firmware, probe.supply->family);
      if (!probe.supplyError.empty()) fmt::print("  supply: {}\n", probe.supplyError);
      if (!probe.linkState.empty()) fmt::print("  link: {}\n", probe.linkState);
    }
    return ok ? 0 : kExitFailure;
  }
  if (*flashCmd) {
    auto bench = aidi::core::loadBenchFile(flashBench);
    if (!bench) return reportError(bench.error());
    const auto elf = flashElf.empty() ? aidi::core::benchFirmware(*bench, flashModel, flashPolicy) : flashElf;
    fmt::print(stderr, "Programming {} on bench {} ...\n", elf.string(), bench->name);
    if (auto ok = aidi::core::flashBench(*bench, elf); !ok) return reportError(ok.error());
    fmt::print("Programmed, verified and reset: {}\n", elf.filename().string());
    return 0;
  }
  if (*runCmd) return aidi::cli::runCampaignFile(campaignFile, campaign);
  if (*resumeCmd) return aidi::cli::resumeCampaigns(resumeWhich, campaign);
  if (*listCmd) return aidi::cli::listCampaigns(campaign);
  if (*reportCmd) return aidi::cli::reportCampaign(reportWhich, reportFormat, reportOut, reportPlots, campaign);
  if (*psuCmd) {
    if (!psuOutput.empty()) psu.output = psuOutput == "on";
    return runPsu(psu, psuJson);
  }
  if (*crashCmd) return runCrashTest(modelsDir, crashModel, crashPolicy, crashSample, crashJson);
  if (*virtualPsuCmd) return runVirtualPsu(psuModel, psuPort, psuLoad);
  if (*dbMigrate) return runDbMigrate(dbOptions);
  if (*dbCheck) return runDbCheck(dbOptions);
  if (*dbVacuum) return runDbVacuum(dbOptions);
  if (*dbExport) return runDbExport(dbOptions);
  return kExitUsage;
}
