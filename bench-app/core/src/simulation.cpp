#include "aidi/core/simulation.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "aidi/core/boot_demo.hpp"
#include "aidi/core/frame_json.hpp"
#include "aidi/core/install_layout.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/policies.hpp"
#include "aidi/inst/elf_file.hpp"
#include "aidi/inst/interrupt.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "aidi/proto/messages.hpp"
#include "baseline_decisions.hpp"
#include "bench_session.hpp"
#include "progress_record.hpp"
#include "model_view.hpp"

namespace aidi::core {
namespace {

constexpr std::uint32_t kRunConfigAddress = 0x000F0000u;  // firmware/targets/mps2-an386/run_config.hpp
// The virtual board firmware's SRAM for job buffers (intermittent_inference_main.cpp).
constexpr std::uint32_t kDeviceScratchBytes = 160 * 1024;
constexpr std::uint32_t kModelAddress = 0x00100000u;

std::filesystem::path firmwareElf() { return firmwareTargetDir("mps2-an386") / "aidi-inference-mps2-an386.elf"; }

std::filesystem::path insnPlugin() { return insnPluginPath(); }

void putU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void putF32(std::string& out, float v) { putU32(out, std::bit_cast<std::uint32_t>(v)); }

struct Prepared {
  inst::TempDir dir;
  inst::QemuBoardConfig board;
  int label = -1;
  std::string firmwareBuild;  // the ELF's build hash
  std::vector<std::uint16_t> jobPlan;  // the plan searched here for the device (inas)
  std::shared_ptr<inst::MarkLog> marks;  // the intermittent run's activity marks (shared with its power)
};

// "FROM:TO", the addresses of two marker symbols of the firmware, as the
// counting plugin takes its ranges and windows (insn_window.c).
inst::Result<std::string> markerRange(const inst::ElfFile& elf, const char* from, const char* to) {
  const auto a = elf.symbol(from), b = elf.symbol(to);
  if (!a || !b) return inst::fail(inst::ErrorCode::Protocol, std::string("marker ") + (a ? to : from) + " missing in the firmware");
  return std::to_string(*a) + ":" + std::to_string(*b);
}

// The counting plugin's argument that times the virtual FRAM's busy wait in
// the cycles it stands for.
inst::Result<std::string> nvmWaitArgument(const inst::ElfFile& elf) {
  auto range = markerRange(elf, "aidi_nvm_wait", "aidi_nvm_wait_end");
  if (!range) return std::unexpected(range.error());
  return ",wait=" + *range;
}

// The counting plugin's marks of the device's activity (device_activity.hpp):
// each NVM wait's entry and return, the layers' stubs, the commit's.
inst::Result<std::string> activityMarkArguments(const inst::ElfFile& elf) {
  std::string marks;
  const std::pair<const char*, std::uint32_t> marked[] = {
      {"aidi_nvm_read_wait", inst::kMarkNvmRead},         {"aidi_nvm_read_wait_return", inst::kMarkCpu},
      {"aidi_nvm_write_wait", inst::kMarkNvmWrite},       {"aidi_nvm_write_wait_return", inst::kMarkCpu},
      {"aidi_nvm_wake_wait", inst::kMarkNvmWake},         {"aidi_nvm_wake_wait_return", inst::kMarkCpu},
      {"aidi_commit_mark", inst::kMarkCommit}};
  for (const auto& [symbol, code] : marked) {
    const auto address = elf.symbol(symbol);
    if (!address) return inst::fail(inst::ErrorCode::Protocol, std::string("marker ") + symbol + " missing in the firmware");
    marks += ",mark=" + std::to_string(*address) + ":" + std::to_string(code);
  }
  const auto first = elf.symbol("aidi_layer_marks"), last = elf.symbol("aidi_layer_marks_last");
  if (!first || !last) return inst::fail(inst::ErrorCode::Protocol, "the layer marks are missing in the firmware");
  return marks + ",mark=" + std::to_string(*first) + "-" + std::to_string(*last) + ":" + std::to_string(inst::kMarkLayer0);
}

// The firmware's build hash as its ELF holds it (aidi_build_hash: 16 hex
// characters), or empty.
std::string buildHashOf(const inst::ElfFile& elf) {
  const auto at = elf.symbol("aidi_build_hash");
  if (!at) return {};
  std::string text;
  for (std::uint32_t i = 0; i < 4; ++i) {
    const auto word = elf.readWord(*at + 4 * i);
    if (!word) return {};
    for (int b = 0; b < 4; ++b) text.push_back(static_cast<char>(*word >> (8 * b)));
  }
  return text.find_first_not_of("0123456789abcdef") == std::string::npos ? text : std::string();
}

// Marks the plugin's log holds between two of the device's stops: a
// stretch on continuous power can be a whole inference of small NVM
// transfers. Sparse: pages cost memory only as the marks reach them.
constexpr std::uint64_t kMarkLogCapacity = std::uint64_t{1} << 22;

// Writes the model and the run configuration next to the firmware (QEMU
// loaders, re-applied at every reset like flash). `cyclesPerInstruction`:
// the plain inference's, so that the device is told its capacitor's
// budget in the instructions its timer counts.
inst::Result<Prepared> prepare(const SimulationRequest& r, std::uint32_t mode, double cyclesPerInstruction = 1.0) {
  const PolicyInfo* policy = findPolicy(r.policy);
  if (!policy)
    return inst::fail(inst::ErrorCode::Unsupported, "unknown policy \"" + r.policy + "\" (" + policyList() + ")");
  if (auto ok = r.storage.validate(); !ok) return std::unexpected(ok.error());
  std::ifstream modelIn(r.modelDirectory / "model.aidi", std::ios::binary);
  if (!modelIn) return inst::fail(inst::ErrorCode::NotFound, "model file not found: " + (r.modelDirectory / "model.aidi").string());
  const std::string model{std::istreambuf_iterator<char>(modelIn), {}};
  auto image = loadSubsetImage(r.subset, r.sample);
  if (!image) return std::unexpected(image.error());

  auto dir = inst::TempDir::create("aidi-sim-");
  if (!dir) return std::unexpected(dir.error());
  if (r.board.name.empty()) return inst::fail(inst::ErrorCode::NotFound, "no board profile given for the run");
  if (r.board.target != kDefaultBoard)
    return inst::fail(inst::ErrorCode::Unsupported, "board \"" + r.board.name + "\" runs on target \"" +
                                                        r.board.target + "\", not on the virtual board (mps2-an386)");
  const double cyclesPerPowerCycle = r.board.cyclesOf(r.storage.usableEnergyJ()) / cyclesPerInstruction;
  // iNAS's plan is searched here, offline, against this capacitor and board,
  // and handed to the device (the others plan on the device).
  std::vector<std::uint16_t> jobPlan;
  if (policy->policy == proto::Policy::Inas && !r.inasPlan.empty()) {
    jobPlan = r.inasPlan;  // replayed as given: the device checks it against the model
  } else if (policy->policy == proto::Policy::Inas) {
    fw::ModelView view;
    if (const auto status = view.parse(reinterpret_cast<const std::uint8_t*>(model.data()),
                                       static_cast<std::uint32_t>(model.size()), true);
        status != fw::ModelStatus::Ok)
      return inst::fail(inst::ErrorCode::Protocol, std::string("model file ") + (r.modelDirectory / "model.aidi").string() +
                                                       ": " + fw::toString(status));
    fw::JobPlan plan{};
    const fw::NvmCosts costs{r.board.nvmCyclesPerByte, r.board.nvmWriteOverheadCycles, r.board.nvmReadOverheadCycles,
                             r.board.nvmWakeCycles()};
    if (!fw::searchInasPlan(view, static_cast<std::uint64_t>(std::min(cyclesPerPowerCycle, 4e9)), costs,
                            sizeof(fw::Progress), kDeviceScratchBytes, plan))
      return inst::fail(inst::ErrorCode::Unsupported, fmt::format("the model has more than {} layers", fw::kMaxLayers));
    jobPlan.assign(plan.rowsPerJob, plan.rowsPerJob + view.layerCount());
  }
  std::string config = "AIDIRUN9";
  putU32(config, static_cast<std::uint32_t>(r.sample));
  putU32(config, static_cast<std::uint32_t>(policy->policy));
  putU32(config, static_cast<std::uint32_t>(std::min(cyclesPerPowerCycle, 4e9)));
  putU32(config, static_cast<std::uint32_t>(model.size()));
  putU32(config, mode);
  putU32(config, static_cast<std::uint32_t>(r.board.clockHz));
  putU32(config, r.board.nvmCyclesPerByte);
  putU32(config, r.board.nvmWriteOverheadCycles);
  putU32(config, r.board.nvmReadOverheadCycles);
  putU32(config, r.board.nvmWakeCycles());
  // What the device was built knowing, for its energy sensing.
  putU32(config, r.oracleSensing ? 1u : 0u);
  const double joulesPerCycle = r.board.runningPowerW() / r.board.clockHz * cyclesPerInstruction;
  const double lsb = r.board.adcFullScaleV / static_cast<double>((1u << r.board.adcBits) - 1u);
  for (const double v : {r.storage.capacitanceF, r.storage.vOff, r.storage.vMax, joulesPerCycle,
                         3 * r.board.adcNoiseV + lsb, r.storage.vOn, r.board.sleepingPowerW(), r.board.shutdownPowerW})
    putF32(config, static_cast<float>(v));
  putU32(config, r.board.adcBits);
  putU32(config, static_cast<std::uint32_t>(std::lround(r.board.adcFullScaleV * 1000)));
  putU32(config, r.continuous ? 1u : 0u);
  putF32(config, static_cast<float>(r.board.transferPowerW() / r.board.runningPowerW()));
  putU32(config, r.nvmFault ? 1u : 0u);
  for (std::size_t i = 0; i < fw::kMaxLayers; i += 2)
    putU32(config, (i < jobPlan.size() ? jobPlan[i] : 0u) | (i + 1 < jobPlan.size() ? std::uint32_t{jobPlan[i + 1]} << 16 : 0u));
  config.append(image->pixels.begin(), image->pixels.end());
  std::ofstream(dir->path() / "run.bin", std::ios::binary) << config;
  std::ofstream(dir->path() / "model.aidi", std::ios::binary) << model;

  Prepared p{std::move(*dir), {}, image->label};
  p.jobPlan = std::move(jobPlan);
  if (mode == 0) {
    // The counting plugin sums two windows over the run: what the device
    // runs on its energy budget, and its telemetry frames.
    auto elf = inst::ElfFile::open(firmwareElf());
    if (!elf) return std::unexpected(elf.error());
    auto windows = nvmWaitArgument(*elf);
    if (!windows) return std::unexpected(windows.error());
    for (const auto& [begin, end] : {std::pair{"aidi_powered_begin", "aidi_powered_end"},
                                     std::pair{"aidi_telemetry_begin", "aidi_telemetry_end"}}) {
      auto range = markerRange(*elf, begin, end);
      if (!range) return std::unexpected(range.error());
      *windows += ",window=" + *range;
    }
    std::ofstream(p.dir.path() / "counters.bin", std::ios::binary) << std::string(64, '\0');
    p.firmwareBuild = buildHashOf(*elf);
    auto marks = activityMarkArguments(*elf);
    if (!marks) return std::unexpected(marks.error());
    auto log = inst::MarkLog::create(p.dir.path() / "marks.bin", kMarkLogCapacity);
    if (!log) return std::unexpected(log.error());
    p.board.extraArguments = {"-plugin", insnPlugin().string() + *windows + ",counters=" +
                                             (p.dir.path() / "counters.bin").string() + ",marks=" +
                                             log->path().string() + *marks};
    p.marks = std::make_shared<inst::MarkLog>(std::move(*log));
  }
  p.board.firmware = firmwareElf();
  p.board.icountShift = 0;
  p.board.powerShim = true;
  p.board.extraArguments.insert(p.board.extraArguments.end(), {
      "-device", "loader,file=" + (p.dir.path() / "run.bin").string() + ",addr=" + std::to_string(kRunConfigAddress),
      "-device", "loader,file=" + (p.dir.path() / "model.aidi").string() + ",addr=" + std::to_string(kModelAddress)});
  return p;
}

inst::VirtualPowerConfig powerConfig(const BoardProfile& board, std::uint64_t noiseSeed = 0) {
  return {.activeWatts = board.runningPowerW(),
          .clockHz = board.clockHz,
          .sleepWatts = board.sleepingPowerW(),
          .shutdownWatts = board.shutdownPowerW,
          .nvmWatts = board.transferPowerW(),
          .adc = {.bits = board.adcBits,
                  .fullScaleV = board.adcFullScaleV,
                  .noiseV = board.adcNoiseV,
                  .conversionS = board.adcConversionS,
                  .seed = noiseSeed}};
}

// What the counting plugin has summed so far (insn_window.c: per window,
// u64 instructions and u64 cycles; window 0 from power-up to power-down,
// window 1 the telemetry frames inside it, during which the budget holds).
struct Counted {
  inst::ExecutionCount budget;  // what the device ran on its energy budget
  inst::ExecutionCount telemetry;
};
inst::Result<Counted> readCounters(const std::filesystem::path& file) {
  std::array<std::uint64_t, 8> sums{};
  std::ifstream in(file, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(sums.data()), sizeof sums))
    return inst::fail(inst::ErrorCode::Protocol, "the counting plugin's file is missing or short: " + file.string());
  if (sums[2] > sums[0] || sums[3] > sums[1])
    return inst::fail(inst::ErrorCode::Protocol, "telemetry counted outside the powered window: " + file.string());
  return Counted{{sums[0] - sums[2], sums[1] - sums[3]}, {sums[2], sums[3]}};
}

// The virtual bench for one sample: a QEMU board loaded with the sample's
// run configuration, powered by the shim along the harvester model in
// simulated time. Instructions and time are exact; the board quits with
// the session.
class VirtualBenchSession final : public BenchSession {
 public:
  // `helloRequired`: the plain run identifies the board; the intermittent
  // run does not spend instructions on it.
  VirtualBenchSession(const BoardProfile& board, std::unique_ptr<inst::QemuBoard> qemu, inst::HarvesterModel model,
                      bool helloRequired, inst::VirtualPowerConfig power)
      : BenchSession(board, helloRequired),
        m_qemu(std::move(qemu)),
        m_model(std::move(model)),
        m_power(*m_qemu, m_model, std::move(power)) {}
  ~VirtualBenchSession() override { (void)m_qemu->quit(); }
  inst::Harvester& harvester() override { return m_power; }
  inst::Link& link() override { return m_qemu->telemetry(); }
  double latencyAtResult(double cycleSeconds) override { return cycleSeconds; }
  std::uint64_t activeCycles(const inst::PowerCycleRecord& cycle) const override { return cycle.instructions; }
  inst::HarvesterModel& model() { return m_model; }

 private:
  std::unique_ptr<inst::QemuBoard> m_qemu;
  inst::HarvesterModel m_model;
  inst::VirtualPower m_power;
};

}  // namespace

std::optional<proto::MessageType> applyFrame(const proto::Frame& f, SimulationResult& result, proto::Hello* hello,
                                             proto::Boot* boot) {
  proto::InferenceResult r{};
  proto::DeviceError e{};
  proto::Checkpoint c{};
  proto::Boot b{};
  proto::Hello h{};
  if (proto::decodeMessage(f, c) == proto::PayloadStatus::Ok) {
    result.checkpointEvents.push_back({f.bootId, c.layer, c.job, c.cyclesSinceBoot, c.nvmBytes});
    return proto::MessageType::Checkpoint;
  }
  if (proto::decodeMessage(f, b) == proto::PayloadStatus::Ok) {
    result.restoreCycles.push_back(b.restoreCycles);
    if (boot) *boot = b;
    return proto::MessageType::Boot;
  }
  if (proto::decodeMessage(f, r) == proto::PayloadStatus::Ok) {
    result.predicted = r.predicted;
    result.logits.assign(r.logits, r.logits + r.logitCount);
    result.nvmBytesWritten = r.nvmBytes;
    result.logitsCrc = r.logitsCrc;
    result.sample = static_cast<int>(r.sample);
    result.inference = r.inference;
    return proto::MessageType::Result;
  }
  if (proto::decodeMessage(f, e) == proto::PayloadStatus::Ok) {
    result.failure = "device error " + std::to_string(e.code) + ": " + std::string(e.text, e.textLength);
    return proto::MessageType::Error;
  }
  if (proto::decodeMessage(f, h) == proto::PayloadStatus::Ok) {
    if (hello) *hello = h;
    result.firmwareBuild = hexText(h.buildHash, proto::kBuildHashBytes);
    return proto::MessageType::Hello;
  }
  return std::nullopt;
}

inst::Result<PlainCount> measurePlain(const SimulationRequest& request) {
  auto prepared = prepare(request, 1);
  if (!prepared) return std::unexpected(prepared.error());
  auto elf = inst::ElfFile::open(prepared->board.firmware);
  if (!elf) return std::unexpected(elf.error());
  const auto start = elf->symbol("aidi_bench_start"), stop = elf->symbol("aidi_bench_stop");
  if (!start || !stop) return inst::fail(inst::ErrorCode::Protocol, "benchmark markers missing in the firmware");
  auto wait = nvmWaitArgument(*elf);
  if (!wait) return std::unexpected(wait.error());
  const auto windows = prepared->dir.path() / "windows.txt";
  prepared->board.extraArguments.insert(
      prepared->board.extraArguments.end(),
      {"-plugin", insnPlugin().string() + ",start=" + std::to_string(*start) + ",stop=" + std::to_string(*stop) +
                      ",out=" + windows.string() + *wait});
  auto board = inst::QemuBoard::start(prepared->board);
  if (!board) return std::unexpected(board.error());
  inst::Result<SimulationResult> plain;
  {
    // Power that never runs out: one cycle, the whole inference. The
    // counter writes its file when QEMU quits, with the session.
    VirtualBenchSession session(request.board, std::move(*board),
                                inst::HarvesterModel(request.storage, inst::HarvestTrace::constant(1.0), request.storage.vOn),
                                /*helloRequired=*/true, powerConfig(request.board));
    plain = runSample(session, {.maxPowerCycles = 1, .deadline = request.deadline});
  }
  if (!plain) return std::unexpected(plain.error());
  if (!plain->finished)
    return inst::fail(inst::ErrorCode::Protocol, "the plain inference did not finish: " + plain->failure);
  std::ifstream in(windows);
  std::uint64_t index = 0;
  PlainCount count;
  if (!(in >> index >> count.instructions >> count.cycles))
    return inst::fail(inst::ErrorCode::Protocol, "the instruction counter wrote nothing");
  return count;
}

OverheadSplit splitOverhead(const SimulationResult& result) {
  OverheadSplit split;
  std::size_t next = 0;  // checkpoints arrive in boot order
  for (std::size_t i = 0; i < result.cycles.size(); ++i) {
    const auto& cycle = result.cycles[i];
    const std::uint32_t boot = static_cast<std::uint32_t>(i + 1);
    const std::uint64_t restore =
        std::min<std::uint64_t>(i < result.restoreCycles.size() ? result.restoreCycles[i] : 0, cycle.instructions);
    split.boot += restore;
    std::uint64_t lastCommit = restore;
    while (next < result.checkpointEvents.size() && result.checkpointEvents[next].boot <= boot) {
      if (result.checkpointEvents[next].boot == boot) lastCommit = result.checkpointEvents[next].cyclesSinceBoot;
      ++next;
    }
    if (!cycle.finished && cycle.instructions > lastCommit) split.reexecuted += cycle.instructions - lastCommit;
  }
  const std::uint64_t accounted = result.plainInstructions + split.boot + split.reexecuted;
  split.checkpoint = result.deviceInstructions > accounted ? result.deviceInstructions - accounted : 0;
  return split;
}

EnergySplit splitEnergy(std::span<const inst::ActivityEnergy> activity) {
  EnergySplit split;
  std::map<std::int32_t, LayerEnergy> layers;
  for (const auto& a : activity) {
    const bool nvm = a.mode == inst::DeviceMode::NvmRead || a.mode == inst::DeviceMode::NvmWrite ||
                     a.mode == inst::DeviceMode::NvmWake;
    if (a.mode == inst::DeviceMode::Adc) split.sensingJ += a.joules;
    else if (a.layer < 0) split.bootJ += a.joules;
    else if (a.reexecuted) split.reexecutedJ += a.joules;
    else if (nvm) split.nvmJ += a.joules;
    else split.computeJ += a.joules;
    if (a.layer < 0 || a.mode == inst::DeviceMode::Adc) continue;
    LayerEnergy& l = layers[a.layer];
    l.layer = a.layer;
    l.seconds += a.seconds;
    (a.reexecuted ? l.reexecutedJ : nvm ? l.nvmJ : l.computeJ) += a.joules;
  }
  for (const auto& [index, layer] : layers) split.layers.push_back(layer);
  return split;
}

EnergySplit meanSplit(std::span<const EnergySplit> splits) {
  EnergySplit mean;
  if (splits.empty()) return mean;
  const double n = static_cast<double>(splits.size());
  for (const auto& s : splits) {
    mean.computeJ += s.computeJ / n;
    mean.nvmJ += s.nvmJ / n;
    mean.bootJ += s.bootJ / n;
    mean.sensingJ += s.sensingJ / n;
    mean.reexecutedJ += s.reexecutedJ / n;
    for (const auto& l : s.layers) {
      if (mean.layers.size() <= static_cast<std::size_t>(l.layer)) mean.layers.resize(static_cast<std::size_t>(l.layer) + 1);
      LayerEnergy& to = mean.layers[static_cast<std::size_t>(l.layer)];
      to.layer = l.layer;
      to.computeJ += l.computeJ / n;
      to.nvmJ += l.nvmJ / n;
      to.reexecutedJ += l.reexecutedJ / n;
      to.seconds += l.seconds / n;
    }
  }
  for (std::size_t i = 0; i < mean.layers.size(); ++i) mean.layers[i].layer = static_cast<std::int32_t>(i);
  return mean;
}

DeviceEnergy deviceEnergy(const SimulationResult& result, const BoardProfile& board) {
  DeviceEnergy e;
  std::vector<inst::ActivityEnergy> activity;
  for (const auto& c : result.cycles) activity.insert(activity.end(), c.activity.begin(), c.activity.end());
  if (!activity.empty()) e.split = splitEnergy(activity);
  for (const auto& c : result.cycles) {
    e.activeJ += c.activeJ > 0 ? c.activeJ : c.onS * board.runningPowerW();  // a real supply's cycles: no ledger
    e.asleepJ += c.sleepS * board.sleepingPowerW();
    e.shutDownJ += c.shutdownS * board.shutdownPowerW;
  }
  return e;
}

double energyBoundOf(const inst::StorageParams& storage, const inst::HarvestTrace& trace, double plainCycles,
                     const BoardProfile& board, const RunWindow& window) {
  return inst::energyBoundLatency(storage, trace, plainCycles, board.clockHz, board.plainPowerW(), window.startS,
                                  window.startVolts(storage), window.endS(trace) - window.startS);
}

namespace {

// An intermittent run on the virtual bench, started: the plain inference's
// count (measured when the request has none), the board loaded with the run
// configuration, powered along the harvester model from the request's start
// state until `windowEndS`, time and energy following the device's cycles.
struct IntermittentBench {
  PlainCount plain;
  Prepared prepared;
  std::filesystem::path countersFile;
  std::unique_ptr<VirtualBenchSession> session;
};
inst::Result<IntermittentBench> startIntermittent(const SimulationRequest& request, double windowEndS,
                                                  const std::function<void(inst::VirtualPowerConfig&)>& configure = {}) {
  PlainCount plain;
  if (request.plain) {
    plain = *request.plain;
  } else {
    auto measured = measurePlain(request);
    if (!measured) return std::unexpected(measured.error());
    plain = *measured;
  }
  if (plain.instructions == 0 || plain.cycles < plain.instructions)
    return inst::fail(inst::ErrorCode::Protocol, "the plain inference's count is not usable (" +
                                                     std::to_string(plain.instructions) + " instructions, " +
                                                     std::to_string(plain.cycles) + " cycles)");
  const double plainCpi = static_cast<double>(plain.cycles) / static_cast<double>(plain.instructions);
  auto prepared = prepare(request, 0, plainCpi);
  if (!prepared) return std::unexpected(prepared.error());
  auto board = inst::QemuBoard::start(prepared->board);
  if (!board) return std::unexpected(board.error());
  // The ADC's noise differs from image to image, never from policy to policy.
  auto power = powerConfig(request.board, request.sample);
  auto countersFile = prepared->dir.path() / "counters.bin";
  power.poweredCount = [countersFile]() -> inst::Result<inst::ExecutionCount> {
    auto counters = readCounters(countersFile);
    if (!counters) return std::unexpected(counters.error());
    return counters->budget;
  };
  power.initialCyclesPerInstruction = plainCpi;
  power.drainMarks = [log = prepared->marks](std::vector<inst::ActivityMark>& out) { return log->drain(out); };
  if (configure) configure(power);
  inst::HarvesterModel harvester(request.storage, request.trace, request.window.startVolts(request.storage),
                                 request.window.startS);
  harvester.setWindowEnd(windowEndS);
  auto session = std::make_unique<VirtualBenchSession>(request.board, std::move(*board), std::move(harvester),
                                                       /*helloRequired=*/false, std::move(power));
  // Ctrl-C and the run's wall-time limit reach into a long charge too.
  session->model().setCancel([deadline = request.deadline] {
    return inst::interruptRequested() || (deadline && std::chrono::steady_clock::now() >= *deadline);
  });
  return IntermittentBench{plain, std::move(*prepared), std::move(countersFile), std::move(session)};
}

}  // namespace

std::string planText(const std::vector<std::uint16_t>& rowsPerJob) {
  std::string text;
  for (const auto rows : rowsPerJob) text += (text.empty() ? "" : ",") + std::to_string(rows);
  return text;
}

inst::Result<SimulationResult> simulate(const SimulationRequest& request) {
  const auto wallStart = std::chrono::steady_clock::now();
  auto bench = startIntermittent(request, request.window.endS(request.trace));
  if (!bench) return std::unexpected(bench.error());
  const PlainCount& plain = bench->plain;
  VirtualBenchSession& session = *bench->session;
  std::vector<inst::LoadStretch> loads;
  session.model().recordStretches(&loads);
  auto result = runSample(session, {.maxPowerCycles = request.maxPowerCycles,
                                    .watchdogPowerCycles = request.watchdogPowerCycles,
                                    .deadline = request.deadline,
                                    .onPowerCycle = request.onPowerCycle,
                                    .onCheckpoint = request.onCheckpoint});
  session.model().recordStretches(nullptr);
  if (!result) return std::unexpected(result.error());
  result->loads = std::move(loads);
  result->label = bench->prepared.label;
  result->firmwareBuild = bench->prepared.firmwareBuild;
  result->jobPlan = bench->prepared.jobPlan;
  result->plainInstructions = plain.instructions;
  result->plainCycles = plain.cycles;
  result->energyBoundS =
      energyBoundOf(request.storage, request.trace, static_cast<double>(plain.cycles), request.board, request.window);
  if (request.window.wrapped(request.trace, session.model().time()))
    result->warnings.push_back({"trace-wrapped", fmt::format("the run used {} past its end ({:g} s): the trace "
                                                             "repeated from its start",
                                                             request.trace.name(), request.trace.period())});
  auto counters = readCounters(bench->countersFile);
  if (!counters) return std::unexpected(counters.error());
  result->poweredInstructions = counters->budget.instructions;
  result->poweredCycles = counters->budget.cycles;
  result->telemetryInstructions = counters->telemetry.instructions;
  result->overhead = splitOverhead(*result);
  result->wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  return result;
}

}  // namespace aidi::core

namespace aidi::core {

db::Stats ContinuousResult::latencyStats() const {
  std::vector<double> latencies;
  for (const auto& c : completions) latencies.push_back(c.doneS - c.arrivalS);
  return db::statsOf(std::move(latencies));
}

std::uint32_t ContinuousResult::missed(double deadlineS) const {
  std::uint32_t late = 0;
  if (deadlineS > 0)
    for (const auto& c : completions) late += c.doneS - c.arrivalS > deadlineS;
  return late + dropped;
}

inst::Result<ContinuousResult> simulateContinuous(const SimulationRequest& request) {
  if (!request.continuous) return inst::fail(inst::ErrorCode::Unsupported, "no continuous plan in the request");
  const ContinuousPlan& plan = *request.continuous;
  const auto wallStart = std::chrono::steady_clock::now();
  const double startS = request.window.startS, endS = startS + plan.durationS;
  ContinuousResult result;
  // The results as they come: all of the same image, so all must agree.
  proto::FrameDecoder decoder{proto::isKnownMessageType};
  std::optional<std::uint32_t> firstCrc;
  inst::Link* telemetry = nullptr;
  const auto readTelemetry = [&] {
    std::array<std::byte, 4096> buffer;
    for (;;) {
      auto n = telemetry->read(buffer, inst::Millis{0});
      if (!n || *n == 0) return;
      for (std::size_t i = 0; i < *n; ++i) {
        if (decoder.push(static_cast<std::uint8_t>(buffer[i])) != proto::DecodeResult::Frame) continue;
        SimulationResult one;
        if (applyFrame(decoder.frame(), one) != proto::MessageType::Result) continue;
        if (!firstCrc) firstCrc = one.logitsCrc, result.predicted = one.predicted;
        else if (one.logitsCrc != *firstCrc) ++result.disagreeing;
      }
    }
  };
  auto bench = startIntermittent(request, endS, [&](inst::VirtualPowerConfig& power) {
    power.requests = inst::RequestStream{startS, plan.periodS, endS};
    power.onRequest = [&] { readTelemetry(); };
  });
  if (!bench) return std::unexpected(bench.error());
  const PlainCount& plain = bench->plain;
  VirtualBenchSession& session = *bench->session;
  telemetry = &session.link();
  const auto pastDeadline = [&] { return request.deadline && std::chrono::steady_clock::now() >= *request.deadline; };
  auto& virtualPower = static_cast<inst::VirtualPower&>(session.harvester());
  for (;;) {
    if (inst::interruptRequested()) return inst::fail(inst::ErrorCode::Cancelled, "interrupted");
    if (pastDeadline())
      return inst::fail(inst::ErrorCode::Timeout, "bench stopped the run: its wall-time limit (time_limit_s) was "
                                                  "reached; not a result of the policy");
    auto cycle = session.harvester().powerOn();
    if (!cycle && session.model().time() >= endS && cycle.error().code == inst::ErrorCode::Timeout) break;
    if (!cycle) return std::unexpected(cycle.error());
    result.cycles.push_back(*cycle);
    result.deviceInstructions += cycle->instructions;
    if (request.onPowerCycle) request.onPowerCycle(*cycle);
    if (cycle->finished || session.model().time() >= endS) break;
  }
  readTelemetry();
  result.completions = virtualPower.completions();
  result.dropped = virtualPower.droppedRequests();
  result.durationS = plan.durationS;
  result.darkS = request.trace.darkSeconds(startS, endS);
  SimulationResult asOne;
  asOne.cycles = result.cycles;
  result.deviceEnergyJ = deviceEnergyJ(asOne, request.board);
  result.plainCycles = plain.cycles;
  const double plainJ = static_cast<double>(plain.cycles) / request.board.clockHz * request.board.plainPowerW();
  result.boundInferences = request.storage.efficiency * request.trace.energy(startS, endS) / plainJ;
  if (request.window.wrapped(request.trace, endS))
    result.warnings.push_back({"trace-wrapped", fmt::format("the run used {} past its end ({:g} s): the trace "
                                                            "repeated from its start",
                                                            request.trace.name(), request.trace.period())});
  result.wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  return result;
}

}  // namespace aidi::core
