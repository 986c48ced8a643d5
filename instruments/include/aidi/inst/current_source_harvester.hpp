// The harvester emulated as a current source into a real storage capacitor
// at the board: the physics happens on the bench, not in a model. The
// instrument's voltage is set once to the converter's ceiling (V_max) and
// its current limit is updated every step to the current a harvester's
// converter would push into the capacitor,
//   I = eta * P(t) / V_cap,
// P(t) the trace's mean power over the coming step, V_cap the capacitor's
// voltage as the instrument measures it (the instrument in constant-current
// mode below V_max; at V_max the converter stops, as a BQ25570 does at
// VBAT_OV, and the instrument holds the voltage). Each step records what was
// requested (eta times the trace's energy over the step, while below V_max)
// and what the instrument delivered (its measured voltage times current), so
// every run reports its emulation error, as Ekho and Shepherd report theirs.
// What a step fell short of (a late step, a slow reply) is added to the next.
// Safety: V_max within the bench's limits before anything is sent; currents
// clamped to the limit (and counted); output off at the end, on any error and
// on Ctrl-C.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "aidi/inst/bench_harvester.hpp"
#include "aidi/inst/harvest_trace.hpp"
#include "aidi/inst/power_supply.hpp"

namespace aidi::inst {

struct CurrentSourceConfig {
  int channel = 1;
  double efficiency = 0.8;   // the converter's, as the board profile states it
  double vMax = 3.6;         // the converter's ceiling: the instrument's set voltage
  double vFloor = 0.5;       // below this the current is computed at it (I = eta P / V diverges at 0)
  double stepS = 0.005;      // between updates of the current limit (wall)
  double traceStartS = 0;    // the trace's time at the run's start
  double fullMarginV = 0.01; // at V_max less this, the capacitor counts as full
  bool keepReadings = false; // keep every step's reading (takeReadings)
};

// One run() of the emulation: the steps that began below V_max compared (at
// V_max the converter only feeds the load, as much as it takes: those are
// counted in fullSteps, not compared).
struct CurrentSourceReport : EmulationReport {
  double seconds = 0;
  double lastVolts = 0;
  double emulationError() const { return error(); }
};

class CurrentSourceHarvester {
 public:
  CurrentSourceHarvester(PowerSupply& supply, const HarvestTrace& trace, CurrentSourceConfig config);
  ~CurrentSourceHarvester();  // output off

  // Checks the configuration against the bench's limits (nothing sent when
  // refused), then sets the voltage to V_max, the current to 0, output on.
  [[nodiscard]] Status start();
  // Plays the trace for `seconds` of wall time, or until a reading of the
  // capacitor's voltage satisfies `until`; Cancelled on Ctrl-C (output off).
  [[nodiscard]] Result<CurrentSourceReport> run(double seconds, const std::function<bool(double volts)>& until = {});
  [[nodiscard]] Status stop();
  // Every run() so far, summed.
  const EmulationReport& total() const { return m_total; }
  // The trace time played since start().
  double playedS() const { return m_playedS; }
  // The readings kept since the last call (keepReadings), on the trace's axis.
  std::vector<SupplyMeasurement> takeReadings() { return std::exchange(m_readings, {}); }

 private:
  [[nodiscard]] std::unexpected<Error> abort(Error error);

  PowerSupply& m_supply;
  const HarvestTrace& m_trace;
  CurrentSourceConfig m_config;
  bool m_on = false;
  bool m_outputOn = false;  // below a supply's lowest limit, steps switch the output
  double m_lastAmps = -1;   // the limit last set (none sent again unchanged)
  double m_playedS = 0;  // trace time played since start()
  EmulationReport m_total;
  std::vector<SupplyMeasurement> m_readings;
};

// The current-source emulation as the bench's harvester: the board on the
// capacitor powers up and browns out by itself, at its own thresholds; the
// host sees its cycles in the capacitor's voltage, read every step (so a
// cycle's edges are placed within one step, 5 ms by default). A cycle
// starts when the voltage reaches V_on (or turns down near it: the board
// pulls it down the moment it starts) and ends at V_off (or when it turns
// up near it), or after `maxCycleS` under a harvest that never lets it fall. What the
// board did inside a cycle (sleeps, shutdowns) only its telemetry tells.
class CapacitorHarvester final : public BenchHarvester {
 public:
  struct Thresholds {
    double vOn = 3.0, vOff = 2.0;
    double startVolts = 0;    // the run's start state: prepare() waits (output off) for the board to drain to it
    double settleS = 10;      // at most this long (wall)
    double maxCycleS = 600;   // a cycle's charging or on-time at most (wall)
    double edgeMarginV = 0.03;  // a reading this close to V_on (V_off) counts as there
    double noiseV = 0.01;       // a turn of the voltage larger than this is the board's doing
  };
  CapacitorHarvester(PowerSupply& supply, const HarvestTrace& trace, CurrentSourceConfig config, Thresholds thresholds);

  [[nodiscard]] Status prepare() override;
  [[nodiscard]] Result<PowerCycleRecord> powerOn() override;
  [[nodiscard]] Status powerOff() override;
  std::vector<SupplyMeasurement> takeMeasurements() override { return m_source.takeReadings(); }
  std::optional<EmulationReport> emulation() const override { return m_source.total(); }

 private:
  PowerSupply& m_supply;
  const HarvestTrace& m_trace;
  CurrentSourceConfig m_config;
  Thresholds m_thresholds;
  CurrentSourceHarvester m_source;
  bool m_traceHoldsEnergy;  // its mean power > 0, found once
  std::uint64_t m_cycles = 0;
  double m_volts = 0;  // the capacitor's last reading
  bool m_started = false;
};

}  // namespace aidi::inst
