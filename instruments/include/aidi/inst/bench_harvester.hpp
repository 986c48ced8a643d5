// A harvester on a real bench: an instrument plays the harvest condition
// into the board, in one of the registry's modes (registry.hpp):
//   switching / voltage-following  the host's capacitor model decides each
//                                  power cycle; the supply follows it
//                                  (supply_harvester.hpp);
//   current-source                 a real storage capacitor at the board, fed
//                                  the harvested current; the board's own
//                                  thresholds end its cycles
//                                  (current_source_harvester.hpp).
// Each mode reads what the instrument delivered, and the current-source one
// reports requested against delivered energy (its emulation error).
#pragma once

#include <optional>
#include <vector>

#include "aidi/inst/harvest_trace.hpp"
#include "aidi/inst/harvester.hpp"
#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/power_supply.hpp"

namespace aidi::inst {

// One reading of the supply's output, at its time on the model's (trace's)
// axis as the bench's clock places it.
struct SupplyMeasurement {
  double t = 0, volts = 0, amps = 0;
};

// What an emulation asked of the instrument and what the instrument says it
// gave, over the steps that were compared (current-source mode).
struct EmulationReport {
  double requestedJ = 0, deliveredJ = 0;
  std::uint64_t steps = 0, clampedSteps = 0, fullSteps = 0;
  void add(const EmulationReport& o) {
    requestedJ += o.requestedJ, deliveredJ += o.deliveredJ;
    steps += o.steps, clampedSteps += o.clampedSteps, fullSteps += o.fullSteps;
  }
  // |delivered - requested| / requested (0 when nothing was requested).
  double error() const {
    return requestedJ > 0 ? (deliveredJ > requestedJ ? deliveredJ - requestedJ : requestedJ - deliveredJ) / requestedJ : 0.0;
  }
};

class BenchHarvester : public Harvester {
 public:
  // Checks every setting against the bench's limits, sends the first ones
  // and leaves the output off (switching) or ready; nothing is sent when a
  // setting is refused.
  [[nodiscard]] virtual Status prepare() = 0;
  // The readings taken since the last call, in time order.
  virtual std::vector<SupplyMeasurement> takeMeasurements() = 0;
  // Requested against delivered energy so far, where the mode compares them.
  virtual std::optional<EmulationReport> emulation() const { return std::nullopt; }
};

// Everything a mode may use; each takes what it needs.
struct BenchHarvesterSetup {
  int channel = 1;
  HarvesterModel* model = nullptr;      // switching, voltage-following: the capacitor modelled on the host
  const HarvestTrace* trace = nullptr;  // current-source: the trace played as current
  double traceStartS = 0;               // the trace's time at the run's start
  double vOn = 3.0, vOff = 2.0;         // the board's thresholds (current-source: they end its cycles)
  double startVolts = 0;               // current-source: the run's start state, drained to before the first cycle
  double vMax = 3.6;                    // the storage's ceiling (current-source: the instrument's set voltage)
  double efficiency = 0.8;              // the converter's (current-source)
  double stepS = 0;                     // between settings, wall (0: the mode's default)
  double deviceVolts = 3.3;
  double currentLimit = 0.1;
  double deviceWatts = 5.925e-3;
  double timeScale = 1.0;
  double measureIntervalS = 0;
};

}  // namespace aidi::inst
