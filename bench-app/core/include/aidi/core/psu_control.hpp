// `aidi psu`: manual control of a supply from the bench, with the same
// safety limits as a campaign — how a user pokes a supply before a run.
#pragma once

#include <optional>
#include <string>

#include "aidi/inst/power_supply.hpp"

namespace aidi::core {

struct PsuRequest {
  std::string resource;
  inst::SafetyLimits limits;
  int channel = 1;
  std::string family;  // SCPI dialect to use; empty: chosen from *IDN?
  std::optional<double> volts, amps;
  std::optional<bool> output;
  bool measure = false;
  bool identifyOnly = false;  // no setting at all: limits are not needed
};

struct PsuReport {
  inst::Identity identity;
  std::optional<inst::Reading> reading;
};

// Applies the current limit, then the voltage, then the output state, then
// measures; the first failure stops it (the driver has switched outputs off).
[[nodiscard]] inst::Result<PsuReport> controlPowerSupply(const PsuRequest& request);

}  // namespace aidi::core
