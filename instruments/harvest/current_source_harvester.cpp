#include "aidi/inst/current_source_harvester.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "aidi/inst/interrupt.hpp"

namespace aidi::inst {

CurrentSourceHarvester::CurrentSourceHarvester(PowerSupply& supply, const HarvestTrace& trace, CurrentSourceConfig config)
    : m_supply(supply), m_trace(trace), m_config(config) {}

CurrentSourceHarvester::~CurrentSourceHarvester() {
  if (m_on) (void)m_supply.setOutput(m_config.channel, false);
}

std::unexpected<Error> CurrentSourceHarvester::abort(Error error) {
  (void)m_supply.setOutput(m_config.channel, false);
  m_on = false;
  return std::unexpected(std::move(error));
}

Status CurrentSourceHarvester::start() {
  const auto& c = m_config;
  const auto finite = [](double v) { return v - v == 0; };
  if (!(c.efficiency > 0 && c.efficiency <= 1))
    return fail(ErrorCode::Limit, fmt::format("current-source harvester: efficiency {} is not in (0, 1]", c.efficiency));
  if (!withinLimit(c.vMax, m_supply.limits().maxVolts) || !(c.vMax > 0))
    return fail(ErrorCode::Limit, fmt::format("current-source harvester: V_max {} V is above the bench's limit of {} V",
                                              c.vMax, m_supply.limits().maxVolts));
  if (!(c.vFloor > 0 && c.vFloor < c.vMax) || !(c.stepS >= 1e-4 && c.stepS <= 10) || !finite(c.traceStartS) ||
      c.traceStartS < 0 || !(c.fullMarginV >= 0 && c.fullMarginV < c.vMax))
    return fail(ErrorCode::Limit, "current-source harvester: V floor, step, start time or full margin out of range");
  if (auto ok = m_supply.setOutput(c.channel, false); !ok) return abort(ok.error());
  if (auto ok = m_supply.setCurrentLimit(c.channel, 0.0); !ok) return abort(ok.error());
  if (auto ok = m_supply.setVoltage(c.channel, c.vMax); !ok) return abort(ok.error());
  if (auto ok = m_supply.setOutput(c.channel, true); !ok) return abort(ok.error());
  m_on = true;
  return {};
}

Result<CurrentSourceReport> CurrentSourceHarvester::run(double seconds) {
  if (!m_on) return fail(ErrorCode::Invalid, "current-source harvester: start() first");
  if (!(seconds >= 0 && seconds <= 366 * 86400.0)) return fail(ErrorCode::Limit, "current-source harvester: run time out of range");
  using Clock = std::chrono::steady_clock;
  const auto& c = m_config;
  CurrentSourceReport report;
  const auto begin = Clock::now();
  auto stepStart = begin;
  double volts = 0;   // the capacitor at the step's start
  bool full = false;  // at V_max at the step's start: the converter is not charging
  bool first = true;
  double traceAt = c.traceStartS + m_playedS;  // trace time at the step's start
  for (;;) {
    if (interruptRequested()) return abort(Error{ErrorCode::Cancelled, "current-source harvester: interrupted"});
    auto reading = m_supply.measure(c.channel);
    if (!reading) return abort(reading.error());
    const auto now = Clock::now();
    if (!first) {
      // The step that just ended, at its real length: what the trace asked
      // for, and what the instrument says it delivered (its current over
      // the step, read at its end, at the step's mean voltage).
      const double dt = std::chrono::duration<double>(now - stepStart).count();
      // At V_max the converter only feeds the load, as much as it takes:
      // those steps are counted (fullSteps), not compared.
      if (!full) {
        report.requestedJ += c.efficiency * m_trace.energy(traceAt, traceAt + dt);
        report.deliveredJ += 0.5 * (volts + reading->volts) * reading->amps * dt;
      }
      traceAt += dt;
    }
    first = false;
    stepStart = now;
    volts = reading->volts;
    report.lastVolts = volts;
    const double sinceBegin = std::chrono::duration<double>(now - begin).count();
    if (sinceBegin >= seconds) break;
    full = volts >= c.vMax - c.fullMarginV;
    // The current for the coming step: the trace's mean power over it.
    const double step = std::min(c.stepS, seconds - sinceBegin);
    const double meanPower = step > 0 ? m_trace.energy(traceAt, traceAt + step) / step : m_trace.powerAt(traceAt);
    // Plus what the steps so far fell short of (or minus their excess), as
    // the instrument measured it: a step that ran late (a busy host, a slow
    // reply) is made up in the next, not lost.
    const double owed = full ? 0.0 : report.requestedJ - report.deliveredJ;
    double want = std::max(0.0, c.efficiency * meanPower + (step > 0 ? owed / step : 0.0)) / std::max(volts, c.vFloor);
    if (want > m_supply.limits().maxAmps) want = m_supply.limits().maxAmps, ++report.clampedSteps;
    if (full) ++report.fullSteps;
    if (auto ok = m_supply.setCurrentLimit(c.channel, want); !ok) return abort(ok.error());
    ++report.steps;
    std::this_thread::sleep_until(stepStart + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(step)));
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  m_playedS += report.seconds;
  return report;
}

Status CurrentSourceHarvester::stop() {
  if (!m_on) return {};
  m_on = false;
  return m_supply.setOutput(m_config.channel, false);
}

}  // namespace aidi::inst
