// One run on a real bench (a bench file): program the image of (model,
// policy) through the bench's flasher — the probe's reset after programming
// starts a fresh run on the board —, play the harvest condition on the
// supply (SupplyHarvester, switching mode, in real time), and read the
// board's telemetry from the link until `samples` results have arrived or
// the time limit passes; the output ends off on every path. The samples go
// through the same loop as the virtual bench's (runSample, a bench session
// of a Harvester and a Link); a result's latency is timed by its arrival.
// A sample that fails (the link broke, the board's Hello disagrees with its
// profile, the wall-time limit passed) is an error of the bench, after the
// samples before it were handed to `onSample`. Each sample
// comes back as the SimulationResult the virtual bench gives, so a campaign
// records both the same way; the energy-bound limit and the overhead split,
// which rest on the plain inference counted on the virtual board, are the
// caller's (the campaign runner measures each model and sample once).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "aidi/core/bench_file.hpp"
#include "aidi/core/simulation.hpp"
#include "aidi/inst/meter.hpp"

namespace aidi::core {

// Where a meter's stream lies on the run's time axis (the harvest trace's,
// as the supply's readings): its first sample at `t0`, then one per
// 1/rateHz. The host places the first sample by the arrival of the first
// chunk read after the harvest began, less the chunk's length at the
// meter's rate; after that the meter's own clock counts (the PPK2's
// shortfall against the host's clock is counted as lost samples). So the
// alignment is good to one USB transfer (a few ms) at the start.
struct MeterStream {
  std::string source;
  double t0 = 0, rateHz = 0;
  bool hasVolts = false, hasLogic = false;
  std::uint64_t lost = 0;  // samples the meter lost since the harvest began (NaN in the chunks, or hidden by a gap)
};

struct RealRunRequest {
  BenchFile bench;
  BoardProfile board;  // the device's figures; its Hello must match them
  std::string model, policy;
  int samples = 1;
  inst::HarvestTrace trace = inst::HarvestTrace::constant(0);  // the condition, loaded
  inst::StorageParams storage;
  // The first sample's start state and time; the next ones follow it at once.
  RunWindow window;
  std::filesystem::path subset;  // for the labels of the images the board runs
  std::chrono::steady_clock::time_point deadline;
  std::function<void(const inst::PowerCycleRecord&)> onPowerCycle;
  double timeScale = 1.0;  // wall seconds per modelled second: 1 on a real bench
  double deviceVolts = 3.3;  // the board's supply while powered (never above the bench limit)
  // Reads the supply's output this often while it runs (0: never): each
  // sample's readings come back in its result (`measured`).
  double measureIntervalS = 0;
  // The bench's meter ([meter]), on the meter's own thread, in order: its
  // stream's place and each chunk as it arrives. An error stops the meter
  // and fails the run after the sample in progress (output off).
  std::function<inst::Status(const MeterStream&, const inst::MeterChunk&)> onMeterChunk;
  // Each sample as it comes in; an error stops the run (output off).
  std::function<inst::Status(int sample, SimulationResult& result)> onSample;
};

[[nodiscard]] inst::Status runOnRealBench(const RealRunRequest& request);

}  // namespace aidi::core
