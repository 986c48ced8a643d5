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
};

struct CurrentSourceReport {
  double seconds = 0;
  std::uint64_t steps = 0, clampedSteps = 0, fullSteps = 0;
  // Over the steps that began below V_max (at V_max the converter only
  // feeds the load: those are counted in fullSteps, not compared):
  double requestedJ = 0;  // eta times the trace's energy
  double deliveredJ = 0;  // the instrument's measured current times the capacitor's voltage
  double lastVolts = 0;
  // |delivered - requested| / requested (0 when nothing was requested).
  double emulationError() const {
    return requestedJ > 0 ? (deliveredJ > requestedJ ? deliveredJ - requestedJ : requestedJ - deliveredJ) / requestedJ : 0.0;
  }
};

class CurrentSourceHarvester {
 public:
  CurrentSourceHarvester(PowerSupply& supply, const HarvestTrace& trace, CurrentSourceConfig config);
  ~CurrentSourceHarvester();  // output off

  // Checks the configuration against the bench's limits (nothing sent when
  // refused), then sets the voltage to V_max, the current to 0, output on.
  [[nodiscard]] Status start();
  // Plays the trace for `seconds` of wall time; Cancelled on Ctrl-C (output off).
  [[nodiscard]] Result<CurrentSourceReport> run(double seconds);
  [[nodiscard]] Status stop();

 private:
  [[nodiscard]] std::unexpected<Error> abort(Error error);

  PowerSupply& m_supply;
  const HarvestTrace& m_trace;
  CurrentSourceConfig m_config;
  bool m_on = false;
  double m_playedS = 0;  // trace time played since start()
};

}  // namespace aidi::inst
