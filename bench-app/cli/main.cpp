// `aidi`: the command-line face of the bench. Parsing and printing only; the
// work is done by bench-app/core.
//
// Exit codes: 0 success, 1 the work failed (message on stderr), 2 bad usage,
// 130 interrupted by the user.
#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <fstream>
#include <iostream>
#include <filesystem>
#include <functional>
#include <memory>
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
#include "aidi/core/report.hpp"
#include "aidi/core/simulation.hpp"
#include "aidi/core/database_admin.hpp"
#include "aidi/core/advisor.hpp"
#include "aidi/core/api_server.hpp"
#include "aidi/core/install_layout.hpp"
#include "aidi/core/lab.hpp"
#include "cli_reference.hpp"
#include "lab_commands.hpp"
#include "cli_words.hpp"
#include "exit_codes.hpp"
#include "aidi/core/instruments.hpp"
#include "aidi/core/interrupt.hpp"

namespace {

using aidi::cli::kExitFailure;
using aidi::cli::kExitInterrupted;
using aidi::cli::kExitUsage;
using aidi::cli::reportError;

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


// A comma-separated list of names. An empty list ("--policies ,") would make
// CLI11 take the next option as the list's value; say what happened instead.
CLI::Validator listOfNames() {
  return CLI::Validator(
      [](std::string& item) -> std::string {
        if (item.empty()) return "expects comma-separated names, got an empty one";
        if (item.front() == '-') return "expects comma-separated names, got \"" + item + "\" (an option: was the list empty?)";
        return {};
      },
      "NAME[,NAME...]");
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
  std::filesystem::path path = aidi::core::defaultDatabasePath();
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
    for (const auto& m : *models)
      fmt::print("{}\n", nlohmann::ordered_json{{"name", m.name}, {"params", m.params}, {"macs", m.macs},
                                               {"peak_sram_bytes", m.peakSramBytes}, {"flash_bytes", m.modelBytes},
                                               {"weight_bytes", m.weightBytes}, {"float_accuracy", m.floatAccuracy},
                                               {"int8_accuracy", m.int8Accuracy}}
                                 .dump());
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
  if (model == "ppk2") {
    aidi::core::Ppk2SimulatorOptions options;
    options.loadOhms = loadOhms;
    auto kit = aidi::core::Ppk2Simulator::start(options);
    if (!kit) return reportError(kit.error());
    fmt::print("virtual PPK2 on {} (resource ASRL{}::INSTR, driver ppk2); Ctrl-C stops it\n", (*kit)->devicePath(),
               (*kit)->devicePath());
    std::fflush(stdout);
    while (!aidi::core::interruptRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto state = (*kit)->state();
    fmt::print("virtual PPK2 stopped after {} commands, {} samples sent\n", state.commands, state.samplesSent);
    return 0;
  }
  if (model == "otii") {
    aidi::core::OtiiSimulatorOptions options;
    options.port = port;
    options.loadOhms = loadOhms;
    auto otii = aidi::core::OtiiSimulator::start(options);
    if (!otii) return reportError(otii.error());
    fmt::print("virtual Otii server with one Arc on 127.0.0.1:{} (resource TCPIP0::127.0.0.1::{}::SOCKET, driver otii); "
               "Ctrl-C stops it\n",
               (*otii)->port(), (*otii)->port());
    std::fflush(stdout);
    while (!aidi::core::interruptRequested()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    fmt::print("virtual Otii stopped after {} requests\n", (*otii)->state().requests);
    return 0;
  }
  if (model != "dp832") {
    fmt::print(stderr, "aidi: error: unknown virtual PSU model \"{}\" (known: dp832, ppk2, otii)\n", model);
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
                 std::size_t sample, std::uint32_t seed, bool json) {
  auto results = aidi::core::runCrashTest(zoo, model, policy, sample, seed);
  if (!results) return reportError(results.error());
  bool diverged = false;
  for (const auto& r : *results) {
    diverged |= r.divergences > 0;
    if (json) {
      fmt::print("{}\n", nlohmann::ordered_json{{"model", model}, {"policy", r.policy}, {"sweep", r.sweep},
                                               {"sample", sample}, {"seed", seed},
                                               {"jobs", r.jobs}, {"failure_points", r.failurePoints},
                                               {"divergences", r.divergences}, {"first_divergence", r.firstDivergence},
                                               {"seconds", r.seconds}}.dump());
    } else {
      const char* at = r.sweep == "writes" ? "NVM write" : r.sweep == "steps" ? "energy check" : "sleep";
      fmt::print("{} {:<13} {:<6} {:>5} jobs {:>7} failure points {:>3} divergences{} ({:.2f} s)\n", model, r.policy,
                 r.sweep, r.jobs, r.failurePoints, r.divergences,
                 r.divergences ? fmt::format(", first at {} {}", at, r.firstDivergence) : "", r.seconds);
    }
  }
  return diverged ? kExitFailure : 0;
}

struct SimOptions {
  std::string model = "inas-tiny", policy = "aidi", trace, board = aidi::core::kDefaultBoard;
  double constantWatts = 0, capacitanceUf = 100;
  std::size_t sample = 0;
  std::string sensing = "adc";
  aidi::core::RunWindow window;
  std::optional<double> vStart;
  bool noWrap = false;
  std::optional<double> durationS, periodS, deadlineS;  // continuous operation
  bool json = false;
};

// Continuous operation: a window of requests, its rates and latencies.
int runContinuous(const aidi::core::SimulationRequest& request, const SimOptions& o) {
  auto r = aidi::core::simulateContinuous(request);
  if (!r) return reportError(r.error());
  const auto latency = r->latencyStats();
  const double boundPerDay = r->boundPerDay();
  const double energyUj = r->energyPerInferenceJ() * 1e6;
  const std::uint32_t missed = r->missed(request.continuous->deadlineS);
  const double perWallS = r->wallS > 0 ? r->completions.size() / r->wallS : 0;
  if (o.json) {
    fmt::print("{}\n", nlohmann::ordered_json{{"model", o.model}, {"policy", o.policy}, {"duration_s", r->durationS},
                                             {"period_s", request.continuous->periodS},
                                             {"inferences", r->completions.size()}, {"per_day", r->perDay()},
                                             {"bound_per_day", boundPerDay}, {"dropped", r->dropped},
                                             {"missed", missed}, {"disagreeing", r->disagreeing},
                                             {"latency_median_s", latency.median}, {"latency_p95_s", latency.p95},
                                             {"latency_max_s", latency.max},
                                             {"energy_per_inference_uj", energyUj}, {"dark_s", r->darkS},
                                             {"power_cycles", r->cycles.size()}, {"warnings", aidi::core::warningTexts(r->warnings)},
                                             {"wall_s", r->wallS}, {"inferences_per_wall_s", perWallS}}.dump());
    return r->disagreeing ? kExitFailure : 0;
  }
  fmt::print("{} / {} / {} / {:.0f} uF, continuous for {:g} s from t = {:g} s, requests {}\n", o.model, o.policy,
             o.trace.empty() ? fmt::format("{} W", o.constantWatts) : o.trace, o.capacitanceUf, r->durationS,
             request.window.startS,
             request.continuous->periodS > 0 ? fmt::format("every {:g} s", request.continuous->periodS) : "back to back");
  fmt::print("  {} inferences ({:.1f} per day; the harvest pays for {:.1f} per day), {} dropped, {} missed{}\n",
             r->completions.size(), r->perDay(), boundPerDay, r->dropped, missed,
             request.continuous->deadlineS > 0 ? fmt::format(" the {:g} s deadline", request.continuous->deadlineS) : "");
  fmt::print("  request to result: median {:.4g} s, p95 {:.4g} s, max {:.4g} s\n", latency.median, latency.p95,
             latency.max);
  fmt::print("  {:.4g} uJ per inference, {} power cycles, {:g} s dark; results {}\n", energyUj, r->cycles.size(),
             r->darkS, r->disagreeing ? fmt::format("{} DISAGREED", r->disagreeing) : std::string("all agree"));
  fmt::print("  wall {:.2f} s, {:.1f} inferences per wall second\n", r->wallS, perWallS);
  std::fflush(stdout);
  for (const auto& warning : r->warnings) fmt::print(stderr, "warning: {}\n", warning.text);
  return r->disagreeing ? kExitFailure : 0;
}

int runSim(const std::filesystem::path& zoo, const SimOptions& o) {
  aidi::core::SimulationRequest request;
  request.modelDirectory = zoo / o.model;
  request.subset = aidi::core::subsetFileFor(zoo);
  request.sample = o.sample;
  request.policy = o.policy;
  request.oracleSensing = o.sensing == "oracle";
  request.window = o.window;
  request.window.vStart = o.vStart;
  request.window.wrap = !o.noWrap;
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
  if (request.window.vStart && *request.window.vStart > request.storage.vMax)
    return reportError({aidi::inst::ErrorCode::Limit,
                        fmt::format("--v-start {:g} V is above the capacitor's ceiling v_max = {:g} V",
                                    *request.window.vStart, request.storage.vMax)});
  if (!request.window.wrap && request.trace.period() > 0 && request.window.startS >= request.trace.period())
    return reportError({aidi::inst::ErrorCode::Limit,
                        fmt::format("--start-s {:g} s is at or after the end of {} ({:g} s), which --no-wrap keeps",
                                    request.window.startS, o.trace, request.trace.period())});
  if (o.durationS) {
    if (!request.window.wrap && request.trace.period() > 0 &&
        request.window.startS + *o.durationS > request.trace.period())
      return reportError({aidi::inst::ErrorCode::Limit,
                          fmt::format("--duration-s: the run ends at {:g} s, after the end of {} ({:g} s), which "
                                      "--no-wrap keeps", request.window.startS + *o.durationS, o.trace,
                                      request.trace.period())});
    request.continuous = aidi::core::ContinuousPlan{*o.durationS, o.periodS.value_or(0), o.deadlineS.value_or(0)};
    return runContinuous(request, o);
  }
  auto r = aidi::core::simulate(request);
  if (!r) return reportError(r.error());
  // A ratio only for an inference that finished: an unfinished one has no latency.
  const bool hasRatio = r->finished && r->energyBoundS > 0;
  const double ratio = hasRatio ? r->latencyS / r->energyBoundS : 0.0;
  double sleepS = 0, chargeS = 0, activeS = 0;
  std::uint64_t sleeps = 0, adcReadings = 0;
  double shutdownS = 0;
  for (const auto& c : r->cycles)
    sleepS += c.sleepS, sleeps += c.sleeps, chargeS += c.offS, activeS += c.onS, adcReadings += c.adcReadings,
        shutdownS += c.shutdownS;
  const double cyclesPerWallS = static_cast<double>(r->cycles.size()) / r->wallS;
  // The board's energy over the inference, by what it was doing.
  const auto energy = aidi::core::deviceEnergy(*r, request.board);
  const double energyUj = energy.totalJ() * 1e6;
  nlohmann::ordered_json energySplit{
      {"active", energy.activeJ * 1e6}, {"asleep", energy.asleepJ * 1e6}, {"shut_down", energy.shutDownJ * 1e6}};
  // Each power cycle: when, how long on, asleep and shut down, its energy and what it lost.
  nlohmann::ordered_json cycleEnergy = nlohmann::json::array();
  for (const auto& c : r->cycles) {
    double lostJ = 0;
    for (const auto& a : c.activity)
      if (a.reexecuted) lostJ += a.joules;
    const double cycleJ = c.activeJ + c.sleepS * request.board.sleepingPowerW() + c.shutdownS * request.board.shutdownPowerW;
    cycleEnergy.push_back({{"start_s", c.startS}, {"charging_s", c.offS}, {"active_s", c.onS}, {"asleep_s", c.sleepS},
                           {"shutdown_s", c.shutdownS}, {"energy_uj", cycleJ * 1e6}, {"reexecuted_uj", lostJ * 1e6},
                           {"finished", c.finished}});
  }
  nlohmann::ordered_json layerEnergy = nlohmann::json::array();
  if (energy.split) {
    const auto& s = *energy.split;
    energySplit.update(nlohmann::ordered_json{{"compute", s.computeJ * 1e6}, {"nvm", s.nvmJ * 1e6},
                                              {"boot", s.bootJ * 1e6}, {"sensing", s.sensingJ * 1e6},
                                              {"reexecuted", s.reexecutedJ * 1e6}});
    for (const auto& l : s.layers)
      layerEnergy.push_back({{"layer", l.layer}, {"compute_uj", l.computeJ * 1e6}, {"nvm_uj", l.nvmJ * 1e6},
                             {"reexecuted_uj", l.reexecutedJ * 1e6}, {"active_s", l.seconds}});
  }
  if (o.json) {
    fmt::print("{}\n", nlohmann::ordered_json{{"model", o.model}, {"policy", o.policy}, {"sample", o.sample},
                                             {"label", r->label}, {"predicted", r->predicted},
                                             {"finished", r->finished}, {"failure", r->failure},
                                             {"power_cycles", r->cycles.size()}, {"checkpoints", r->checkpoints()},
                                             {"device_instructions", r->deviceInstructions},
                                             {"plain_instructions", r->plainInstructions},
                                             {"plain_m4_cycles", r->plainCycles},
                                             {"powered_instructions", r->poweredInstructions},
                                             {"powered_m4_cycles", r->poweredCycles},
                                             {"telemetry_instructions", r->telemetryInstructions},
                                             {"latency_s", r->finished ? nlohmann::json(r->latencyS) : nlohmann::json()}, {"energy_bound_s", r->energyBoundS},
                                             {"latency_ratio", hasRatio ? nlohmann::json(ratio) : nlohmann::json()},
                                             {"charging_s", chargeS},
                                             {"active_s", activeS}, {"asleep_s", sleepS}, {"sleeps", sleeps},
                                             {"shutdown_s", shutdownS}, {"energy_uj", energyUj},
                                             {"energy_split_uj", energySplit},
                                             {"layer_energy", layerEnergy},
                                             {"cycle_energy", cycleEnergy},
                                             {"sensing", o.sensing}, {"adc_readings", adcReadings},
                                             {"start_s", request.window.startS},
                                             {"v_start", request.window.startVolts(request.storage)},
                                             {"warnings", aidi::core::warningTexts(r->warnings)},
                                             {"job_plan", r->jobPlan},
                                             {"wall_s", r->wallS},
                                             {"power_cycles_per_wall_s", cyclesPerWallS}}.dump());
  } else if (r->finished) {
    fmt::print("{} / {} / {} / {:.0f} uF, sample {} (label {}): predicted {}\n", o.model, o.policy,
               o.trace.empty() ? fmt::format("{} W", o.constantWatts) : o.trace, o.capacitanceUf, o.sample, r->label,
               r->predicted);
    fmt::print("  {} power cycles, {} checkpoints, {} device instructions ({} for the plain inference)\n",
               r->cycles.size(), r->checkpoints(), r->deviceInstructions, r->plainInstructions);
    if (r->plainInstructions > 0 && r->poweredInstructions > 0)
      fmt::print("  Cortex-M4 cycles per instruction (cycle-approximate): plain {:.3f}, this run {:.3f}; "
                 "telemetry frames {} instructions ({:.1f} % more, off the budget)\n",
                 static_cast<double>(r->plainCycles) / static_cast<double>(r->plainInstructions),
                 static_cast<double>(r->poweredCycles) / static_cast<double>(r->poweredInstructions),
                 r->telemetryInstructions,
                 100.0 * static_cast<double>(r->telemetryInstructions) / static_cast<double>(r->deviceInstructions));
    fmt::print("  latency {:.4f} s simulated, energy-bound limit {:.4f} s, ratio {:.3f}\n", r->latencyS,
               r->energyBoundS, ratio);
    fmt::print("  {:.4f} s charging while off, {:.4f} s active, {:.4f} s asleep waiting for energy ({} sleeps)\n",
               chargeS, activeS, sleepS, sleeps);
    fmt::print("  board energy {:.2f} uJ: {:.2f} active, {:.2f} asleep, {:.2f} shut down\n", energyUj,
               energySplit["active"].get<double>(), energySplit["asleep"].get<double>(),
               energySplit["shut_down"].get<double>());
    if (energy.split) {
      const auto& s = *energy.split;
      fmt::print("  active energy: {:.2f} uJ compute, {:.2f} NVM, {:.2f} boot and restore, {:.2f} re-executed, "
                 "{:.2f} ADC\n",
                 s.computeJ * 1e6, s.nvmJ * 1e6, s.bootJ * 1e6, s.reexecutedJ * 1e6, s.sensingJ * 1e6);
    }
    fmt::print("  energy sensed by {} ({} ADC readings)\n", o.sensing == "oracle" ? "the bench's oracle" : "the ADC",
               adcReadings);
    fmt::print("  wall {:.2f} s, {:.0f} power cycles per wall second\n", r->wallS, cyclesPerWallS);
  } else {
    fmt::print("{} / {}: did not finish: {}\n", o.model, o.policy, r->failure);
  }
  std::fflush(stdout);
  if (!o.json)
    for (const auto& warning : r->warnings) fmt::print(stderr, "warning: {}\n", warning.text);
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
    for (const auto& p : *ports) {
      nlohmann::ordered_json entry{{"name", p.name}, {"description", p.description}, {"transport", p.transport}};
      if (p.usbVid >= 0) entry["usb"] = {{"vid", fmt::format("{:04x}", p.usbVid)}, {"pid", fmt::format("{:04x}", p.usbPid)},
                                         {"serial", p.serialNumber}};
      if (!p.driver.empty()) entry["driver"] = p.driver;
      fmt::print("{}\n", entry.dump());
    }
    return 0;
  }
  if (ports->empty()) fmt::print("no serial ports found\n");
  for (const auto& p : *ports) {
    fmt::print("{:<16} {:<8} {}", p.name, p.transport, p.description);
    if (p.usbVid >= 0) fmt::print(" [USB {:04x}:{:04x}{}]", p.usbVid, p.usbPid, p.serialNumber.empty() ? "" : " S/N " + p.serialNumber);
    if (!p.driver.empty()) fmt::print(" (driver {}: ASRL{}::INSTR)", p.driver, p.name);
    fmt::print("\n");
  }
  return 0;
}

int runProbe(const std::filesystem::path& benchFile, const std::string& psuResource, const std::string& driver,
             bool json) {
  aidi::Result<aidi::core::BenchFile> bench = aidi::core::BenchFile{};
  if (!psuResource.empty()) {
    auto resource = aidi::core::parseVisaResource(psuResource);
    if (!resource) return reportError(resource.error());
    bench->name = "--psu";
    bench->target = "-";
    bench->supply = aidi::core::BenchSupply{*resource, 1, driver};
  } else if (!benchFile.empty()) {
    bench = aidi::core::loadBenchFile(benchFile);
  } else {
    fmt::print(stderr, "aidi: error: name a bench file or --psu RESOURCE\n");
    return kExitUsage;
  }
  if (!bench) return reportError(bench.error());
  const auto probe = aidi::core::probeBench(*bench);
  const bool ok = probe.supplyError.empty() && probe.meterError.empty() && (probe.linkState.empty() || probe.linkOk);
  if (json) {
    nlohmann::ordered_json out{{"bench", bench->name}, {"ok", ok}};
    if (probe.supply)
      out["supply"] = {{"vendor", probe.supply->vendor}, {"model", probe.supply->model},
                       {"serial", probe.supply->serial}, {"firmware", probe.supply->firmware},
                       {"family", probe.supply->family}};
    if (!probe.supplyError.empty()) out["supply_error"] = probe.supplyError;
    out["harvester"] = bench->harvest.mode;
    if (probe.meter)
      out["meter"] = {{"driver", bench->meter->driver}, {"vendor", probe.meter->vendor}, {"model", probe.meter->model},
                      {"serial", probe.meter->serial}, {"firmware", probe.meter->firmware}};
    if (!probe.meterError.empty()) out["meter_error"] = probe.meterError;
    if (!probe.linkState.empty()) out["link"] = {{"ok", probe.linkOk}, {"state", probe.linkState}};
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("bench {} ({}), limits {} V, {} A\n", bench->name, bench->target, bench->limits.maxVolts,
               bench->limits.maxAmps);
    if (probe.supply)
      fmt::print("  supply: {} {} (serial {}, firmware {}; dialect {})\n", probe.supply->vendor, probe.supply->model,
                 probe.supply->serial, probe.supply->firmware, probe.supply->family);
    if (!probe.supplyError.empty()) fmt::print("  supply: {}\n", probe.supplyError);
    if (bench->supply) fmt::print("  harvester: {}\n", bench->harvest.mode);
    if (probe.meter)
      fmt::print("  meter: {} {} (serial {}, firmware {})\n", probe.meter->vendor, probe.meter->model,
                 probe.meter->serial, probe.meter->firmware);
    if (!probe.meterError.empty()) fmt::print("  meter: {}\n", probe.meterError);
    if (!probe.linkState.empty()) fmt::print("  link: {}\n", probe.linkState);
  }
  return ok ? 0 : kExitFailure;
}

int runFlash(const std::filesystem::path& benchFile, const std::string& model, const std::string& policy,
             const std::filesystem::path& elfOverride) {
  auto bench = aidi::core::loadBenchFile(benchFile);
  if (!bench) return reportError(bench.error());
  const auto elf = elfOverride.empty() ? aidi::core::benchFirmware(*bench, model, policy) : elfOverride;
  fmt::print(stderr, "Programming {} on bench {}{} ...\n", elf.string(), bench->name,
             bench->supply ? " (the board powered from its supply, off after)" : "");
  if (auto ok = aidi::core::flashBench(*bench, elf); !ok) return reportError(ok.error());
  fmt::print("Programmed, verified and reset: {}\n", elf.filename().string());
  return 0;
}

// The subcommands: each registers its options and the work to run when it is
// the one chosen. Option values live in state the action owns.
using Action = std::function<int()>;
struct Commands {
  CLI::App& app;
  std::vector<std::pair<CLI::App*, Action>> actions;
  void on(CLI::App* sub, Action action) { actions.emplace_back(sub, std::move(action)); }
};

void addVersion(Commands& c) {
  c.on(c.app.add_subcommand("version", "Print the version of aidi"), [] {
    fmt::print("aidi {}\n", AIDI_VERSION);
    return 0;
  });
}

void addDemo(Commands& c) {
  struct Options {
    aidi::core::BootDemoOptions demo;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  o->demo.board.firmware = aidi::core::defaultHelloFirmware();
  o->demo.board.qemuProgram = aidi::core::defaultQemuProgram();
  auto* sub = c.app.add_subcommand("demo", "Boot the virtual board, reset it, show the NVM boot counter");
  sub->add_option("--firmware", o->demo.board.firmware, "Firmware ELF for the virtual board")->capture_default_str();
  sub->add_option("--qemu", o->demo.board.qemuProgram, "QEMU program (or set AIDI_QEMU)")->capture_default_str();
  sub->add_option("--port", o->demo.board.serialPort, "Loopback TCP port for the board's UART (0: any free)")
      ->capture_default_str();
  sub->add_option("--boots", o->demo.boots, "Boots to observe (first boot + resets)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  sub->add_flag("--json", o->json, "One JSON object per line");
  c.on(sub, [o] { return runDemo(o->demo, o->json); });
}

void addDecode(Commands& c) {
  auto source = std::make_shared<std::string>();
  auto* sub = c.app.add_subcommand("decode",
                                   "Decode a raw telemetry capture: one JSON line per frame, then the decoder's counters");
  sub->add_option("CAPTURE", *source,
                  "A capture file, - for standard input, tcp:HOST:PORT (a ser2net port), or serial:DEVICE[@BAUD] "
                  "(the board's port live, 921600 Bd by default; Ctrl-C ends it)")
      ->required();
  c.on(sub, [source] { return runDecode(*source); });
}

void addDb(Commands& c) {
  auto o = std::make_shared<DbOptions>();
  auto* db = c.app.add_subcommand("db", "Manage a run database")->require_subcommand(1);
  auto* migrate = db->add_subcommand("migrate", "Apply pending schema migrations");
  auto* check = db->add_subcommand("check", "Run SQLite's integrity check; exit 1 unless ok");
  auto* vacuum = db->add_subcommand("vacuum", "Rebuild the file to reclaim space");
  auto* exportCmd = db->add_subcommand("export", "Export tables as CSV or JSON");
  for (auto* sub : {migrate, check, vacuum, exportCmd})
    sub->add_option("--db", o->path, "Database file (or set AIDI_DB)")->capture_default_str();
  exportCmd->add_option("--table", o->tables, "Table to export (repeatable; default all)")
      ->check(aidi::cli::oneOf(aidi::core::exportableTables(), "a table"));
  exportCmd->add_option("--campaign", o->campaign, "Only this campaign's rows");
  exportCmd->add_option("--format", o->format, "csv or json")
      ->check(aidi::cli::oneOf({"csv", "json"}, "an export format"))
      ->capture_default_str();
  exportCmd->add_option("--out", o->out, "Directory for TABLE.FORMAT files, or - for stdout")->capture_default_str();
  c.on(migrate, [o] { return runDbMigrate(*o); });
  c.on(check, [o] { return runDbCheck(*o); });
  c.on(vacuum, [o] { return runDbVacuum(*o); });
  c.on(exportCmd, [o] { return runDbExport(*o); });
}

void addModels(Commands& c) {
  struct Options {
    std::filesystem::path dir = aidi::core::defaultModelDirectory();
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* sub = c.app.add_subcommand("models", "List the model zoo: params, MACs, peak SRAM, flash, accuracy");
  sub->add_option("--dir", o->dir, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  sub->add_flag("--json", o->json, "JSON output");
  c.on(sub, [o] { return runModels(o->dir, o->json); });
}

void addVirtualPsu(Commands& c) {
  struct Options {
    std::string model = "dp832";
    std::uint16_t port = 0;
    double load = 100.0;
  };
  auto o = std::make_shared<Options>();
  auto* sub = c.app.add_subcommand("virtual-psu", "Run a simulated power supply: a SCPI DP832 or an Otii server on 127.0.0.1, or a PPK2");
  sub->add_option("--model", o->model,
                  "Instrument to behave as: dp832 (SCPI on TCP), ppk2 (a pseudo-terminal) or otii (an Otii server on TCP)")
      ->check(aidi::cli::oneOf({"dp832", "ppk2", "otii"}, "a simulated instrument"))
      ->capture_default_str();
  sub->add_option("--port", o->port, "TCP port (0: any free one, printed; dp832, otii)")->capture_default_str();
  sub->add_option("--load", o->load, "Resistive load on each output, ohms")
      ->check(finiteNumber(0, false, 1e9))
      ->capture_default_str();
  c.on(sub, [o] { return runVirtualPsu(o->model, o->port, o->load); });
}

void addCrashTest(Commands& c) {
  struct Options {
    std::string model, policy = "all";
    std::size_t sample = 0;
    std::uint32_t seed = 1;
    std::filesystem::path dir = aidi::core::defaultModelDirectory();
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* sub = c.app.add_subcommand(
      "crashtest",
      "Inject a power failure at every NVM write of an inference, torn at a random length (host target); for aidi "
      "also after every energy check and along its sleep path; exit 1 on any divergence");
  sub->add_option("--model", o->model, "Model of the zoo")->required();
  auto choices = aidi::core::policyNames();
  choices.push_back("all");
  sub->add_option("--policy", o->policy, aidi::core::policyList() + " or all")
      ->check(aidi::cli::oneOf(choices, "a policy"))
      ->capture_default_str();
  sub->add_option("--sample", o->sample, "Image of the fixture subset (0..999)")
      ->check(CLI::Range(0, 999))
      ->capture_default_str();
  sub->add_option("--dir", o->dir, "Model zoo directory")->capture_default_str();
  sub->add_option("--seed", o->seed, "Seed of the tear lengths and the sleep path's outcomes")->capture_default_str();
  sub->add_flag("--json", o->json, "One JSON object per sweep");
  c.on(sub, [o] { return runCrashTest(o->dir, o->model, o->policy, o->sample, o->seed, o->json); });
}

void addSim(Commands& c) {
  struct Options {
    SimOptions sim;
    std::filesystem::path dir = aidi::core::defaultModelDirectory();
  };
  auto o = std::make_shared<Options>();
  auto* sub = c.app.add_subcommand("sim", "One inference on the virtual board under a harvest condition");
  sub->add_option("--model", o->sim.model, "Model of the zoo")->capture_default_str();
  sub->add_option("--policy", o->sim.policy, "Scheduling policy: " + aidi::core::policyList())
      ->check(aidi::cli::oneOf(aidi::core::policyNames(), "a policy"))
      ->capture_default_str();
  auto* trace = sub->add_option("--trace", o->sim.trace, "Harvest trace (CSV time_s,power_w)");
  sub->add_option("--constant", o->sim.constantWatts, "Constant harvested power, W (instead of a trace)")
      ->check(finiteNumber(0, true, 100))
      ->excludes(trace);
  sub->add_option("--cap", o->sim.capacitanceUf, "Storage capacitor, uF")
      ->check(finiteNumber(0, false, 1e7))
      ->capture_default_str();
  sub->add_option("--sample", o->sim.sample, "Image of the fixture subset (0..999)")
      ->check(CLI::Range(0, 999))
      ->capture_default_str();
  sub->add_option("--board", o->sim.board, "Board profile the virtual board stands for (boards/NAME.toml)")
      ->capture_default_str();
  sub->add_option("--dir", o->dir, "Model zoo directory")->capture_default_str();
  sub->add_option("--start-s", o->sim.window.startS, "Time of the trace at which the inference is requested, s")
      ->check(finiteNumber(0, true, aidi::core::kMaxSimulatedS))
      ->capture_default_str();
  sub->add_option("--v-start", o->sim.vStart,
                  "Capacitor voltage at the request, V (default: v_off, the device just browned out)")
      ->check(finiteNumber(0, true, 60));
  sub->add_option("--window-s", o->sim.window.windowS, "Simulated time the inference may take, s")
      ->check(finiteNumber(0, false, aidi::core::kMaxSimulatedS))
      ->capture_default_str();
  sub->add_flag("--no-wrap", o->sim.noWrap, "The trace ends at its last row instead of repeating from its start");
  auto* duration = sub->add_option("--duration-s", o->sim.durationS,
                                   "Continuous operation for this long (simulated s): an inference per request")
                       ->check(finiteNumber(0, false, aidi::core::kMaxSimulatedS));
  sub->add_option("--period-s", o->sim.periodS, "Continuous: a request every this many seconds (default: back to back)")
      ->check(finiteNumber(0, false, aidi::core::kMaxSimulatedS))
      ->needs(duration);
  sub->add_option("--deadline-s", o->sim.deadlineS, "Continuous: a result later than this after its request misses it")
      ->check(finiteNumber(0, false, aidi::core::kMaxSimulatedS))
      ->needs(duration);
  sub->add_option("--sensing", o->sim.sensing,
                  "How the device learns its energy: adc (its ADC and comparator, as a real board) or oracle "
                  "(the bench's brown-out time, future harvest included: for comparison only)")
      ->check(aidi::cli::oneOf({"adc", "oracle"}, "a sensing"))
      ->capture_default_str();
  sub->add_flag("--json", o->sim.json, "JSON output");
  c.on(sub, [o] { return runSim(o->dir, o->sim); });
}

void addPsu(Commands& c) {
  struct Options {
    aidi::core::PsuRequest psu;
    std::string output;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  std::string drivers;
  for (const auto& d : aidi::core::supplyDrivers()) drivers += (drivers.empty() ? "" : ", ") + d.name;
  auto* sub = c.app.add_subcommand("psu", "Manual control of a power supply, within safety limits");
  sub->add_option("--resource", o->psu.resource, "VISA resource, e.g. TCPIP0::192.0.2.7::5025::SOCKET")->required();
  sub->add_option("--channel", o->psu.channel, "Channel")->check(CLI::Range(1, 8))->capture_default_str();
  sub->add_option("--driver", o->psu.family, "Driver instead of the *IDN? table (" + drivers + ")");
  sub->add_option("--voltage", o->psu.volts, "Set voltage, V")->check(finiteNumber(0, true));
  sub->add_option("--current-limit", o->psu.amps, "Set current limit, A")->check(finiteNumber(0, true));
  sub->add_option("--output", o->output, "on or off")->check(aidi::cli::oneOf({"on", "off"}, "an output state"));
  sub->add_flag("--measure", o->psu.measure, "Measure voltage and current");
  sub->add_option("--max-voltage", o->psu.limits.maxVolts, "Safety limit, V (nothing above is ever sent)")
      ->required()
      ->check(finiteNumber(0, false, 60));
  sub->add_option("--max-current", o->psu.limits.maxAmps, "Safety limit, A")
      ->required()
      ->check(finiteNumber(0, false, 10));
  sub->add_flag("--json", o->json, "JSON output");
  c.on(sub, [o] {
    if (!o->output.empty()) o->psu.output = o->output == "on";
    return runPsu(o->psu, o->json);
  });
}

void addCampaigns(Commands& c) {
  struct Options {
    aidi::cli::CampaignOptions campaign;
    std::filesystem::path file, reportOut = "-", reportPlots;
    std::string resumeWhich, reportWhich, reportFormat = "html", reportLab;
  };
  auto o = std::make_shared<Options>();
  o->campaign.database = aidi::core::defaultDatabasePath();
  o->campaign.modelZoo = aidi::core::defaultModelDirectory();
  auto* run = c.app.add_subcommand("run", "Run a campaign file on the virtual bench, record it, write the HTML report");
  run->add_option("CAMPAIGN", o->file, "Campaign file (TOML, see fixtures/campaigns/README.md)")->required();
  run->add_option("--report", o->campaign.reportPath, "HTML report to write (default: next to the database)");
  run->add_option("--bench", o->campaign.bench,
                  "Run on this bench file instead of the campaign's `bench =` (recorded with the campaign)");
  auto* resume = c.app.add_subcommand("resume", "Continue unfinished campaigns (a killed run is re-run from scratch)");
  resume->add_option("CAMPAIGN", o->resumeWhich, "Campaign id or name (default: every unfinished one)");
  resume->add_option("--report", o->campaign.reportPath, "HTML report to write (default: next to the database)");
  auto* list = c.app.add_subcommand("list", "List the campaigns of a database and their progress");
  auto* report = c.app.add_subcommand("report", "Write a campaign's latency/accuracy report");
  report->add_option("TARGET", o->reportWhich, "Campaign id or name, or run:ID for that run's timeline")->required();
  report->add_option("--format", o->reportFormat, "html, csv or json")
      ->check(aidi::cli::oneOf({"html", "csv", "json"}, "a report format"))
      ->capture_default_str();
  report->add_option("--out", o->reportOut, "Output file, or - for stdout")->capture_default_str();
  report->add_option("--plots", o->reportPlots, "Also write each plot as DIR/NAME.svg");
  report->add_option("--lab", o->reportLab,
                     "Report a campaign of this lab (postgresql://USER@HOST:PORT/DATABASE; a read-only role will do)");
  for (auto* sub : {run, resume, list, report}) {
    sub->add_option("--db", o->campaign.database, "Run database (or set AIDI_DB)")->capture_default_str();
    sub->add_option("--dir", o->campaign.modelZoo, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  }
  for (auto* sub : {run, resume, list}) sub->add_flag("--json", o->campaign.json, "JSON lines for scripts");
  c.on(run, [o] { return aidi::cli::runCampaignFile(o->file, o->campaign); });
  c.on(resume, [o] { return aidi::cli::resumeCampaigns(o->resumeWhich, o->campaign); });
  c.on(list, [o] { return aidi::cli::listCampaigns(o->campaign); });
  c.on(report, [o] {
    if (!o->reportLab.empty())
      return aidi::cli::labReport(o->reportWhich, o->reportFormat, o->reportOut, o->reportPlots, o->reportLab, o->campaign);
    return aidi::cli::reportCampaign(o->reportWhich, o->reportFormat, o->reportOut, o->reportPlots, o->campaign);
  });
}

void addFlash(Commands& c) {
  struct Options {
    std::filesystem::path bench, elf;
    std::string model = "mcunet-s", policy = "aidi";
  };
  auto o = std::make_shared<Options>();
  auto* sub = c.app.add_subcommand("flash", "Program a real board through the bench's flasher (OpenOCD), verify, reset");
  sub->add_option("--bench", o->bench, "Bench file (TOML, see fixtures/benches/README.md)")->required();
  sub->add_option("--model", o->model, "Model of the firmware image")->capture_default_str();
  sub->add_option("--policy", o->policy, "Policy of the firmware image: " + aidi::core::policyList())
      ->check(aidi::cli::oneOf(aidi::core::policyNames(), "a policy"))
      ->capture_default_str();
  sub->add_option("--elf", o->elf, "Firmware image to program instead of the built one");
  c.on(sub, [o] { return runFlash(o->bench, o->model, o->policy, o->elf); });
}

void addInstruments(Commands& c) {
  struct Options {
    std::filesystem::path bench;
    std::string psu, driver;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  std::vector<std::string> drivers;
  for (const auto& d : aidi::core::supplyDrivers()) drivers.push_back(d.name);
  auto* instruments = c.app.add_subcommand("instruments", "The instruments of a bench")->require_subcommand(1);
  auto* probe = instruments->add_subcommand(
      "probe", "Identify a bench's supply (*IDN?, nothing is switched) and try its link; exit 1 naming what failed");
  auto* benchOption = probe->add_option("BENCH", o->bench, "Bench file (TOML)");
  auto* psu = probe->add_option("--psu", o->psu, "Or just a supply's VISA resource")->excludes(benchOption);
  probe->add_option("--driver", o->driver, "The --psu's driver (default: chosen by *IDN?; ppk2 for a PPK2)")
      ->check(aidi::cli::oneOf(drivers, "a supply driver"))
      ->needs(psu);
  probe->add_flag("--json", o->json, "JSON output");
  c.on(probe, [o] { return runProbe(o->bench, o->psu, o->driver, o->json); });
}

void addPorts(Commands& c) {
  auto json = std::make_shared<bool>(false);
  auto* sub = c.app.add_subcommand("ports", "List serial ports with USB vendor/product ids and descriptions");
  sub->add_flag("--json", *json, "JSON output");
  c.on(sub, [json] { return runPorts(*json); });
}

// A lab of benches on PostgreSQL: its store, campaigns submitted to it, and
// the workers that run them (docs/lab.md).
void addLab(Commands& c) {
  struct Options {
    aidi::cli::LabOptions lab;
    std::filesystem::path campaign, zoo = aidi::core::defaultModelDirectory(), out;
    std::string requires_, which;
    aidi::cli::WorkerCommandOptions worker;
  };
  auto o = std::make_shared<Options>();
  o->worker.modelZoo = aidi::core::defaultModelDirectory();
  auto* lab = c.app.add_subcommand("lab", "A lab of benches sharing campaigns and results on PostgreSQL")
                  ->require_subcommand(1);
  auto* init = lab->add_subcommand("init", "Create (or upgrade) the lab's tables on its PostgreSQL database");
  auto* submit = lab->add_subcommand("submit", "Submit a campaign file to the lab; workers run its runs");
  submit->add_option("CAMPAIGN", o->campaign, "Campaign file (TOML)")->required();
  submit->add_option("--requires", o->requires_, "Tags every run needs of a bench, KEY=VALUE,... (its board's target always)");
  submit->add_option("--dir", o->zoo, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  auto* status = lab->add_subcommand("status", "The lab's queue, workers, leases and throughput");
  auto* exported = lab->add_subcommand("export", "Pull a lab campaign into a new SQLite run database (aidi report, the GUI)");
  exported->add_option("CAMPAIGN", o->which, "The lab campaign's id or name")->required();
  exported->add_option("--out", o->out, "The SQLite file to write (must not exist)")->required();
  exported->add_option("--dir", o->zoo, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  for (auto* sub : {init, submit, status, exported}) {
    sub->add_option("--lab", o->lab.url,
                    "postgresql://USER@HOST:PORT/DATABASE (or set AIDI_LAB); the password from ~/.pgpass, PGPASSFILE "
                    "or PGPASSWORD, never here");
    sub->add_flag("--json", o->lab.json, "JSON lines for scripts");
  }
  c.on(init, [o] { return aidi::cli::labInit(o->lab); });
  c.on(submit, [o] { return aidi::cli::labSubmit(o->campaign, o->requires_, o->zoo, o->lab); });
  c.on(status, [o] { return aidi::cli::labStatus(o->lab); });
  c.on(exported, [o] { return aidi::cli::labExport(o->which, o->out, o->zoo, o->lab); });

  auto* worker = c.app.add_subcommand(
      "worker", "Run a lab's runs on this bench: claim the ones its tags satisfy, run each, upload it; Ctrl-C stops");
  auto& w = o->worker;
  worker->add_option("--lab", w.url, "postgresql://USER@HOST:PORT/DATABASE (or set AIDI_LAB)");
  worker->add_option("--bench", w.bench, "Bench file, or virtual")->capture_default_str();
  worker->add_option("--tags", w.tags, "Tags added to the bench's own (target, bench, supply, meter): KEY=VALUE,...");
  worker->add_option("--name", w.name, "The worker's name in the lab (default HOST-PID)");
  worker->add_option("--journal", w.journal, "Local run database, written first (default beside aidi's database)");
  worker->add_option("--lease", w.leaseS, "Seconds a claimed run is held without a renewal")
      ->check(finiteNumber(1, true, 3600))
      ->capture_default_str();
  worker->add_option("--dir", w.modelZoo, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  worker->add_flag("--until-empty", w.untilEmpty, "Stop when no run is left for this bench (else wait for more)");
  worker->add_flag("--json", w.json, "JSON lines for scripts");
  c.on(worker, [o] { return aidi::cli::runWorkerCommand(o->worker); });
}

// Which capacitor, model, policy and board for a harvest and a deadline (docs/advise.md).
void addAdvise(Commands& c) {
  struct Options {
    aidi::core::AdviceRequest request;
    std::string caps = "22u..10m";
    double deadline = 0;
    std::filesystem::path db = aidi::core::defaultDatabasePath(), zoo = aidi::core::defaultModelDirectory(), html;
    int jobs = 2;
    std::int64_t show = 0;
    double continuous = 0;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* sub = c.app.add_subcommand(
      "advise", "Which capacitor, model, policy and board meet a deadline most often under a harvest trace");
  auto& r = o->request;
  auto* trace = sub->add_option("--trace", r.trace, "Harvest trace (CSV: time_s,power_w), e.g. a measured day");
  sub->add_option("--deadline", o->deadline, "Latency budget per inference, seconds (none: the lowest p95 latency)")
      ->check(finiteNumber(0, false, 366 * 86400.0));
  sub->add_option("--min-accuracy", r.minAccuracy, "Accuracy floor, 0..1 (the model's int8 test accuracy)")
      ->check(finiteNumber(0, true, 1))
      ->capture_default_str();
  sub->add_option("--models", r.models, "Models to try, comma separated (default: the zoo's)")
      ->delimiter(',')
      ->check(listOfNames());
  sub->add_option("--policies", r.policies, "Policies to try, comma separated (default: all)")
      ->delimiter(',')
      ->check(listOfNames());
  sub->add_option("--boards", r.boards, "Board profiles to try, comma separated (default: the virtual board)")
      ->delimiter(',')
      ->check(listOfNames());
  sub->add_option("--caps", o->caps, "Capacitors, MIN..MAX with units p n u m (a log grid)")->capture_default_str();
  sub->add_option("--caps-per-decade", r.capsPerDecade, "Grid points per decade of capacitance")->capture_default_str();
  sub->add_option("--refine", r.refineRounds, "Rounds of grid points added around the front")->capture_default_str();
  sub->add_option("--screen-starts", r.screenStarts, "Start times each configuration runs at on the virtual bench")
      ->capture_default_str();
  sub->add_option("--measured-starts", r.measuredStarts, "... and each one near the front, when refining")
      ->capture_default_str();
  sub->add_option("--starts", r.sweepStarts, "Start times over the trace its latency is predicted at")
      ->capture_default_str();
  sub->add_option("--holdout", r.holdoutStarts, "Held-out start times the recommendation runs at again (0: none)")
      ->capture_default_str();
  sub->add_option("--seed", r.seed, "Seed of the start times")->capture_default_str();
  sub->add_option("--window", r.windowS, "The longest an inference may wait for energy, seconds")->capture_default_str();
  sub->add_option("--continuous", o->continuous,
                  "Continuous operation: a request every this many seconds; weighs inferences per day");
  sub->add_option("--jobs", o->jobs, "Virtual benches at once")->check(CLI::Range(1, 64))->capture_default_str();
  sub->add_option("--db", o->db, "Run database (or set AIDI_DB)")->capture_default_str();
  sub->add_option("--dir", o->zoo, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  sub->add_option("--html", o->html, "Also write the HTML report, with the front plotted");
  sub->add_option("--show", o->show, "Print a recorded advice (its id) instead of asking");
  sub->add_flag("--json", o->json, "One JSON object for scripts");
  c.on(sub, [o, trace] {
    std::optional<aidi::core::AdviceResult> result;
    if (o->show > 0) {
      auto all = aidi::core::recordedAdvice(o->db);
      if (!all) return reportError(all.error());
      for (const auto& a : *all)
        if (a.id == o->show) result = a.result;
      if (!result)
        return reportError({aidi::ErrorCode::Invalid, "no finished advice " + std::to_string(o->show) + " in " + o->db.string()});
    } else {
      if (trace->count() == 0) return reportError({aidi::ErrorCode::Invalid, "--trace is required (or --show ID)"});
      auto& request = o->request;
      if (o->deadline > 0) request.deadlineS = o->deadline;
      if (o->continuous != 0) request.continuousPeriodS = o->continuous;
      if (auto ok = aidi::core::parseCapRange(o->caps, request); !ok) return reportError(ok.error());
      if (std::error_code ec; o->db.has_parent_path()) std::filesystem::create_directories(o->db.parent_path(), ec);
      aidi::core::AdviceOptions options;
      options.database = o->db;
      options.modelZoo = o->zoo;
      options.subset = aidi::core::subsetFileFor(o->zoo);
      options.jobs = o->jobs;
      const bool terminal = !o->json && ::isatty(STDERR_FILENO);
      options.onProgress = [terminal](const aidi::core::AdviceProgress& p) {
        if (terminal) fmt::print(stderr, "\r{}: {}/{} configurations measured   ", p.stage, p.runsEnded, p.runsTotal);
      };
      auto asked = aidi::core::advise(request, options);
      if (terminal) fmt::print(stderr, "\n");
      if (!asked) return reportError(asked.error());
      result = std::move(*asked);
    }
    if (!o->html.empty()) {
      std::ofstream out(o->html);
      aidi::core::writeAdviceHtml(*result, out);
      if (!out.flush()) return reportError({aidi::ErrorCode::Io, o->html.string() + ": cannot write (disk full?)"});
    }
    if (o->json)
      fmt::print("{}\n", aidi::core::adviceJson(*result).dump());
    else
      aidi::core::writeAdviceText(*result, std::cout);
    return 0;
  });
}

// The bench as a server for scripts (docs/api.md).
void addServe(Commands& c) {
  struct Options {
    std::string listen = "127.0.0.1:0";
    std::filesystem::path db = aidi::core::defaultDatabasePath(), zoo = aidi::core::defaultModelDirectory(), tokenFile;
    std::string bench = "virtual", lab;
  };
  auto o = std::make_shared<Options>();
  auto* sub = c.app.add_subcommand("serve", "Serve the bench to scripts: newline-delimited JSON over TCP (docs/api.md)");
  sub->add_option("--listen", o->listen, "HOST:PORT (port 0: any free one, printed); beyond loopback needs a token")
      ->capture_default_str();
  sub->add_option("--db", o->db, "Run database (or set AIDI_DB)")->capture_default_str();
  sub->add_option("--dir", o->zoo, "Model zoo directory (or set AIDI_MODELS)")->capture_default_str();
  sub->add_option("--token-file", o->tokenFile, "A file holding the token clients must give (or set AIDI_SERVE_TOKEN)");
  sub->add_option("--bench", o->bench, "The bench served: a bench file (fixtures/benches/README.md) or virtual")
      ->capture_default_str();
  auto* db = sub->get_option("--db");
  sub->add_option("--lab", o->lab, "Serve a lab instead (docs/lab.md): campaigns go to its workers; postgresql://USER@HOST/DB")
      ->excludes(db);
  c.on(sub, [o] {
    aidi::core::ApiServerOptions s;
    const auto colon = o->listen.rfind(':');
    if (colon == std::string::npos) return reportError({aidi::ErrorCode::Invalid, "--listen " + o->listen + ": expected HOST:PORT"});
    s.host = o->listen.substr(0, colon);
    try {
      const int port = std::stoi(o->listen.substr(colon + 1));
      if (port < 0 || port > 65535) throw std::out_of_range("port");
      s.port = static_cast<std::uint16_t>(port);
    } catch (const std::exception&) {
      return reportError({aidi::ErrorCode::Invalid, "--listen " + o->listen + ": the port is not a number from 0 to 65535"});
    }
    if (const char* env = std::getenv("AIDI_SERVE_TOKEN"); env && *env) s.token = env;
    if (!o->tokenFile.empty()) {
      std::ifstream in(o->tokenFile);
      if (!std::getline(in, s.token) || s.token.empty())
        return reportError({aidi::ErrorCode::Invalid, o->tokenFile.string() + ": no token in it"});
    }
    if (o->bench != "virtual") s.benchFile = o->bench;
    if (!o->lab.empty()) {
      auto url = aidi::core::labUrl(o->lab);
      if (!url) return reportError(url.error());
      s.lab = *url;
    }
    s.database = o->db;
    if (std::error_code ec; s.lab.empty() && o->db.has_parent_path())
      std::filesystem::create_directories(o->db.parent_path(), ec);
    s.modelZoo = o->zoo;
    s.subset = aidi::core::subsetFileFor(o->zoo);
    auto server = aidi::core::ApiServer::start(s);
    if (!server) return reportError(server.error());
    fmt::print("aidi serve: API {}.{} on {}:{}, bench {}, {} {}\n", aidi::core::kApiMajor, aidi::core::kApiMinor, s.host,
               (*server)->port(), o->bench, s.lab.empty() ? "database" : "lab", s.lab.empty() ? s.database.string() : s.lab);
    std::fflush(stdout);
    (*server)->wait();  // until Ctrl-C
    (*server)->stop();
    return aidi::core::interruptRequested() ? kExitInterrupted : 0;
  });
}

// The manual page or a shell completion, from the command definitions; the
// build writes them to install (bench-app/cli/CMakeLists.txt).
void addReference(Commands& c) {
  struct Options {
    std::string kind;
    std::filesystem::path out = "-";
  };
  auto o = std::make_shared<Options>();
  auto* sub = c.app.add_subcommand(
      "reference", "Print the shell completion (bash, zsh) or the manual page (man), written from aidi's commands");
  sub->add_option("KIND", o->kind, "bash, zsh or man")
      ->required()
      ->check(aidi::cli::oneOf({"bash", "zsh", "man"}, "a kind of reference"));
  sub->add_option("--out", o->out, "File to write, or - for stdout")->capture_default_str();
  CLI::App& app = c.app;
  c.on(sub, [o, &app] {
    const std::string text = o->kind == "man"    ? aidi::cli::manPage(app, AIDI_VERSION)
                             : o->kind == "bash" ? aidi::cli::bashCompletion(app)
                                                 : aidi::cli::zshCompletion(app);
    if (o->out == "-") {
      fmt::print("{}", text);
      return 0;
    }
    std::ofstream file(o->out);
    file << text;
    file.close();
    if (!file) return reportError({aidi::ErrorCode::Io, "cannot write " + o->out.string()});
    return 0;
  });
}

// An unknown command: one line naming it and the nearest known one.
int unknownCommand(const CLI::App& app, const std::string& word) {
  const std::string near = aidi::cli::nearestWord(word, aidi::cli::subcommandNames(app));
  fmt::print(stderr, "aidi: error: unknown command \"{}\"{}; `aidi --help` lists them\n", aidi::core::printable(word),
             near.empty() ? std::string() : fmt::format(" (did you mean \"{}\"?)", near));
  return kExitUsage;
}

// Options the command does not have: each named with the nearest it has.
int unknownOptions(const CLI::App& app, const std::vector<std::string>& extras) {
  const CLI::App* command = &app;
  std::string path = "aidi";
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (const CLI::App* sub : command->get_subcommands([](const CLI::App*) { return true; }))
      if (sub->parsed()) {
        command = sub;
        path += " " + sub->get_name();
        deeper = true;
        break;
      }
  }
  // An unknown option's value is an extra too: name only the options then.
  const bool anyOption = std::any_of(extras.begin(), extras.end(), [](const std::string& w) { return w.starts_with("-"); });
  for (const auto& word : extras) {
    if (anyOption && !word.starts_with("-")) continue;
    const std::string near = word.starts_with("-") ? aidi::cli::nearestWord(word, aidi::cli::optionNames(*command)) : "";
    fmt::print(stderr, "aidi: error: `{}` does not take {} \"{}\"{}; `{} --help` lists what it takes\n", path,
               word.starts_with("-") ? "the option" : "the argument", aidi::core::printable(word),
               near.empty() ? std::string() : fmt::format(" (did you mean \"{}\"?)", near), path);
  }
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  aidi::core::installInterruptHandlers();

  CLI::App app{"aidi: AIDI Bench, hardware-in-the-loop bench for intermittent deep inference", "aidi"};
  app.require_subcommand(1);
  app.set_version_flag("--version", AIDI_VERSION);
  Commands commands{app, {}};
  for (auto add : {addVersion, addDemo, addDecode, addDb, addModels, addVirtualPsu, addCrashTest, addSim, addPsu,
                   addCampaigns, addFlash, addInstruments, addPorts, addLab, addAdvise, addServe, addReference})
    add(commands);

  // `aidi help [CMD...]` is `aidi [CMD...] --help`; an unknown first word gets
  // a suggestion instead of "A subcommand is required".
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "help") {
    args.erase(args.begin());
    args.push_back("--help");
  }
  if (!args.empty() && !args.front().starts_with("-")) {
    bool known = false;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) known |= sub->get_name() == args.front();
    if (!known) return unknownCommand(app, args.front());
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments last first
  try {
    app.parse(args);
  } catch (const CLI::ExtrasError&) {
    return unknownOptions(app, app.remaining(true));
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  for (const auto& [sub, action] : commands.actions)
    if (sub->parsed()) return action();
  return kExitUsage;
}
