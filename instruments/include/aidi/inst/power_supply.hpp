// A programmable power supply, whatever speaks to it. Every setting is
// checked against the bench's safety limits on the host before anything is
// sent; on any error the driver switches the output off before reporting.
#pragma once

#include <chrono>
#include <string>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

struct SafetyLimits {
  double maxVolts = 0;  // the bench file's limits: never exceeded, whatever is asked
  double maxAmps = 0;
};

// Every limit must be a finite number above zero and at most the ceiling
// (the instrument's rating, when known); NaN, infinities, zero and negative
// limits are refused, never compared (a comparison with NaN is always false).
[[nodiscard]] Status checkSafetyLimits(const SafetyLimits& limits, double ceilingVolts = 60.0,
                                       double ceilingAmps = 10.0);
// A setting is allowed when it is finite, >= 0 and <= the limit.
[[nodiscard]] inline bool withinLimit(double value, double limit) {
  return value >= 0 && value <= limit && value - value == 0;  // the last term is false for NaN and inf
}

struct Identity {
  std::string vendor, model, serial, firmware;
  std::string family;  // the dialect chosen from the *IDN? reply
};

struct Reading {
  double volts = 0, amps = 0;
  std::chrono::steady_clock::time_point at;  // host receive time
};

class PowerSupply {
 public:
  virtual ~PowerSupply() = default;
  [[nodiscard]] virtual Result<Identity> identify() = 0;
  [[nodiscard]] virtual Status setVoltage(int channel, double volts) = 0;     // Limit above limits().maxVolts
  [[nodiscard]] virtual Status setCurrentLimit(int channel, double amps) = 0;  // Limit above limits().maxAmps
  [[nodiscard]] virtual Status setOutput(int channel, bool on) = 0;
  [[nodiscard]] virtual Result<Reading> measure(int channel) = 0;
  virtual const SafetyLimits& limits() const = 0;
  // Whether the current limit is a constant-current regulation (the supply
  // holds its current there), and the lowest limit it accepts: what the
  // harvester's current-source mode needs of a supply.
  virtual bool regulatesCurrent() const { return true; }
  virtual double minCurrentLimit() const { return 0; }
};

}  // namespace aidi::inst
