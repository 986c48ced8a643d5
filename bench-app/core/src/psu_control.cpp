#include "aidi/core/psu_control.hpp"

#include "aidi/inst/registry.hpp"

namespace aidi::core {

inst::Result<PsuReport> controlPowerSupply(const PsuRequest& r) {
  auto psu = inst::openPowerSupply(r.resource, r.limits, {.driver = r.family, .identifyOnly = r.identifyOnly});
  if (!psu) return std::unexpected(psu.error());
  PsuReport report;
  auto id = (*psu)->identify();
  if (!id) return std::unexpected(id.error());
  report.identity = *id;
  if (r.amps) {
    if (auto ok = (*psu)->setCurrentLimit(r.channel, *r.amps); !ok) return std::unexpected(ok.error());
  }
  if (r.volts) {
    if (auto ok = (*psu)->setVoltage(r.channel, *r.volts); !ok) return std::unexpected(ok.error());
  }
  if (r.output) {
    if (auto ok = (*psu)->setOutput(r.channel, *r.output); !ok) return std::unexpected(ok.error());
  }
  if (r.measure) {
    auto reading = (*psu)->measure(r.channel);
    if (!reading) return std::unexpected(reading.error());
    report.reading = *reading;
  }
  return report;
}

}  // namespace aidi::core
