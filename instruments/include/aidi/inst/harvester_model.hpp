// Energy model of a batteryless device's supply, after Shepherd's virtual
// BQ25504 and Fused: a storage capacitor C charged by harvested power through
// a converter of efficiency eta, drained by the device's load. The device
// turns on at V_on and browns out at V_off; above V_max the converter stops
// charging (the excess is wasted). With E = C V^2 / 2,
//   dE/dt = eta * P_in(t) - P_load - P_leak,
// which is piecewise linear in E for piecewise-constant P_in, so every event
// (power-on, brown-out, clamp) is computed exactly, not by time stepping.
// Simulated time only: nothing here sleeps.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>
#include <limits>

#include "aidi/inst/harvest_trace.hpp"
#include "aidi/inst/result.hpp"

namespace aidi::inst {

struct StorageParams {
  double capacitanceF = 1e-3;
  double vOn = 3.0;
  double vOff = 2.0;
  double vMax = 3.6;
  double efficiency = 0.8;
  double leakageW = 0.0;
  // Checks ranges: C > 0, 0 < vOff < vOn <= vMax, 0 < efficiency <= 1, leakage >= 0.
  [[nodiscard]] Status validate() const;
  double usableEnergyJ() const { return 0.5 * capacitanceF * (vOn * vOn - vOff * vOff); }
};

// Where the energy went since the model started; conserved:
// final - initial stored = converted - wasted - load - leakage.
struct EnergyLedger {
  double convertedJ = 0;  // eta * harvested
  double wastedJ = 0;     // converted but not stored (capacitor at V_max)
  double loadJ = 0;
  double leakageJ = 0;
};

// A stretch of simulated time at one load, as the model walked it: the
// stored energy moves linearly from `e0J` to `e1J` (the trace's power is
// constant over it, and a stretch ends where the capacitor fills).
struct LoadStretch {
  double t0 = 0, t1 = 0, loadW = 0, e0J = 0, e1J = 0;
};

class HarvesterModel {
 public:
  // Starts at simulated time `startS` with the capacitor at `startVoltage`.
  HarvesterModel(StorageParams params, HarvestTrace trace, double startVoltage, double startS = 0);

  // Long stretches of simulated time are walked piece by piece of the trace;
  // this is asked every few thousand pieces and, when true, the model stops
  // where it is (cancelled() then says so). Default: the user's Ctrl-C.
  void setCancel(std::function<bool()> cancel) { m_cancel = std::move(cancel); }
  bool cancelled() const { return m_cancelled; }

  // The run's window of simulated time: nothing advances past `endS`
  // (default: unbounded; every caller of a long walk sets one).
  void setWindowEnd(double endS) { m_end = endS; }
  double windowEnd() const { return m_end; }

  double time() const { return m_t; }
  double voltage() const;
  double storedEnergyJ() const { return m_energy; }
  const EnergyLedger& ledger() const { return m_ledger; }
  const StorageParams& params() const { return m_params; }

  // Device off: charges until the capacitor reaches V_on, as long as the
  // physics takes within the window. Returns the time it took; when the
  // window ends first, an error saying what the trace delivered over it,
  // how long it was dark and how far the capacitor got (the model is then
  // at the window's end).
  [[nodiscard]] Result<double> chargeUntilOn();
  // Device drawing `loadW`: how long until V falls to V_off, looking at most
  // `horizonS` ahead (infinity when it does not brown out within the horizon).
  double timeUntilBrownOut(double loadW, double horizonS) const;
  // Runs the device at `loadW` for up to `seconds`; stops early at brown-out.
  // Returns the time actually run.
  double run(double seconds, double loadW);

  // Device asleep drawing `sleepW` (it stays powered: above V_off the
  // converter keeps its output on): charges until the stored energy reaches
  // `targetJ` (at most the energy at V_max), or until it falls to `floorJ`
  // (at least the energy at V_off: there the device browns out), or
  // `maxSeconds` pass (an alarm), or the window ends.
  struct Sleep {
    double seconds = 0;
    bool reached = false;  // the target
    bool fell = false;     // down to the floor
  };
  Sleep sleepUntil(double targetJ, double floorJ, double sleepW,
                   double maxSeconds = std::numeric_limits<double>::infinity());
  // Appends every stretch the model advances from now on to `out` (null:
  // stop); what-if copies of the model (timeUntilBrownOut) record nothing.
  void recordStretches(std::vector<LoadStretch>* out) { m_record = out; }

  double energyAtOff() const { return m_eOff; }
  double energyAtOn() const { return m_eOn; }
  double energyAtMax() const { return m_eMax; }

 private:
  // Advances with constant load until `until` or until the stored energy
  // reaches `stopEnergy` from the side given by the sign of the net power.
  double advance(double until, double loadW, double stopEnergy, bool stopWhenFalling);

  bool shouldStop(std::uint64_t& pieces);

  StorageParams m_params;
  HarvestTrace m_trace;
  std::function<bool()> m_cancel;
  bool m_cancelled = false;
  double m_t;
  double m_end = std::numeric_limits<double>::infinity();
  double m_energy;
  double m_eOn, m_eOff, m_eMax;
  EnergyLedger m_ledger;
  std::vector<LoadStretch>* m_record = nullptr;
};

// The energy-bound limit of DESIGN.md for a plain inference of `cycles` at
// `clockHz` drawing `activeW`, requested at t0 with the capacitor at v0:
// L* = max(t_on - t0 + N/f, t_E - t0), t_on the first t >= t0 at which the
// capacitor charged with no load from v0 reaches V_on, t_E the first t with
// C (v0^2 - V_off^2) / 2 + eta * harvested(t0..t) >= E. Infinity when the
// harvest never gets there within `horizonS`.
double energyBoundLatency(const StorageParams& params, const HarvestTrace& trace, double cycles, double clockHz,
                          double activeW, double t0, double v0, double horizonS);

}  // namespace aidi::inst
