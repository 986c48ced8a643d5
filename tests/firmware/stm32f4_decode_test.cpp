// The NUCLEO board's supervisor decodings against RM0402 / DS11139.
#include "stm32f4_decode.hpp"

#include <gtest/gtest.h>

using namespace aidi::fw::f412;
using aidi::proto::ResetCause;

TEST(Stm32f4Decode, PvdLevelsAreTheDatasheetsUnevenSteps) {
  EXPECT_EQ(pvdLevelAtLeast(2.0f), 0u);
  EXPECT_EQ(pvdLevelAtLeast(2.2f), 2u) << "2.2 V is not a level: the next up is 2.3 V";
  EXPECT_EQ(pvdLevelAtLeast(2.4f), 3u) << "nor is 2.4 V: 2.5 V";
  EXPECT_EQ(pvdLevelAtLeast(2.9f), 7u);
  EXPECT_EQ(pvdLevelAtLeast(3.3f), 7u) << "above every level: the highest";
  EXPECT_FLOAT_EQ(kPvdLevelVolts[pvdLevelAtLeast(2.7f + 0.2f)], 2.9f)
      << "V_off 2.7 V + 0.2 V arms 0.2 V above V_off, not at it";
}

TEST(Stm32f4Decode, APowerOnIsNotABrownOut) {
  constexpr std::uint32_t bor = 1u << 25, pin = 1u << 26, por = 1u << 27, sft = 1u << 28, iwdg = 1u << 29;
  EXPECT_EQ(resetCauseOf(por | bor | pin), ResetCause::PowerOn) << "BORRSTF is set on every power-on";
  EXPECT_EQ(resetCauseOf(bor | pin), ResetCause::BrownOut);
  EXPECT_EQ(resetCauseOf(iwdg | pin), ResetCause::Watchdog) << "PINRSTF comes with every internal reset";
  EXPECT_EQ(resetCauseOf(sft | pin), ResetCause::Software);
  EXPECT_EQ(resetCauseOf(pin), ResetCause::Pin);
  EXPECT_EQ(resetCauseOf(0), ResetCause::Unknown);
}

TEST(Stm32f4Decode, BorLevelsAndWaitStates) {
  EXPECT_FLOAT_EQ(borThresholdVolts(0x0FFFAAEC), 0.0f) << "the factory value: BOR off";
  EXPECT_FLOAT_EQ(borThresholdVolts(0x0FFFAAE0), 2.7f);
  EXPECT_FLOAT_EQ(borThresholdVolts(0x0FFFAAE4), 2.4f);
  EXPECT_FLOAT_EQ(borThresholdVolts(0x0FFFAAE8), 2.1f);
  EXPECT_EQ(flashWaitStates(25'000'000, 2.7f), 0u);
  EXPECT_EQ(flashWaitStates(25'000'000, 1.7f), 1u) << "below 2.1 V, 16 MHz per wait state";
  EXPECT_EQ(flashWaitStates(100'000'000, 2.7f), 3u);
  EXPECT_EQ(flashWaitStates(100'000'000, 2.4f), 4u);
  EXPECT_EQ(flashWaitStates(30'000'000, 2.7f), 0u);
  EXPECT_EQ(flashWaitStates(30'000'001, 2.7f), 1u);
}

TEST(Stm32f4Decode, VddFromTheReferenceReading) {
  constexpr std::uint32_t cal = 1500;  // a typical VREFINT_CAL (1.21 V of 3.3 V in 12 bits)
  EXPECT_EQ(vddMillivolts(cal, cal), 3300u) << "at the calibration's own supply";
  EXPECT_NEAR(vddMillivolts(cal, 1833), 2700u, 2u) << "a lower supply reads the reference higher";
  EXPECT_NEAR(vddMillivolts(cal, 1375), 3600u, 2u);
  EXPECT_EQ(vddMillivolts(cal, 0), 0u);
}
