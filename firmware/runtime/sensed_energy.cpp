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

SensedEnergyMonitor::SensedEnergyMonitor(EnergySensor& sensor, const StorageFacts& facts, HarvestRecord* memory)
    : m_sensor(sensor), m_facts(facts), m_memory(memory) {
  HarvestMemory kept;
  // Only sane sums are believed (a record from another build is not).
  if (m_memory && m_memory->load(kept) && kept.seconds >= 0 && kept.seconds < 1e9f && kept.joules >= 0 &&
      kept.joules < 1e6f)
    m_memoryState = kept;
}

void SensedEnergyMonitor::measured(float joules, float seconds) {
  if (!(seconds > 1e-3f)) return;  // too short to say anything
  if (joules < 0) joules = 0;
  const float fade = kHarvestMemoryS / (kHarvestMemoryS + seconds);
  m_memoryState.joules = m_memoryState.joules * fade + joules;
  m_memoryState.seconds = m_memoryState.seconds * fade + seconds;
  m_memoryState.brownOutsUnmeasured = 0;
  // A failed write keeps the previous estimate: it is only an estimate.
  if (m_memory) (void)m_memory->commit(m_memoryState);
}

void SensedEnergyMonitor::read() {
  const std::uint32_t millivolts = m_sensor.readCapacitorMillivolts();
  m_readAt = m_sensor.cycleCounter();
  m_cyclesAtRead = cyclesAt(m_facts, static_cast<float>(millivolts) * 1e-3f - m_facts.guardVolts);
  m_fresh = true;
  ++m_readings;
  const float joulesNow = static_cast<float>(m_cyclesAtRead) * m_facts.joulesPerCycle;
  if (m_slept) {
    // What arrived over the sleep: the energy it gained and what the board
    // drew meanwhile.
    m_slept = false;
    measured(joulesNow - m_joulesBeforeSleep + m_facts.sleepWatts * m_sleptSeconds, m_sleptSeconds);
  }
  std::uint32_t rtc = 0;
  if (m_memoryState.shutdownPending && m_sensor.rtcTicks(rtc)) {
    // The first reading after a shutdown: what arrived while shut down.
    m_memoryState.shutdownPending = 0;
    const float seconds = static_cast<float>(rtc - m_memoryState.rtcAtShutdown) / kRtcHz;
    measured(joulesNow - m_memoryState.joulesAtShutdown + m_facts.shutdownWatts * seconds, seconds);
  }
}

void SensedEnergyMonitor::shutDown() {
  std::uint32_t rtc = 0;
  if (m_memory && m_sensor.rtcTicks(rtc)) {
    read();
    m_memoryState.joulesAtShutdown = static_cast<float>(m_cyclesAtRead) * m_facts.joulesPerCycle;
    m_memoryState.rtcAtShutdown = rtc;
    m_memoryState.shutdownPending = m_memory->commit([&] {
      HarvestMemory pending = m_memoryState;
      pending.shutdownPending = 1;
      return pending;
    }()) ? 1u : 0u;
  }
  (void)m_sensor.shutDown();
  m_memoryState.shutdownPending = 0;  // the board could not shut down
}

void SensedEnergyMonitor::brownOutComing() {
  if (!m_memory) return;
  ++m_memoryState.brownOutsUnmeasured;
  (void)m_memory->commit(m_memoryState);  // lost, it only lets one more brown-out pass unmeasured
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
  read();  // the level the sleep starts from, to measure the harvest by
  m_joulesBeforeSleep = static_cast<float>(m_cyclesAtRead) * m_facts.joulesPerCycle;
  const bool reached = m_sensor.sleepUntilMillivolts(millivoltsFor(m_facts, cycles),
                                                     floor == 0 ? 0 : millivoltsFor(m_facts, floor), m_sleepLimitS,
                                                     m_sleptSeconds);
  m_sleepLimitS = 0;
  m_slept = true;
  m_fresh = false;  // the level changed while asleep: read it again
  return reached;
}

bool SensedEnergyMonitor::waitOutlook(WaitState& w) {
  if (!(m_facts.shutdownWatts < m_facts.sleepWatts) || !(m_facts.joulesPerCycle > 0)) return false;
  const float perSecond = 1.0f / m_facts.joulesPerCycle;  // cycles of energy per joule
  const float watts = harvestWatts();
  w.harvest = watts < 0 ? -1.0f : watts * perSecond;
  w.sleepDraw = m_facts.sleepWatts * perSecond;
  w.shutdownDraw = m_facts.shutdownWatts * perSecond;
  w.atOn = static_cast<float>(cyclesAt(m_facts, m_facts.vOn));
  // Only a board that keeps its estimate across boots may skip measuring.
  w.brownOutAllowed = m_memory != nullptr && m_memoryState.brownOutsUnmeasured < kBrownOutsPerMeasurement &&
                      m_memoryState.seconds >= kMeasuredSecondsToBrownOut;
  return true;
}

}  // namespace aidi::fw
