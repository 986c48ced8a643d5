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
  if (!m_supply.regulatesCurrent())
    return fail(ErrorCode::Unsupported, "current-source harvester: this supply does not hold its current at a limit "
                                        "(a PPK2 is a voltage source); use a bench supply or an Otii");
  // A supply whose limit cannot go down to 0 (an Otii) starts off and
  // delivers less than its floor by switching (run()).
  const double floor = m_supply.minCurrentLimit();
  if (auto ok = m_supply.setOutput(c.channel, false); !ok) return abort(ok.error());
  if (auto ok = m_supply.setCurrentLimit(c.channel, floor); !ok) return abort(ok.error());
  if (auto ok = m_supply.setVoltage(c.channel, c.vMax); !ok) return abort(ok.error());
  if (floor <= 0)
    if (auto ok = m_supply.setOutput(c.channel, true); !ok) return abort(ok.error());
  m_outputOn = floor <= 0;
  m_lastAmps = floor;
  m_on = true;
  return {};
}

Result<CurrentSourceReport> CurrentSourceHarvester::run(double seconds, const std::function<bool(double volts)>& until) {
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
    if (c.keepReadings) m_readings.push_back({traceAt, reading->volts, reading->amps});
    const double sinceBegin = std::chrono::duration<double>(now - begin).count();
    if (sinceBegin >= seconds || (until && until(volts))) break;
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
    // Below the supply's lowest limit, whole steps at the floor or off, as
    // a delta-sigma modulator: what is owed decides, so the mean is right.
    const double floor = m_supply.minCurrentLimit();
    const bool outputOn = floor <= 0 || want >= 0.5 * floor;
    if (outputOn) want = std::max(want, floor);
    if (outputOn && want != m_lastAmps) {
      if (auto ok = m_supply.setCurrentLimit(c.channel, want); !ok) return abort(ok.error());
      m_lastAmps = want;
    }
    if (outputOn != m_outputOn) {
      if (auto ok = m_supply.setOutput(c.channel, outputOn); !ok) return abort(ok.error());
      m_outputOn = outputOn;
    }
    ++report.steps;
    std::this_thread::sleep_until(stepStart + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(step)));
  }
  report.seconds = traceAt - (c.traceStartS + m_playedS);
  m_playedS += report.seconds;
  m_total.add(report);
  return report;
}

Status CurrentSourceHarvester::stop() {
  if (!m_on) return {};
  m_on = false;
  return m_supply.setOutput(m_config.channel, false);
}

}  // namespace aidi::inst

namespace aidi::inst {

CapacitorHarvester::CapacitorHarvester(PowerSupply& supply, const HarvestTrace& trace, CurrentSourceConfig config,
                                       Thresholds thresholds)
    : m_supply(supply),
      m_trace(trace),
      m_config((config.keepReadings = true, config)),
      m_thresholds(thresholds),
      m_source(supply, trace, m_config),
      m_traceHoldsEnergy(trace.meanPower() > 0) {}

// Output off whatever state the emulation is in (safe, idempotent).
Status CapacitorHarvester::powerOff() {
  (void)m_source.stop();
  m_started = false;
  return m_supply.setOutput(m_config.channel, false);
}

Status CapacitorHarvester::prepare() {
  const auto& t = m_thresholds;
  if (!(t.vOff > 0 && t.vOn > t.vOff && t.vOn < m_config.vMax) || !(t.startVolts >= 0 && t.startVolts <= m_config.vMax) ||
      !(t.settleS >= 0 && t.settleS <= 3600) || !(t.maxCycleS > 0 && t.maxCycleS <= 86400))
    return fail(ErrorCode::Limit, fmt::format("current-source harvester: thresholds V_on {} V, V_off {} V, start {} V "
                                              "must satisfy 0 < V_off < V_on < V_max ({} V)",
                                              t.vOn, t.vOff, t.startVolts, m_config.vMax));
  // Output off while the board drains the capacitor to the run's start (a
  // supply cannot sink; the board stops drawing at its brown-out, so the
  // wait aims at V_off at the lowest). What it reached is the first cycle's.
  if (auto ok = m_supply.setOutput(m_config.channel, false); !ok) return ok;
  const double target = std::max(t.startVolts, t.vOff) + 0.02;
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                            std::chrono::duration<double>(t.settleS));
  for (;;) {
    if (interruptRequested()) return fail(ErrorCode::Cancelled, "interrupted: supply output switched off");
    auto reading = m_supply.measure(m_config.channel);
    if (!reading) return std::unexpected(reading.error());
    m_volts = reading->volts;
    if (m_volts <= target || std::chrono::steady_clock::now() >= until) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return {};
}

Result<PowerCycleRecord> CapacitorHarvester::powerOn() {
  const auto& t = m_thresholds;
  if (!m_traceHoldsEnergy)
    return fail(ErrorCode::Invalid, "current-source harvester: the trace " + m_trace.name() +
                                        " holds no energy; the capacitor cannot reach V_on");
  if (!m_started) {
    if (auto ok = m_source.start(); !ok) return std::unexpected(ok.error());
    m_started = true;
  }
  // Any failure leaves the output off.
  const auto abort = [&](Error error) {
    (void)powerOff();
    return std::unexpected(std::move(error));
  };
  const auto wallStart = std::chrono::steady_clock::now();
  const double mid = 0.5 * (t.vOn + t.vOff);
  PowerCycleRecord r;
  r.index = m_cycles++;
  // Charging, unless the board is on already (a cycle that ran out its
  // maxCycleS, or a start above V_on).
  if (m_volts < t.vOn - t.edgeMarginV) {
    // Read every step, the voltage may never show V_on itself: the board
    // starts drawing there and pulls it down at once. So the board is on
    // once the voltage is within a margin of V_on, or falls (by more than
    // the readings' noise) in the upper half of the window.
    double last = m_volts;
    bool on = false;
    auto charged = m_source.run(t.maxCycleS, [&](double v) {
      on = v >= t.vOn - t.edgeMarginV || (v > mid && v < last - t.noiseV);
      last = v;
      return on;
    });
    if (!charged) return abort(charged.error());
    m_volts = charged->lastVolts;
    r.offS = charged->seconds;
    if (!on)
      return abort(Error{ErrorCode::Timeout, fmt::format("current-source harvester: the capacitor reached only {:.3f} V of V_on "
                                                  "{} V in {} s: the harvest is too weak for this capacitor and board",
                                                  m_volts, t.vOn, t.maxCycleS)});
  }
  r.startS = m_config.traceStartS + m_source.playedS();
  r.vOn = m_volts;
  // Likewise at the brown-out: the board stops drawing and the voltage
  // turns up at once. Off within a margin of V_off, or rising in the lower
  // half (a board that shut itself down to wait for V_on ends its cycle too).
  double last = m_volts;
  auto ran = m_source.run(t.maxCycleS, [&](double v) {
    const bool off = v <= t.vOff + t.edgeMarginV || (v < mid && v > last + t.noiseV);
    last = v;
    return off;
  });
  if (!ran) return abort(ran.error());
  m_volts = ran->lastVolts;
  r.onS = ran->seconds;
  r.vOff = m_volts;
  r.wallMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wallStart).count();
  return r;
}

}  // namespace aidi::inst
