#include <cmath>
#include <string>

#include "aidi/inst/power_supply.hpp"

namespace aidi::inst {

Status checkSafetyLimits(const SafetyLimits& limits, double ceilingVolts, double ceilingAmps) {
  const auto check = [](double value, double ceiling, const char* what, const char* unit) -> Status {
    if (!std::isfinite(value) || !(value > 0))
      return fail(ErrorCode::Limit, std::string("safety limit ") + what + " must be a finite number above 0 " + unit +
                                        ", not " + std::to_string(value));
    if (!(value <= ceiling))
      return fail(ErrorCode::Limit, std::string("safety limit ") + what + " " + std::to_string(value) + " " + unit +
                                        " is above the instrument's rating of " + std::to_string(ceiling) + " " + unit);
    return {};
  };
  if (auto ok = check(limits.maxVolts, ceilingVolts, "max voltage", "V"); !ok) return ok;
  return check(limits.maxAmps, ceilingAmps, "max current", "A");
}

}  // namespace aidi::inst
