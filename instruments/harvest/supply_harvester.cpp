#include "aidi/inst/supply_harvester.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "aidi/inst/interrupt.hpp"

namespace aidi::inst {
namespace {
using Clock = std::chrono::steady_clock;
double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

SupplyHarvester::SupplyHarvester(PowerSupply& supply, HarvesterModel& model, SupplyHarvesterConfig config)
    : m_supply(supply), m_model(model), m_config(config) {}

SupplyHarvester::~SupplyHarvester() { (void)powerOff(); }

std::unexpected<Error> SupplyHarvester::abort(Error error) {
  (void)m_supply.setOutput(m_config.channel, false);
  return std::unexpected(std::move(error));
}

Status SupplyHarvester::prepare() {
  if (auto ok = m_supply.setOutput(m_config.channel, false); !ok) return ok;
  if (auto ok = m_supply.setCurrentLimit(m_config.channel, m_config.currentLimit); !ok) return abort(ok.error());
  const double volts = m_config.mode == SupplyHarvesterConfig::Mode::Switching ? m_config.deviceVolts
                                                                               : m_model.params().vOn;
  if (auto ok = m_supply.setVoltage(m_config.channel, volts); !ok) return abort(ok.error());
  m_prepared = true;
  return {};
}

Status SupplyHarvester::powerOff() { return m_supply.setOutput(m_config.channel, false); }

Status SupplyHarvester::waitWall(double duration) {
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m_config.measureIntervalS));
  while (Clock::now() < until) {
    if (interruptRequested()) return fail(ErrorCode::Cancelled, "interrupted: supply output switched off");
    if (m_config.measureIntervalS > 0 && Clock::now() - m_lastMeasure >= interval) {
      m_lastMeasure = Clock::now();
      auto reading = m_supply.measure(m_config.channel);
      if (!reading) return std::unexpected(reading.error());
      // Placed at the moment the answer arrived, on the model's time axis.
      m_measurements.push_back({m_anchorModelS + seconds(reading->at - m_anchorWall) / m_config.timeScale,
                                reading->volts, reading->amps});
      continue;
    }
    auto wake = until;
    if (m_config.measureIntervalS > 0) wake = std::min(wake, m_lastMeasure + interval);
    std::this_thread::sleep_for(std::min<Clock::duration>(wake - Clock::now(), std::chrono::milliseconds(20)));
  }
  return {};
}

Result<PowerCycleRecord> SupplyHarvester::powerOn() {
  if (!m_prepared) {
    if (auto ok = prepare(); !ok) return std::unexpected(ok.error());
  }
  const auto wallStart = Clock::now();
  PowerCycleRecord r;
  r.index = m_cycles++;
  // Charging: the model's time, played as real time with the output off.
  const double chargeFrom = m_model.time();
  auto charged = m_model.chargeUntilOn();
  if (!charged) return abort(charged.error());
  r.offS = *charged;
  anchor(chargeFrom);
  if (auto ok = waitWall(r.offS * m_config.timeScale); !ok) return abort(ok.error());
  r.startS = m_model.time();
  r.vOn = m_model.voltage();
  double planned = m_model.timeUntilBrownOut(m_config.deviceWatts, m_config.maxOnSeconds);
  if (std::isinf(planned)) planned = m_config.maxOnSeconds;  // continuous power: one long cycle
  r.plannedOnS = planned;

  const bool following = m_config.mode == SupplyHarvesterConfig::Mode::VoltageFollowing;
  if (following) {
    if (auto ok = m_supply.setVoltage(m_config.channel, std::min(r.vOn, m_supply.limits().maxVolts)); !ok)
      return abort(ok.error());
    m_steps.push_back(r.vOn);
  }
  if (auto ok = m_supply.setOutput(m_config.channel, true); !ok) return abort(ok.error());
  const auto on = Clock::now();
  anchor(r.startS);
  const double wallOn = planned * m_config.timeScale;
  if (following) {
    // Step the output down along the modelled capacitor voltage.
    HarvesterModel shadow = m_model;
    double modelled = 0;
    while (seconds(Clock::now() - on) + m_config.stepS < wallOn) {
      if (auto ok = waitWall(m_config.stepS); !ok) return abort(ok.error());
      const double elapsed = std::min(planned, seconds(Clock::now() - on) / m_config.timeScale);
      shadow.run(elapsed - modelled, m_config.deviceWatts);
      modelled = elapsed;
      const double v = std::clamp(shadow.voltage(), 0.0, m_supply.limits().maxVolts);
      if (auto ok = m_supply.setVoltage(m_config.channel, v); !ok) return abort(ok.error());
      m_steps.push_back(v);
    }
  }
  if (auto ok = waitWall(wallOn - seconds(Clock::now() - on)); !ok) return abort(ok.error());
  if (auto ok = m_supply.setOutput(m_config.channel, false); !ok) return abort(ok.error());
  r.onS = seconds(Clock::now() - on) / m_config.timeScale;  // achieved, acknowledgements included
  m_model.run(planned, m_config.deviceWatts);
  r.vOff = m_model.voltage();
  r.instructions = 0;  // unknown on a real device: its telemetry says
  r.wallMs = seconds(Clock::now() - wallStart) * 1e3;
  return r;
}

}  // namespace aidi::inst
