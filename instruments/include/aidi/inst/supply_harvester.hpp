// The harvester emulated on a real programmable supply, in real time: the
// harvester model decides each power cycle (how long the capacitor charges,
// how long it then powers the device at its load) and the supply follows:
//   Switching         output off while the capacitor charges, on at a fixed
//                     voltage for the on-time (as EMCLab's intermittent
//                     testbeds do with a Keithley 2280S);
//   VoltageFollowing  while on, the set voltage steps down along the modelled
//                     capacitor voltage, one setting per step as fast as the
//                     supply accepts them.
// Every setting goes through the driver (safety limits on the host, error
// queue after each); any failure and any Ctrl-C leave the output off. Each
// cycle reports the on-time actually achieved beside the planned one.
#pragma once

#include <chrono>
#include <utility>
#include <vector>

#include "aidi/inst/bench_harvester.hpp"
#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/power_supply.hpp"

namespace aidi::inst {

struct SupplyHarvesterConfig {
  enum class Mode { Switching, VoltageFollowing };
  Mode mode = Mode::Switching;
  int channel = 1;
  double deviceVolts = 3.3;    // Switching: the output while on
  double currentLimit = 0.1;   // amps, set once before the first cycle
  double deviceWatts = 5.925e-3;
  double stepS = 0.05;         // VoltageFollowing: time between settings (wall)
  double timeScale = 1.0;      // wall seconds per modelled second (1 on a real bench)
  double maxOnSeconds = 600;   // under continuous power, a cycle ends after this long
  // Reads the supply's output (voltage, current) every this many wall
  // seconds while it plays the model, or as fast as it answers when slower
  // (0: never): the bench's record of what the device really drew.
  double measureIntervalS = 0;
};

class SupplyHarvester final : public BenchHarvester {
 public:
  SupplyHarvester(PowerSupply& supply, HarvesterModel& model, SupplyHarvesterConfig config);
  ~SupplyHarvester() override;  // output off

  // Current limit, output off, and in Switching mode the voltage. Limit
  // errors (a voltage above the bench's limits) come from here, before any
  // cycle.
  [[nodiscard]] Status prepare() override;
  [[nodiscard]] Result<PowerCycleRecord> powerOn() override;
  [[nodiscard]] Status powerOff() override;

  // Every voltage set while on (VoltageFollowing), for inspection.
  const std::vector<double>& voltageSteps() const { return m_steps; }
  // The readings taken since the last call (measureIntervalS), in time order.
  std::vector<SupplyMeasurement> takeMeasurements() override { return std::exchange(m_measurements, {}); }

 private:
  using Clock = std::chrono::steady_clock;
  // Waits `seconds` of wall time in short slices, reading the output when a
  // reading is due; Cancelled on Ctrl-C.
  [[nodiscard]] Status waitWall(double seconds);
  // From now on, wall time maps to model time from `modelS` on.
  void anchor(double modelS) { m_anchorWall = Clock::now(), m_anchorModelS = modelS; }
  [[nodiscard]] std::unexpected<Error> abort(Error error);

  PowerSupply& m_supply;
  HarvesterModel& m_model;
  SupplyHarvesterConfig m_config;
  std::uint64_t m_cycles = 0;
  bool m_prepared = false;
  std::vector<double> m_steps;
  std::vector<SupplyMeasurement> m_measurements;
  Clock::time_point m_anchorWall{}, m_lastMeasure{};
  double m_anchorModelS = 0;
};

}  // namespace aidi::inst
