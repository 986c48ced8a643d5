// The aidi policy's energy decision as a table: energy state in, action and
// sleep targets out. Every branch of decideEnergy() has a row, with the
// expected numbers worked out by hand from the rules in aidi_decision.hpp.
#include "aidi_decision.hpp"

#include <gtest/gtest.h>

using namespace aidi::fw;

namespace {
struct Row {
  const char* what;
  EnergyState state;
  EnergyAction action;
  std::uint32_t want, floor;
};
}  // namespace

TEST(AidiDecision, TableOfEnergyStates) {
  // reserve 10,000 and nextRow 4,000: headroom = 4,000 + 5,000 = 9,000.
  const Row rows[] = {
      {"the energy covers the rest with its 3 % margin and the final commit: finish",
       {200'000, 10'000, 4'000, 100'000.f, 2'000.f, false, false}, EnergyAction::Finish, 0, 0},
      {"just short of the margin: not a finish (103,000 + 2,000 needed)",
       {104'999, 10'000, 4'000, 100'000.f, 2'000.f, false, false}, EnergyAction::Run, 0, 0},
      {"a finish wins even with nothing to save",
       {200'000, 10'000, 4'000, 100'000.f, 2'000.f, true, false}, EnergyAction::Finish, 0, 0},
      {"nothing unsaved and no progress: running on risks nothing",
       {500, 10'000, 4'000, 100'000.f, 2'000.f, true, false}, EnergyAction::Run, 0, 0},
      {"below the reserve: checkpoint, then sleep for the finish (100,000 x 1.03 x 1.01 + 2,000)",
       {9'999, 10'000, 4'000, 100'000.f, 2'000.f, false, false}, EnergyAction::CheckpointThenSleep, 106'030, 0},
      {"woke at the floor last time: checkpoint before sleeping again",
       {15'000, 10'000, 4'000, 100'000.f, 2'000.f, false, true}, EnergyAction::CheckpointThenSleep, 106'030, 0},
      {"above the reserve, within the headroom: sleep powered, wake early at the reserve",
       {18'999, 10'000, 4'000, 100'000.f, 2'000.f, false, false}, EnergyAction::Sleep, 106'030, 10'000},
      {"at reserve + headroom: enough for the next band",
       {19'000, 10'000, 4'000, 100'000.f, 2'000.f, false, false}, EnergyAction::Run, 0, 0},
      {"a long rest (10 M cycles): sleep for half of it plus the final commit",
       {12'000, 10'000, 4'000, 10'000'000.f, 2'000.f, false, false}, EnergyAction::Sleep, 5'002'000, 10'000},
      {"a long rest but a large reserve: never wake with less than twice reserve + headroom",
       {3'000'000, 2'000'000, 100'000, 10'000'000.f, 2'000.f, false, false}, EnergyAction::Sleep, 6'200'000, 2'000'000},
      {"... but never for more than the finish needs",
       {3'000'000, 2'000'000, 100'000, 3'000'000.f, 2'000.f, false, false}, EnergyAction::Sleep, 3'122'900, 2'000'000},
      {"a rest too long to count in 32 bits: the largest request",
       {12'000, 10'000, 4'000, 1e10f, 2'000.f, false, false}, EnergyAction::Sleep, 0xFFFFFFFFu, 10'000},
  };
  for (const auto& r : rows) {
    const EnergyDecision d = decideEnergy(r.state);
    EXPECT_EQ(d.action, r.action) << r.what;
    if (r.action == EnergyAction::Sleep || r.action == EnergyAction::CheckpointThenSleep) {
      EXPECT_NEAR(static_cast<double>(d.want), static_cast<double>(r.want), r.want * 1e-6 + 1) << r.what;
      EXPECT_EQ(d.floor, r.floor) << r.what;
    }
  }
}

// Whatever the state, a sleep asks for more energy than it has, and a
// checkpointed sleep never wakes early (floor 0).
TEST(AidiDecision, SleepsAlwaysAskForMoreThanTheyHave) {
  for (std::uint32_t left : {0u, 1'000u, 50'000u, 400'000u}) {
    for (float rest : {1e3f, 1e5f, 3e6f, 5e7f}) {
      for (bool fell : {false, true}) {
        const EnergyState s{left, 20'000, 8'000, rest, 3'000.f, false, fell};
        const EnergyDecision d = decideEnergy(s);
        if (d.action == EnergyAction::Sleep || d.action == EnergyAction::CheckpointThenSleep) {
          EXPECT_GT(d.want, left) << left << " " << rest;
        }
        if (d.action == EnergyAction::CheckpointThenSleep) {
          EXPECT_EQ(d.floor, 0u);
        }
        if (d.action == EnergyAction::Sleep) {
          EXPECT_LT(d.floor, d.want);
        }
      }
    }
  }
}

// Sleep powered or shut down to wait for energy, as a table. A 100 uF board
// at V_off + 20 %: atOn 700,000 cycles above V_off, left 140,000, so a
// shutdown recharges 560,000 and wakes only at V_on; a wake-up of 100,000
// keeps 82 % of a charge. Times in seconds when harvest and draws are in
// cycles per second.
TEST(AidiDecision, SleepOrShutDownToWait) {
  struct WaitRow {
    const char* what;
    WaitState state;
    bool shutDown;
  };
  // harvest, sleepDraw, shutdownDraw, left, atOn, wakeCost, want
  const WaitRow rows[] = {
      {"harvest not measured yet: sleep (and measure it)",
       {-1.f, 500.f, 25.f, 140'000.f, 700'000.f, 100'000.f, 400'000.f, false}, false},
      {"asleep the board draws more than arrives: shut down",
       {400.f, 500.f, 25.f, 140'000.f, 700'000.f, 100'000.f, 400'000.f, false}, true},
      {"... even when a shutdown drains too (it drains least)",
       {10.f, 500.f, 25.f, 140'000.f, 700'000.f, 100'000.f, 400'000.f, false}, true},
      {"a weak harvest, a little wanted: sleep 40 s rather than wait 575 s for V_on",
       {1'000.f, 500.f, 25.f, 140'000.f, 700'000.f, 100'000.f, 160'000.f, false}, false},
      {"a weak harvest, most of a charge wanted: 575 s to V_on beats 780 s asleep",
       {1'000.f, 500.f, 25.f, 140'000.f, 700'000.f, 100'000.f, 530'000.f, false}, true},
      {"more than a charge holds: 2,860,000 / (975 x 0.82) = 3,571 s beats 5,720 s asleep",
       {1'000.f, 500.f, 25.f, 140'000.f, 700'000.f, 100'000.f, 3'000'000.f, false}, true},
      {"... not when the wake-up eats most of each charge",
       {1'000.f, 500.f, 25.f, 140'000.f, 700'000.f, 400'000.f, 3'000'000.f, false}, false},
      {"a strong harvest: the sleep's draw is noise, the wake-up is not",
       {20'000.f, 500.f, 25.f, 140'000.f, 700'000.f, 100'000.f, 3'000'000.f, false}, false},
      {"a wake-up larger than the recharge: never",
       {600.f, 500.f, 25.f, 140'000.f, 700'000.f, 600'000.f, 3'000'000.f, false}, false},
  };
  for (const auto& r : rows) EXPECT_EQ(shutDownToWait(r.state), r.shutDown) << r.what;
  // When more inferences follow, a charge to V_on is not wasted beyond the
  // want: the rates decide (975 x 0.82 = 800 per second against 1.1 x 500).
  WaitState next{1'000.f, 500.f, 25.f, 140'000.f, 700'000.f, 100'000.f, 160'000.f, true};
  EXPECT_TRUE(shutDownToWait(next)) << "a little wanted, but more work follows";
  next.harvest = 20'000.f;
  EXPECT_FALSE(shutDownToWait(next)) << "a strong harvest: sleep";
}

// After the checkpoint, shut down (drawing 25 a second, keeping what is
// left) or run on into the brown-out (rows kept while the energy pays for
// them, the one it cuts lost; then nothing drawn from V_off to V_on).
TEST(AidiDecision, BrownOutRatherThanShutDownWhenItReachesVOnSooner) {
  // harvest, sleepDraw, shutdownDraw, left, atOn, wakeCost, want, moreWork, brownOutAllowed, brownOutLoss
  WaitState w{100.f, 500.f, 25.f, 14'000.f, 700'000.f, 100'000.f, 400'000.f, false, true, 50'000.f};
  // Shut down: 686,000 / 75 = 9,147 s; browned out: 736,000 / 100 = 7,360 s.
  EXPECT_TRUE(brownOutToWait(w)) << "a weak harvest: the shutdown's draw is a quarter of it";
  w.brownOutLoss = 300'000.f;  // 986,000 / 100 = 9,860 s
  EXPECT_FALSE(brownOutToWait(w)) << "a brown-out would cut more work than the shutdown draws";
  w.brownOutLoss = 50'000.f;
  w.harvest = 20'000.f;  // 34.3 s against 36.8 s
  EXPECT_FALSE(brownOutToWait(w)) << "a strong harvest: the shutdown's draw is noise";
  w.harvest = 10.f;
  EXPECT_TRUE(brownOutToWait(w)) << "a harvest below the shutdown's draw never reaches V_on shut down";
  w.left = 700'000.f;
  EXPECT_FALSE(brownOutToWait(w)) << "already at V_on: nothing to wait for";
  w.left = 14'000.f;
  w.brownOutAllowed = false;
  EXPECT_FALSE(brownOutToWait(w)) << "the estimate is stale: a shutdown measures it";
  w.brownOutAllowed = true;
  w.harvest = -1.f;
  EXPECT_FALSE(brownOutToWait(w)) << "not measured yet";
  w.harvest = 0.f;
  EXPECT_FALSE(brownOutToWait(w)) << "dark: it would never wake either way; keep what is left";
}
