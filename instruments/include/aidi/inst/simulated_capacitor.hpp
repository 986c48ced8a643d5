// The storage capacitor that the instrument simulators (SCPI supply, Otii)
// put on their output for the harvester's current-source mode: integrated in
// real time in 20 us steps; below the set voltage the supply pushes its
// current limit in (constant current), at the set voltage it holds it. A
// resistive load across it, or a board (both thresholds > 0) that draws
// only from reaching `boardOnVolts` until it falls below `boardOffVolts`.
// Its voltage and the energy the supply delivered are the ground truth the
// emulation error is checked against.
#pragma once

#include <chrono>
#include <cstdint>

namespace aidi::inst {

struct SimulatedCapacitorOptions {
  double farads = 0;
  double startVolts = 0;
  double loadOhms = 100;
  double boardOnVolts = 0, boardOffVolts = 0;
};

class SimulatedCapacitor {
 public:
  struct State {
    double volts = 0, deliveredJ = 0, sourceAmps = 0;
    bool boardOn = false;           // with board thresholds: the board is running
    std::uint64_t boardCycles = 0;  // times it powered up
  };
  explicit SimulatedCapacitor(SimulatedCapacitorOptions options);
  // Brings the capacitor up to now, the output having been as given since
  // the last call.
  const State& advance(bool outputOn, double setVolts, double limitAmps);
  const State& state() const { return m_state; }

 private:
  SimulatedCapacitorOptions m_options;
  State m_state;
  std::chrono::steady_clock::time_point m_at = std::chrono::steady_clock::now();
};

}  // namespace aidi::inst
