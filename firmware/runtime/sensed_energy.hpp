// The energy left, as a device can know it: from an ADC reading of its
// storage capacitor's voltage and its own cycle counter, nothing else.
//
// At a reading, the energy above the brown-out threshold is
//   E = C (V^2 - V_off^2) / 2,  V = the reading less a guard band (noise, LSB),
// and the cycles it allows are E / (joules per cycle while running). Between
// readings the device counts down with its cycle counter: it knows what it
// spends but not what it will harvest, so the estimate ignores the harvest to
// come (conservative) and a fresh reading credits what did arrive. A reading
// costs a conversion, so it is taken only when the last one has aged: after
// a quarter of the cycles it allowed have been spent (the estimate is then
// read more often as the energy runs low, where a decision depends on it),
// never more often than every kMinCyclesBetweenReadings.
//
// Sleeping for energy uses the board's comparator: wake when the voltage
// rises to the level that holds the energy wanted, or falls to the floor's.
// The same code runs on every board that has an ADC on its capacitor; a
// board with only a comparator keeps its own monitor (targets/nucleo-f412zg).
#pragma once

#include <cstdint>

#include "resident_runtime.hpp"

namespace aidi::fw {

// What a board offers to sense its energy.
class EnergySensor {
 public:
  // The device's own cycle counter (counts while it runs; wraps at 2^32).
  virtual std::uint32_t cycleCounter() = 0;
  // One ADC conversion of the capacitor's voltage, in millivolts as the
  // ADC's code says (its noise included).
  virtual std::uint32_t readCapacitorMillivolts() = 0;
  // Sleeps until the comparator sees the voltage rise to `wakeMillivolts`
  // (true) or fall to `floorMillivolts` (false; 0: no floor, sleep on into
  // the brown-out).
  virtual bool sleepUntilMillivolts(std::uint32_t wakeMillivolts, std::uint32_t floorMillivolts) = 0;

 protected:
  ~EnergySensor() = default;
};

// What the device was built knowing about its storage and its draw.
struct StorageFacts {
  float capacitanceF = 0;
  float vOff = 0;              // the brown-out threshold
  float vMax = 0;              // the converter's ceiling
  float joulesPerCycle = 0;    // while running (MCU and NVM), per counted cycle
  float guardVolts = 0;        // subtracted from every reading: noise and quantisation
};

// The cycles of work the energy stored at `volts` allows (0 below V_off).
std::uint32_t cyclesAt(const StorageFacts& facts, float volts);
// The voltage at which the capacitor holds `cycles` of work above V_off
// (capped at V_max), in whole millivolts rounded up, `guard` added: a
// comparator threshold.
std::uint32_t millivoltsFor(const StorageFacts& facts, std::uint32_t cycles);

inline constexpr std::uint32_t kMinCyclesBetweenReadings = 4096;

class SensedEnergyMonitor final : public EnergyMonitor {
 public:
  SensedEnergyMonitor(EnergySensor& sensor, const StorageFacts& facts) : m_sensor(sensor), m_facts(facts) {}

  std::uint32_t cyclesLeft() override;
  std::uint32_t cyclesNow() override { return m_sensor.cycleCounter(); }
  bool sleepUntil(std::uint32_t cycles, std::uint32_t floor) override;

  std::uint32_t readings() const { return m_readings; }

 private:
  void read();

  EnergySensor& m_sensor;
  StorageFacts m_facts;
  bool m_fresh = false;         // a reading since the last sleep
  std::uint32_t m_readAt = 0;   // the counter at the last reading
  std::uint32_t m_cyclesAtRead = 0;
  std::uint32_t m_readings = 0;
};

}  // namespace aidi::fw
