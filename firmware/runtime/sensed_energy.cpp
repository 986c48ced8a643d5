#include "sensed_energy.hpp"

namespace aidi::fw {

std::uint32_t cyclesAt(const StorageFacts& facts, float volts) {
  if (!(volts > facts.vOff) || !(facts.joulesPerCycle > 0)) return 0;
  const float joules = 0.5f * facts.capacitanceF * (volts * volts - facts.vOff * facts.vOff);
  const float cycles = joules / facts.joulesPerCycle;
  return cycles >= 4.29e9f ? 0xFFFFFFFFu : static_cast<std::uint32_t>(cycles);
}

std::uint32_t millivoltsFor(const StorageFacts& facts, std::uint32_t cycles) {
  const float squared =
      facts.vOff * facts.vOff + 2.0f * static_cast<float>(cycles) * facts.joulesPerCycle / facts.capacitanceF;
  float volts = __builtin_sqrtf(squared);
  if (volts > facts.vMax) volts = facts.vMax;
  return static_cast<std::uint32_t>((volts + facts.guardVolts) * 1000.0f + 0.999f);
}

void SensedEnergyMonitor::read() {
  const std::uint32_t millivolts = m_sensor.readCapacitorMillivolts();
  m_readAt = m_sensor.cycleCounter();
  m_cyclesAtRead = cyclesAt(m_facts, static_cast<float>(millivolts) * 1e-3f - m_facts.guardVolts);
  m_fresh = true;
  ++m_readings;
}

std::uint32_t SensedEnergyMonitor::cyclesLeft() {
  if (!m_fresh) {
    read();
  } else {
    const std::uint32_t spent = m_sensor.cycleCounter() - m_readAt;
    const std::uint32_t aged = m_cyclesAtRead / 4 > kMinCyclesBetweenReadings ? m_cyclesAtRead / 4 : kMinCyclesBetweenReadings;
    if (spent >= aged) read();
  }
  const std::uint32_t spent = m_sensor.cycleCounter() - m_readAt;
  return m_cyclesAtRead > spent ? m_cyclesAtRead - spent : 0;
}

bool SensedEnergyMonitor::sleepUntil(std::uint32_t cycles, std::uint32_t floor) {
  // The thresholds include the guard band, so that a reading on waking
  // finds (about) the energy asked for.
  m_fresh = false;  // the level changed while asleep: read it again
  return m_sensor.sleepUntilMillivolts(millivoltsFor(m_facts, cycles), floor == 0 ? 0 : millivoltsFor(m_facts, floor));
}

}  // namespace aidi::fw
