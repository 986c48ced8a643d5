// The energy a device senses (firmware/runtime/sensed_energy.hpp): from its
// ADC and its cycle counter only, conservative about the harvest to come,
// and reading its ADC only as often as a decision needs.
#include <gtest/gtest.h>

#include <cmath>

#include "sensed_energy.hpp"

using namespace aidi::fw;

namespace {

// 100 uF between 2.0 and 3.6 V, 0.25 nJ per cycle, a 5 mV guard band.
constexpr StorageFacts kFacts{100e-6f, 2.0f, 3.6f, 0.25e-9f, 0.005f};

double cyclesOfVolts(double v) { return 0.5 * 100e-6 * (v * v - 4.0) / 0.25e-9; }

// A capacitor the test drives: its voltage, the device's counter, and
// what the comparator was asked.
struct FakeSensor final : EnergySensor {
  double volts = 3.0;
  std::uint32_t counter = 0;
  int conversions = 0;
  std::uint32_t wake = 0, floor = 0;
  std::uint32_t cycleCounter() override { return counter; }
  std::uint32_t readCapacitorMillivolts() override {
    ++conversions;
    return static_cast<std::uint32_t>(std::lround(volts * 1000));
  }
  float sleepSeconds = 1.0f;
  float limit = 0;
  bool sleepUntilMillivolts(std::uint32_t w, std::uint32_t f, float maxSeconds, float& seconds) override {
    limit = maxSeconds;
    wake = w;
    floor = f;
    seconds = sleepSeconds;
    return true;
  }
};

}  // namespace

TEST(SensedEnergy, AReadingGivesTheStoredEnergyAboveVOffLessTheGuard) {
  FakeSensor sensor;
  SensedEnergyMonitor monitor(sensor, kFacts);
  const double expected = cyclesOfVolts(3.0 - 0.005);
  EXPECT_NEAR(monitor.cyclesLeft(), expected, expected * 1e-4);
  EXPECT_EQ(sensor.conversions, 1);
  sensor.volts = 1.9;
  EXPECT_EQ(cyclesAt(kFacts, 1.9f), 0u) << "below V_off nothing is usable";
  EXPECT_EQ(cyclesAt(kFacts, 2.0f), 0u);
}

TEST(SensedEnergy, BetweenReadingsItCountsDownWithoutCreditingHarvest) {
  FakeSensor sensor;
  SensedEnergyMonitor monitor(sensor, kFacts);
  const std::uint32_t first = monitor.cyclesLeft();
  sensor.volts = 3.5;  // harvest arrives, but the device cannot know it until it reads again
  sensor.counter += 1000;
  EXPECT_EQ(monitor.cyclesLeft(), first - 1000);
  EXPECT_EQ(sensor.conversions, 1) << "no reading while the last one is fresh";
  // A quarter of what the reading allowed spent: read again, harvest credited.
  sensor.counter += first / 4;
  const std::uint32_t after = monitor.cyclesLeft();
  EXPECT_EQ(sensor.conversions, 2);
  EXPECT_NEAR(after, cyclesOfVolts(3.5 - 0.005), cyclesOfVolts(3.5) * 1e-4);
}

TEST(SensedEnergy, ReadingsGrowFrequentAsEnergyRunsLowButNotWithoutBound) {
  FakeSensor sensor;
  sensor.volts = 2.01;  // about 4,000 cycles left
  SensedEnergyMonitor monitor(sensor, kFacts);
  (void)monitor.cyclesLeft();
  for (int i = 0; i < 100; ++i) {
    sensor.counter += 10;
    (void)monitor.cyclesLeft();
  }
  EXPECT_EQ(sensor.conversions, 1) << "never more often than every kMinCyclesBetweenReadings";
  sensor.counter += kMinCyclesBetweenReadings;
  EXPECT_EQ(monitor.cyclesLeft(), cyclesAt(kFacts, 2.01f - 0.005f));
  EXPECT_EQ(sensor.conversions, 2);
}

TEST(SensedEnergy, SleepsOnComparatorThresholdsAndReadsAgainOnWaking) {
  FakeSensor sensor;
  SensedEnergyMonitor monitor(sensor, kFacts);
  (void)monitor.cyclesLeft();
  const std::uint32_t want = static_cast<std::uint32_t>(cyclesOfVolts(3.2));
  const std::uint32_t floor = static_cast<std::uint32_t>(cyclesOfVolts(2.4));
  EXPECT_TRUE(monitor.sleepUntil(want, floor));
  // The thresholds hold the energy asked for above the guard band, rounded up.
  EXPECT_NEAR(sensor.wake, 3205, 1);
  EXPECT_NEAR(sensor.floor, 2405, 1);
  EXPECT_TRUE(monitor.sleepUntil(want, 0));
  EXPECT_EQ(sensor.floor, 0u) << "no floor: sleep on into the brown-out";
  EXPECT_TRUE(monitor.sleepUntil(0xFFFFFFFFu, 0));
  EXPECT_EQ(sensor.wake, 3605u) << "never above the converter's ceiling (plus the guard)";
  sensor.volts = 3.2;
  const int before = sensor.conversions;
  (void)monitor.cyclesLeft();
  EXPECT_EQ(sensor.conversions, before + 1) << "the level changed while asleep";
}

// The harvest is measured over sleeps (the energy gained plus what the board
// drew asleep, over the real-time clock's seconds) and kept in NVM for the
// next boots; before it is measured, the board cannot weigh a shutdown.
TEST(SensedEnergy, MeasuresTheHarvestOverSleepsAndKeepsItAcrossBoots) {
  StorageFacts facts = kFacts;
  facts.vOn = 3.0f;
  facts.sleepWatts = 4e-6f;
  facts.shutdownWatts = 0.35e-6f;
  alignas(4) std::uint8_t bytes[HarvestRecord::kBytes] = {};
  MemoryNvm nvm(bytes, sizeof bytes);
  HarvestRecord memory(nvm, 0, kHarvestRecordMagic);
  FakeSensor sensor;
  sensor.volts = 2.2;
  {
    SensedEnergyMonitor monitor(sensor, facts, &memory);
    WaitState w{};
    ASSERT_TRUE(monitor.waitOutlook(w));
    EXPECT_LT(w.harvest, 0) << "not measured yet";
    EXPECT_NEAR(w.sleepDraw, 4e-6 / 0.25e-9, 1);
    EXPECT_NEAR(w.atOn, cyclesOfVolts(3.0), 1);
    // 10 s asleep from 2.2 V to 2.3 V: C V dV = 22.5 uJ gained, 40 uJ drawn: 6.25 uW arrived.
    sensor.sleepSeconds = 10.0f;
    (void)monitor.cyclesLeft();
    (void)monitor.sleepUntil(static_cast<std::uint32_t>(cyclesOfVolts(2.3)), 0);
    sensor.volts = 2.3;
    (void)monitor.cyclesLeft();
    EXPECT_NEAR(monitor.harvestWatts(), 6.25e-6, 0.1e-6);
    ASSERT_TRUE(monitor.waitOutlook(w));
    EXPECT_NEAR(w.harvest, 6.25e-6 / 0.25e-9, 500);
  }
  // The next boot knows it at once.
  SensedEnergyMonitor next(sensor, facts, &memory);
  EXPECT_NEAR(next.harvestWatts(), 6.25e-6, 0.1e-6);
  // Brown-outs measure nothing: after kBrownOutsPerMeasurement of them (each
  // counted in NVM across the boots), a wait must measure again.
  for (std::uint32_t k = 0; k < kBrownOutsPerMeasurement; ++k) {
    SensedEnergyMonitor boot(sensor, facts, &memory);
    WaitState w{};
    ASSERT_TRUE(boot.waitOutlook(w));
    EXPECT_TRUE(w.brownOutAllowed) << "brown-out " << k;
    boot.brownOutComing();
  }
  {
    SensedEnergyMonitor stale(sensor, facts, &memory);
    WaitState w{};
    ASSERT_TRUE(stale.waitOutlook(w));
    EXPECT_FALSE(w.brownOutAllowed) << "the estimate is stale";
    sensor.sleepSeconds = 10.0f;
    (void)stale.cyclesLeft();
    (void)stale.sleepUntil(static_cast<std::uint32_t>(cyclesOfVolts(2.4)), 0);
    sensor.volts = 2.4;
    (void)stale.cyclesLeft();
    ASSERT_TRUE(stale.waitOutlook(w));
    EXPECT_TRUE(w.brownOutAllowed) << "measured again";
  }
  // A board that cannot shut down has no outlook.
  facts.shutdownWatts = facts.sleepWatts;
  SensedEnergyMonitor cannot(sensor, facts);
  WaitState w{};
  EXPECT_FALSE(cannot.waitOutlook(w));
  // Nor may a board without memory across boots skip measuring.
  facts.shutdownWatts = 0.35e-6f;
  SensedEnergyMonitor forgetful(sensor, facts);
  ASSERT_TRUE(forgetful.waitOutlook(w));
  EXPECT_FALSE(w.brownOutAllowed);
}
