// A harvester plays a harvest condition into a device as power cycles. The
// virtual board's VirtualPower implements it, and so does SupplyHarvester on
// a real programmable supply (its output switched, or its voltage stepped,
// along the model's cycles), so a campaign runs unchanged on either.
#pragma once

#include <cstdint>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

// One power cycle as it really happened.
struct PowerCycleRecord {
  std::uint64_t index = 0;
  double startS = 0;        // simulated or instrument time of power-on
  double offS = 0;          // charging time before this power-on
  double onS = 0;           // time the device ran (active)
  double sleepS = 0;        // time it slept, powered, waiting for energy
  double shutdownS = 0;     // time it was shut down (by its choice), waiting for V_on; ends the cycle
  double plannedOnS = 0;    // the model's on-time, where the achieved one may differ (a real supply)
  std::uint32_t sleeps = 0;
  std::uint32_t adcReadings = 0;   // the device's readings of its capacitor's voltage
  std::uint64_t instructions = 0;  // instructions the device ran on its budgets
  double vOn = 0, vOff = 0;
  bool finished = false;    // the application reported done in this cycle
  double wallMs = 0;
};

class Harvester {
 public:
  virtual ~Harvester() = default;
  // Charges to V_on, powers the device and returns when the cycle ends
  // (brown-out, or the application reporting done).
  [[nodiscard]] virtual Result<PowerCycleRecord> powerOn() = 0;
  // Cuts the power; safe in any state, idempotent.
  [[nodiscard]] virtual Status powerOff() = 0;
};

}  // namespace aidi::inst
