// One inference on the virtual board under a harvest condition: `aidi sim`,
// and the unit a campaign is made of. The same firmware serves every model and
// policy; QEMU loads the model and the run configuration like flash.
//
// The latency is measured as DESIGN.md defines it: from t = 0 with the
// capacitor at V_on until the result, charging pauses included, in simulated
// time. The energy-bound limit uses N, the instructions of the plain
// inference, counted exactly on the same board by the insn_window plugin.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aidi/core/board_profile.hpp"
#include "aidi/db/queries.hpp"
#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/supply_harvester.hpp"
#include "aidi/inst/virtual_power.hpp"
#include "aidi/proto/decoder.hpp"

namespace aidi::core {

using inst::HarvestTrace;

// A checkpoint as the device reported it (protocol Checkpoint frame).
struct CheckpointEvent {
  std::uint32_t boot = 0;  // 1 for the first power cycle
  std::uint16_t layer = 0;
  std::uint32_t job = 0;
  std::uint32_t cyclesSinceBoot = 0;
  std::uint32_t nvmBytes = 0;
};

// The plain inference on the virtual board: exact instructions, and the
// cycles a Cortex-M4 would spend on them (cycle-approximate, m4_cycles.h).
using PlainCount = inst::ExecutionCount;

// Simulated time: a run's window may not exceed a year (a trace file holds
// at most ten), and an inference's defaults to a week.
inline constexpr double kMaxSimulatedS = 366 * 86400.0;
inline constexpr double kDefaultWindowS = 7 * 86400.0;

// When and how an inference is requested: at `startS` of the trace with the
// capacitor at `vStart` (default V_off: the device has just browned out),
// and how much simulated time it may take: `windowS`, and the trace's end
// when the trace must not wrap (repeat from its start).
struct RunWindow {
  double startS = 0;
  std::optional<double> vStart;
  double windowS = kDefaultWindowS;
  bool wrap = true;
  double startVolts(const inst::StorageParams& storage) const { return vStart.value_or(storage.vOff); }
  double endS(const inst::HarvestTrace& trace) const {
    const double end = startS + windowS;
    return !wrap && trace.period() > 0 && trace.period() < end ? trace.period() : end;
  }
  // Whether a run that ended at `t` used the trace past its end.
  bool wrapped(const inst::HarvestTrace& trace, double t) const {
    const double p = trace.period();
    return p > 0 && t > (std::floor(startS / p) + 1) * p;
  }
};

// Continuous operation: the device runs through `durationS` of the trace
// from window.startS, an inference for every request; requests arrive every
// `periodS` (0: back to back, the next as soon as the last is done), and a
// result later than `deadlineS` after its request misses it (0: none).
struct ContinuousPlan {
  double durationS = 3600, periodS = 0, deadlineS = 0;
};

struct SimulationRequest {
  std::filesystem::path modelDirectory;  // fixtures/models/NAME
  std::filesystem::path subset;          // fixtures/fashion-mnist/test-1000.bin
  std::size_t sample = 0;
  std::string policy = "aidi";           // layer, fixed-tile, aidi
  inst::HarvestTrace trace = inst::HarvestTrace::constant(1e-3);
  // The board the virtual board stands for (clock, powers, NVM costs); its
  // Hello is checked against it. `storage` is usually board.storage(C).
  BoardProfile board;
  inst::StorageParams storage;
  RunWindow window;
  // How the aidi engine senses its energy: the board's ADC and comparator
  // (what a real board has), or the bench's oracle (its brown-out time,
  // future harvest included), kept only to show what the oracle flattered.
  bool oracleSensing = false;
  // Continuous operation instead of one inference (simulateContinuous).
  std::optional<ContinuousPlan> continuous;
  // Fault injection: the virtual NVM ignores every write, as an absent or
  // write-protected FRAM would; the device must refuse to run (error 20).
  bool nvmFault = false;
  std::uint64_t maxPowerCycles = 20000;
  // Power cycles in a row without a committed job before the run is declared
  // "did not finish" (a job larger than a power cycle never completes).
  std::uint64_t watchdogPowerCycles = 50;
  // Wall-clock limit of the run; "did not finish" when reached.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // The plain inference's counts when already measured (they depend on the
  // model and the sample only); measured when absent.
  std::optional<PlainCount> plain;
  // iNAS: rows per job of each layer to run instead of searching a plan
  // (a recorded run's plan, replayed); empty: searched for this capacitor.
  std::vector<std::uint16_t> inasPlan;
  // Live view: called after every power cycle, and for every checkpoint the
  // device reports (progress through the model's layers).
  std::function<void(const inst::PowerCycleRecord&)> onPowerCycle;
  std::function<void(const CheckpointEvent&)> onCheckpoint;
};

// Where the device's instructions went, over all power cycles. useful is the
// plain inference; the rest is overhead of running intermittently.
struct OverheadSplit {
  std::uint64_t boot = 0;        // power-on to progress restored, every boot
  std::uint64_t reexecuted = 0;  // work after the last commit of a cycle that browned out
  std::uint64_t checkpoint = 0;  // the rest: NVM traffic of jobs and commits
};

// What a reader of a result must know, with the event kind it is recorded
// under (the trace repeated past its end; a real board's inherited inference).
struct ResultWarning {
  std::string kind;
  std::string text;
};
inline std::vector<std::string> warningTexts(const std::vector<ResultWarning>& warnings) {
  std::vector<std::string> texts;
  for (const auto& w : warnings) texts.push_back(w.text);
  return texts;
}

struct SimulationResult {
  bool finished = false;
  std::string failure;               // why not, when not finished
  int predicted = -1;
  int label = -1;
  int sample = -1;                   // the image the device reports it ran
  std::uint32_t inference = 0;       // the device's own count of it (its Result frame)
  std::vector<std::int8_t> logits;
  std::vector<inst::PowerCycleRecord> cycles;
  std::size_t checkpoints() const { return checkpointEvents.size(); }
  std::vector<CheckpointEvent> checkpointEvents;
  std::vector<std::uint32_t> restoreCycles;  // per boot, from the Boot frame
  OverheadSplit overhead;
  std::uint64_t nvmBytesWritten = 0;  // by the last boot (the device's count)
  std::uint32_t logitsCrc = 0;
  double latencyS = 0;               // simulated
  std::uint64_t plainInstructions = 0;
  std::uint64_t plainCycles = 0;          // cycle-approximate (0: not counted)
  double energyBoundS = 0;
  std::uint64_t deviceInstructions = 0;  // all power cycles
  // Counted by the virtual board's plugin (0 elsewhere): the instructions
  // and cycle-approximate cycles run on the energy budget, and the
  // instructions spent sending telemetry frames (the cost of being observed,
  // off the budget: the board's timer holds while a frame is sent).
  std::uint64_t poweredInstructions = 0, poweredCycles = 0, telemetryInstructions = 0;
  double wallS = 0;
  proto::DecoderCounters decoder;
  // What a reader of the result must know (a trace used past its end).
  std::vector<ResultWarning> warnings;
  // The virtual bench: every stretch the harvester model walked, from the
  // request to the result (the modelled waveform, waveforms.hpp).
  std::vector<inst::LoadStretch> loads;
  // A real bench: what its supply measured over the inference (when asked).
  std::vector<inst::SupplyMeasurement> measured;
  // A real bench whose harvester compares requested with delivered energy
  // (current-source mode): the run's totals so far.
  std::optional<inst::EmulationReport> emulation;
  // The firmware that ran it: its build hash (from the board's Hello, or the
  // virtual board's ELF); empty when not known.
  std::string firmwareBuild;
  // Rows per job, per layer, when the bench chose the plan offline (the
  // inas policy's search) and handed it to the device; empty otherwise.
  std::vector<std::uint16_t> jobPlan;
  // A real board: the result of an inference it began before this run (its
  // FRAM kept the progress of an earlier run of the same image). Not a
  // sample of this run; the next inference starts where it ended.
  bool inherited = false;
};

// A plan as the database and reports spell it: "4,2,7,..." (one per layer).
std::string planText(const std::vector<std::uint16_t>& rowsPerJob);

// The one telemetry dispatch of both benches: folds a device frame into the
// inference it belongs to (Boot -> restore cycles, Checkpoint -> events,
// Result -> prediction and logits, Error -> failure, Hello -> the device's
// identity, also into `hello`; a Boot also into `boot`). Returns the frame's
// message type, or nullopt for a frame no known message decodes.
std::optional<proto::MessageType> applyFrame(const proto::Frame& frame, SimulationResult& result,
                                             proto::Hello* hello = nullptr, proto::Boot* boot = nullptr);

// Splits the device's instructions into useful work and overheads from the
// telemetry (Boot restore cycles, checkpoint positions) and the cycle records.
OverheadSplit splitOverhead(const SimulationResult& result);

// Where the energy of the board's active time went, from the virtual
// board's activity marks: boot and restore (before a cycle turns to any
// layer), work lost to a brown-out and done again, the NVM's transfers and
// wake-ups, the ADC's readings, and the compute that remains. The five sum
// to the active energy; `layers` splits the kept compute and NVM work and
// the re-executed work by layer.
struct LayerEnergy {
  std::int32_t layer = 0;
  double computeJ = 0, nvmJ = 0, reexecutedJ = 0, seconds = 0;
};
struct EnergySplit {
  double computeJ = 0, nvmJ = 0, bootJ = 0, sensingJ = 0, reexecutedJ = 0;
  std::vector<LayerEnergy> layers;  // by layer, ascending
  double activeJ() const { return computeJ + nvmJ + bootJ + sensingJ + reexecutedJ; }
};
EnergySplit splitEnergy(std::span<const inst::ActivityEnergy> activity);
// The mean of several inferences' splits, layer by layer.
EnergySplit meanSplit(std::span<const EnergySplit> splits);

// The energy the board drew for the inference: its active time as the
// virtual board's ledger charged it (NVM transfers at their own power;
// elsewhere its cycles at the running power: MCU and NVM in standby), its
// powered sleeps at the sleeping power (both asleep) and its shutdowns at
// the shutdown power. Energy lost while unpowered is not the board's.
struct DeviceEnergy {
  double activeJ = 0, asleepJ = 0, shutDownJ = 0;
  double totalJ() const { return activeJ + asleepJ + shutDownJ; }
  std::optional<EnergySplit> split;  // where the board marks its activity
};
DeviceEnergy deviceEnergy(const SimulationResult& result, const BoardProfile& board);
inline double deviceEnergyJ(const SimulationResult& result, const BoardProfile& board) {
  return deviceEnergy(result, board).totalJ();
}
// The energy-bound limit L* of `plainCycles` on `board` (DESIGN.md),
// requested as `window` says: the plain inference needs no NVM, so its NVM
// sleeps.
double energyBoundOf(const inst::StorageParams& storage, const inst::HarvestTrace& trace, double plainCycles,
                     const BoardProfile& board, const RunWindow& window);

// What a window of continuous operation did: every request it finished
// (arrival and result times), the requests dropped (a newer one replaced
// them while they waited), how many results differed from the first (the
// same image every time: all must agree), and what it cost.
struct ContinuousResult {
  std::vector<inst::Completion> completions;
  std::uint32_t dropped = 0;
  std::uint32_t disagreeing = 0;
  int predicted = -1;
  std::vector<inst::PowerCycleRecord> cycles;
  double durationS = 0;       // the window it ran
  double darkS = 0;           // of it with no harvest at all
  double deviceEnergyJ = 0;   // the board's, over the window
  // The energy-bound throughput (DESIGN.md): what the harvest over the
  // window pays for, eta * harvested / the plain inference's energy.
  double boundInferences = 0;
  std::uint64_t plainCycles = 0, deviceInstructions = 0;
  std::vector<ResultWarning> warnings;
  double wallS = 0;
  // Metrics over the window.
  double perDay() const { return durationS > 0 ? completions.size() * 86400.0 / durationS : 0; }
  double boundPerDay() const { return durationS > 0 ? boundInferences * 86400.0 / durationS : 0; }
  double energyPerInferenceJ() const { return completions.empty() ? 0 : deviceEnergyJ / completions.size(); }
  // Request to result, over the requests finished.
  db::Stats latencyStats() const;
  std::uint32_t missed(double deadlineS) const;
};

// Instructions of the plain inference of `sample` (no runtime, no NVM).
[[nodiscard]] inst::Result<PlainCount> measurePlain(const SimulationRequest& request);
[[nodiscard]] inst::Result<SimulationResult> simulate(const SimulationRequest& request);
// Continuous operation (request.continuous); QEMU stays up for the window.
[[nodiscard]] inst::Result<ContinuousResult> simulateContinuous(const SimulationRequest& request);

}  // namespace aidi::core
