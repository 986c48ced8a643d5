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
// The readings before and after a sleep or a shutdown, over the time it
// lasted (the board's real-time clock, which runs in both), measure the
// harvest: what arrived plus what the board drew meanwhile. The estimate is
// the energy over the time of the recent waits (older ones fade with
// kHarvestMemoryS of waiting), so a bursty harvest is averaged over its
// bursts and a changing one is followed. It decides whether to wait asleep
// or shut down (shutDownToWait).
// The same code runs on every board that can read its capacitor: the
// virtual board's ADC, the NUCLEO's VDD against VREFINT (its rail is the
// capacitor), which polls its reading asleep in place of a comparator.
#pragma once

#include <cstdint>

#include "nvm_record.hpp"
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
  // the brown-out), or until `maxSeconds` pass (0: no limit; the real-time
  // clock's alarm); `seconds`: how long, by the real-time clock.
  virtual bool sleepUntilMillivolts(std::uint32_t wakeMillivolts, std::uint32_t floorMillivolts, float maxSeconds,
                                    float& seconds) = 0;
  // Shuts the board down (SRAM lost) until the capacitor reaches V_on, then
  // a cold boot: never returns where the board can; false where it cannot.
  virtual bool shutDown() { return false; }
  // The real-time clock (kRtcHz), which runs asleep and shut down; false
  // where the board has none.
  virtual bool rtcTicks(std::uint32_t& ticks) {
    (void)ticks;
    return false;
  }

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
  float vOn = 0;               // where a shut-down board wakes
  float sleepWatts = 0;        // asleep and powered (MCU and NVM)
  float shutdownWatts = 0;     // shut down (0 with sleepWatts: the board cannot shut down)
};

// The cycles of work the energy stored at `volts` allows (0 below V_off).
std::uint32_t cyclesAt(const StorageFacts& facts, float volts);
// The voltage at which the capacitor holds `cycles` of work above V_off
// (capped at V_max), in whole millivolts rounded up, `guard` added: a
// comparator threshold.
std::uint32_t millivoltsFor(const StorageFacts& facts, std::uint32_t cycles);

inline constexpr std::uint32_t kMinCyclesBetweenReadings = 4096;

inline constexpr float kRtcHz = 32768.0f;
// Waiting time over which old harvest measurements fade.
inline constexpr float kHarvestMemoryS = 120.0f;
// Deliberate brown-outs in a row (each measures nothing: the real-time clock
// stops) before a wait must measure the harvest again: a stale estimate
// costs at most these few cold boots where a sleep would have done.
inline constexpr std::uint32_t kBrownOutsPerMeasurement = 7;
// Waiting time the estimate must rest on before a brown-out may go without
// measuring (a sleep of a millisecond between bursts says nothing of them).
inline constexpr float kMeasuredSecondsToBrownOut = 1.0f;

// What the board keeps in NVM about its harvest (two slots, CRC): the
// estimate's sums survive a shutdown or a brown-out, so the next boot
// decides at once; a shutdown leaves the level and the time it began, so
// the boot after it measures what arrived meanwhile.
struct HarvestMemory {
  float joules = 0, seconds = 0;  // the estimate: energy arrived over waiting time (faded)
  float joulesAtShutdown = 0;     // stored above V_off when it shut down
  std::uint32_t rtcAtShutdown = 0;
  std::uint32_t shutdownPending = 0;  // 1: the boot after a shutdown measures it
  std::uint32_t brownOutsUnmeasured = 0;  // deliberate brown-outs since the last measurement
};
using HarvestRecord = NvmRecord<HarvestMemory>;
inline constexpr std::uint32_t kHarvestRecordMagic = 0x48525655u;  // "HRVU"

class SensedEnergyMonitor final : public EnergyMonitor {
 public:
  // `memory` (may be null): where the harvest estimate is kept across boots.
  SensedEnergyMonitor(EnergySensor& sensor, const StorageFacts& facts, HarvestRecord* memory = nullptr);

  std::uint32_t cyclesLeft() override;
  std::uint32_t cyclesNow() override { return m_sensor.cycleCounter(); }
  bool sleepUntil(std::uint32_t cycles, std::uint32_t floor) override;
  bool waitOutlook(WaitState& w) override;
  void limitNextSleep(float seconds) override { m_sleepLimitS = seconds; }
  void shutDown() override;
  void brownOutComing() override;
  // The harvest measured over the waits so far, in watts (net of leakage;
  // < 0 before the first).
  float harvestWatts() const { return m_memoryState.seconds > 0 ? m_memoryState.joules / m_memoryState.seconds : -1.0f; }

  std::uint32_t readings() const { return m_readings; }

 private:
  void read();
  // Adds one wait's measurement: `joules` arrived (gained plus drawn) over `seconds`.
  void measured(float joules, float seconds);

  EnergySensor& m_sensor;
  StorageFacts m_facts;
  bool m_fresh = false;         // a reading since the last sleep
  std::uint32_t m_readAt = 0;   // the counter at the last reading
  std::uint32_t m_cyclesAtRead = 0;
  std::uint32_t m_readings = 0;
  HarvestRecord* m_memory;
  HarvestMemory m_memoryState;
  // A sleep to measure the harvest by: the energy before it, its length.
  bool m_slept = false;
  float m_joulesBeforeSleep = 0, m_sleptSeconds = 0;
  float m_sleepLimitS = 0;  // the next sleep's, then none
};

}  // namespace aidi::fw
