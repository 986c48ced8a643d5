#include "aidi/inst/simulated_capacitor.hpp"

#include <algorithm>

namespace aidi::inst {

SimulatedCapacitor::SimulatedCapacitor(SimulatedCapacitorOptions options) : m_options(options) {
  m_state.volts = std::max(0.0, options.startVolts);
}

const SimulatedCapacitor::State& SimulatedCapacitor::advance(bool outputOn, double setVolts, double limitAmps) {
  const auto now = std::chrono::steady_clock::now();
  double left = std::chrono::duration<double>(now - m_at).count();
  m_at = now;
  const double C = m_options.farads, R = m_options.loadOhms;
  const bool board = m_options.boardOnVolts > 0 && m_options.boardOffVolts > 0;
  constexpr double kStepS = 20e-6;  // well under R C and the settings' pace
  State& s = m_state;
  while (left > 0) {
    const double dt = std::min(left, kStepS);
    left -= dt;
    double& v = s.volts;
    if (board && !s.boardOn && v >= m_options.boardOnVolts) s.boardOn = true, ++s.boardCycles;
    if (board && s.boardOn && v < m_options.boardOffVolts) s.boardOn = false;
    const double load = !board || s.boardOn ? v / R : 0.0;
    double source = 0;
    if (outputOn) {
      if (v < setVolts) {
        source = limitAmps;  // constant current up to the set voltage
        if (v + (source - load) * dt / C > setVolts) source = load + (setVolts - v) * C / dt;  // reaches it in this step
      } else {
        source = std::min(limitAmps, load);  // holds the voltage
      }
    }
    s.deliveredJ += v * source * dt;  // at the step's start: the steps are short
    v = std::max(0.0, v + (source - load) * dt / C);
    s.sourceAmps = source;
  }
  return s;
}

}  // namespace aidi::inst
