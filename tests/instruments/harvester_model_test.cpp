#include "aidi/inst/harvester_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace aidi::inst;

namespace {
StorageParams params(double c = 1e-3) {
  StorageParams p;
  p.capacitanceF = c;
  p.vOn = 3.0;
  p.vOff = 2.0;
  p.vMax = 3.6;
  p.efficiency = 0.8;
  return p;
}
}  // namespace

// No input: t = C (V_on^2 - V_off^2) / (2 P_load) = 1e-3 * 5 / 2 / 5e-3 = 0.5 s.
TEST(HarvesterModel, NoInputDischargeMatchesTheClosedForm) {
  HarvesterModel m(params(), HarvestTrace::constant(0), 3.0);
  EXPECT_NEAR(m.timeUntilBrownOut(5e-3, 10), 0.5, 1e-12);
  EXPECT_NEAR(m.run(1.0, 5e-3), 0.5, 1e-12);
  EXPECT_NEAR(m.voltage(), 2.0, 1e-12);
  EXPECT_NEAR(m.time(), 0.5, 1e-12);
}

// Constant input: the load sees eta * P_in back: 2.5 mJ / (5 - 0.8) mW.
TEST(HarvesterModel, ConstantInputDischargeMatchesTheClosedForm) {
  HarvesterModel m(params(), HarvestTrace::constant(1e-3), 3.0);
  EXPECT_NEAR(m.timeUntilBrownOut(5e-3, 10), 2.5e-3 / 4.2e-3, 1e-12);
  EXPECT_TRUE(std::isinf(m.timeUntilBrownOut(0.5e-3, 100))) << "net positive: never browns out";
}

// Charging from V_off to V_on: 2.5 mJ / (0.8 * 1 mW) = 3.125 s.
TEST(HarvesterModel, ChargingTimeMatchesTheClosedForm) {
  HarvesterModel m(params(), HarvestTrace::constant(1e-3), 2.0);
  m.setWindowEnd(100);
  auto t = m.chargeUntilOn();
  ASSERT_TRUE(t);
  EXPECT_NEAR(*t, 3.125, 1e-12);
  EXPECT_NEAR(m.voltage(), 3.0, 1e-12);
}

// Charging waits as long as the physics says, bounded only by the run's
// window; a run that gets no energy says what the trace delivered.
TEST(HarvesterModel, NoHarvestNeverReachesVonAndSaysWhy) {
  HarvesterModel m(params(), HarvestTrace::constant(0), 2.0, 10.0);
  m.setWindowEnd(10.0 + 30 * 86400.0);  // a month: no silent cap on the way
  auto t = m.chargeUntilOn();
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::Timeout);
  EXPECT_NEAR(m.time(), 10.0 + 30 * 86400.0, 1e-6);
  EXPECT_NE(t.error().message.find("no energy: from t = 10 s to the end of the run's window at 2.59201e+06 s"),
            std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("delivered 0 uJ"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("dark for 2.592e+06 s"), std::string::npos) << t.error().message;
  EXPECT_NE(t.error().message.find("reached 2.000 V of V_on = 3.000 V"), std::string::npos) << t.error().message;
  auto again = m.chargeUntilOn();
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("window of simulated time ended"), std::string::npos) << again.error().message;
}

// A night of 12 hours, then light: the charge waits through it (it used to
// stop at 3,600 s).
TEST(HarvesterModel, ChargingWaitsThroughANight) {
  auto trace = HarvestTrace::parse("time_s,power_w\n0,0\n43200,1e-3\n86400,0\n", "night-then-day");
  ASSERT_TRUE(trace) << trace.error().message;
  HarvesterModel m(params(), *trace, 2.0);
  m.setWindowEnd(86400);
  auto t = m.chargeUntilOn();
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_NEAR(*t, 43200 + 3.125, 1e-6);
}

TEST(HarvesterModel, ChargingStopsAtVmaxAndTheSurplusIsWasted) {
  HarvesterModel m(params(), HarvestTrace::constant(10e-3), 3.0);
  EXPECT_NEAR(m.run(10, 1e-3), 10, 1e-12);
  EXPECT_NEAR(m.voltage(), 3.6, 1e-9);
  EXPECT_GT(m.ledger().wastedJ, 0.05);
}

// Power cycles over a varying trace: stored energy change equals the ledger
// (converted - wasted - load - leakage) within 0.1 %.
TEST(HarvesterModel, EnergyIsConservedOverManyPowerCycles) {
  std::string csv = "time_s,power_w\n";
  std::mt19937 rng(1);
  for (int i = 0; i <= 200; ++i) csv += std::to_string(i * 0.05) + "," + std::to_string((rng() % 1000) * 4e-6) + "\n";
  auto trace = HarvestTrace::parse(csv, "random");
  ASSERT_TRUE(trace) << trace.error().message;
  StorageParams p = params(100e-6);
  p.leakageW = 5e-6;
  HarvesterModel m(p, *trace, 3.0);
  const double initial = m.storedEnergyJ();
  int cycles = 0;
  for (; cycles < 300; ++cycles) {
    m.run(1e9, 6e-3);  // until brown-out
    ASSERT_NEAR(m.voltage(), 2.0, 1e-9);
    m.setWindowEnd(m.time() + 1e4);
    auto charged = m.chargeUntilOn();
    ASSERT_TRUE(charged) << charged.error().message;
  }
  const auto& l = m.ledger();
  const double balance = (m.storedEnergyJ() - initial) - (l.convertedJ - l.wastedJ - l.loadJ - l.leakageJ);
  EXPECT_LE(std::abs(balance), 1e-3 * l.convertedJ) << "balance " << balance << " J";
  EXPECT_GT(m.time(), 10.0) << "the trace repeats past its end";
}

TEST(HarvestTrace, HoldsEachSampleAndRepeats) {
  auto t = HarvestTrace::parse("# comment\ntime_s,power_w\n0,1e-3\n1,3e-3\n2,0\n", "t");
  ASSERT_TRUE(t);
  EXPECT_DOUBLE_EQ(t->powerAt(0.5), 1e-3);
  EXPECT_DOUBLE_EQ(t->powerAt(1.5), 3e-3);
  EXPECT_DOUBLE_EQ(t->period(), 2.0);
  EXPECT_DOUBLE_EQ(t->powerAt(2.5), 1e-3);
  EXPECT_NEAR(t->energy(0, 4), 8e-3, 1e-15);
  EXPECT_NEAR(t->meanPower(), 2e-3, 1e-15);
}

TEST(HarvestTrace, BadFilesNameTheLineAndTheProblem) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"time_s,power_w\n0,1e-3\n1,-2e-3\n", "t.csv:3: negative power -2e-3 W"},
      {"time_s,power_w\n0,1e-3\n2,1e-3\n1,1e-3\n", "t.csv:4: times must increase: 1 s after 2.000000 s"},
      {"time_ms,power_mw\n0,1\n", "t.csv:1: header must be \"time_s,power_w\" (seconds, watts), got \"time_ms,power_mw\""},
      {"time_s,power_w\n0,1e-3,7\n", "t.csv:2: expected two columns \"time_s,power_w\", got \"0,1e-3,7\""},
      {"time_s,power_w\n0,lots\n", "t.csv:2: power is not a number: \"lots\""},
      {"time_s,power_w\n0.5,1e-3\n", "t.csv:2: the first sample must be at time 0"},
      {"time_s,power_w\n", "t.csv: a trace needs at least two rows (the last marks its end)"},
      {"time_s,power_w\n0,1e-3\n", "t.csv: a trace needs at least two rows (the last marks its end)"},
      {"", "t.csv: empty trace (no \"time_s,power_w\" header)"},
      // A picosecond period once made the energy model step for ever.
      {"time_s,power_w\n0,0.002\n1e-12,0\n", "t.csv:3: samples 0.000000 s apart; a trace's resolution is at least 1 us"},
      {"time_s,power_w\n0,0.002\n1e12,0\n",
       "t.csv:3: time 1e12 s is beyond the longest trace (315576000.000000 s, ten years)"},
      {"time_s,power_w\n0,250\n1,0\n", "t.csv:2: power 250 W is above 100.000000 W (a trace is in watts, not microwatts?)"},
      {"time_s,power_w\n0,nan\n1,0\n", "t.csv:2: power is not a number: \"nan\""},
      {"time_s,power_w\n0,inf\n1,0\n", "t.csv:2: power is not a number: \"inf\""},
  };
  for (const auto& c : cases) {
    auto t = HarvestTrace::parse(c.text, "t.csv");
    ASSERT_FALSE(t) << c.text;
    EXPECT_EQ(t.error().message, c.message);
  }
  auto missing = HarvestTrace::load("/nonexistent/trace.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "trace file not found: /nonexistent/trace.csv");
}

// Hours of a microsecond-resolution trace are millions of pieces: the walk
// asks its cancel check as it goes and stops when told (Ctrl-C, time limit).
TEST(HarvesterModel, ALongChargeStopsWhenCancelled) {
  std::string csv = "time_s,power_w\n";
  for (int i = 0; i <= 1000; ++i) csv += std::to_string(i * 1e-6) + "," + (i % 2 ? "0" : "1e-9") + "\n";
  auto trace = HarvestTrace::parse(csv, "fine");
  ASSERT_TRUE(trace) << trace.error().message;
  HarvesterModel m(params(1e-3), *trace, 2.0);
  int asked = 0;
  m.setCancel([&] { return ++asked >= 3; });
  m.setWindowEnd(1e6);
  auto charged = m.chargeUntilOn();  // would need ~10^13 pieces
  ASSERT_FALSE(charged);
  EXPECT_EQ(charged.error().code, ErrorCode::Cancelled);
  EXPECT_TRUE(m.cancelled());
  EXPECT_EQ(asked, 3);
  EXPECT_LT(m.time(), 1.0);
}

// Far into a short trace, a step no longer moves the time: the piece lookup
// must still end (it used to loop for ever there).
TEST(HarvestTrace, PieceLookupEndsEvenWherePrecisionRunsOut) {
  auto trace = HarvestTrace::parse("time_s,power_w\n0,1e-3\n0.000001,0\n0.000002,0\n", "short");
  ASSERT_TRUE(trace);
  const double t = 1e12;
  const auto piece = trace->pieceAt(t);
  EXPECT_GT(piece.end, t);
}

// A spreadsheet's CSV export (byte-order mark first) loads; a directory named
// as a trace says so.
TEST(HarvestTrace, AByteOrderMarkIsAcceptedAndADirectoryIsNamed) {
  auto t = HarvestTrace::parse("\xEF\xBB\xBFtime_s,power_w\n0,1e-3\n1,0\n", "bom.csv");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_DOUBLE_EQ(t->powerAt(0.5), 1e-3);
  auto dir = HarvestTrace::load(AIDI_SOURCE_DIR "/fixtures/traces");
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().message.find("is a directory, not a trace file"), std::string::npos) << dir.error().message;
}

TEST(EnergyBound, ComputeBoundWhenTheCapacitorSuffices) {
  // 1e6 cycles at 25 MHz and 5 mW: 0.04 s, 0.2 mJ < 2.5 mJ usable.
  EXPECT_DOUBLE_EQ(energyBoundLatency(params(), HarvestTrace::constant(0), 1e6, 25e6, 5e-3, 0, 3.0, 1e6), 0.04);
}

TEST(EnergyBound, HarvestBoundOtherwise) {
  // 1e8 cycles: 4 s, 20 mJ; 17.5 mJ must be harvested at 0.8 * 1 mW: 21.875 s.
  EXPECT_NEAR(energyBoundLatency(params(), HarvestTrace::constant(1e-3), 1e8, 25e6, 5e-3, 0, 3.0, 1e6), 21.875, 1e-9);
  EXPECT_TRUE(std::isinf(energyBoundLatency(params(), HarvestTrace::constant(0), 1e8, 25e6, 5e-3, 0, 3.0, 1e6)));
}

// From any start state (DESIGN.md): the device first charges to V_on, and a
// capacitor below V_off must first be filled up to it.
TEST(EnergyBound, FromAnyStartState) {
  // From V_off at 1 mW: on after 2.5 mJ / 0.8 mW = 3.125 s, then 0.04 s of compute.
  EXPECT_NEAR(energyBoundLatency(params(), HarvestTrace::constant(1e-3), 1e6, 25e6, 5e-3, 0, 2.0, 1e6), 3.165, 1e-9);
  // From 0 V: on after 4.5 mJ / 0.8 mW = 5.625 s; the energy (2 mJ to V_off
  // and 0.2 mJ of compute) arrives by 2.75 s.
  EXPECT_NEAR(energyBoundLatency(params(), HarvestTrace::constant(1e-3), 1e6, 25e6, 5e-3, 0, 0.0, 1e6), 5.665, 1e-9);
  // Requested at t0 = 5 s of a trace dark until 10 s: 5 s of dark first.
  auto trace = HarvestTrace::parse("time_s,power_w\n0,0\n10,1e-3\n1000,0\n", "dark-then-light");
  ASSERT_TRUE(trace);
  EXPECT_NEAR(energyBoundLatency(params(), *trace, 1e6, 25e6, 5e-3, 5, 2.0, 1e6), 8.165, 1e-9);
  // Never within the horizon: infinite.
  EXPECT_TRUE(std::isinf(energyBoundLatency(params(), *trace, 1e6, 25e6, 5e-3, 5, 2.0, 4.0)));
}

TEST(StorageParams, RejectsImpossibleValues) {
  StorageParams p = params();
  p.capacitanceF = -1e-3;
  EXPECT_FALSE(p.validate());
  p = params();
  p.vOff = 3.5;
  EXPECT_FALSE(p.validate());
  p = params();
  p.efficiency = 1.5;
  EXPECT_FALSE(p.validate());
  EXPECT_TRUE(params().validate());
}

// Found by tools/check_energy_bound.py: after a few periods, a sample time
// like 120.3 s came out of fmod a hair below 0.3 and the previous sample's
// power was used for the whole 0.1 s. Each piece must keep its own power.
TEST(HarvestTrace, PiecesKeepTheirPowerAfterManyPeriods) {
  auto trace = HarvestTrace::parse("time_s,power_w\n0,1\n0.1,2\n0.2,3\n0.3,4\n0.4,5\n0.5,0\n", "pieces");
  ASSERT_TRUE(trace) << trace.error().message;
  for (int k = 0; k < 2000; ++k) {
    for (int j = 0; j < 5; ++j) {
      const double t = k * 0.5 + j * 0.1;
      const auto piece = trace->pieceAt(t);
      ASSERT_GT(piece.end, t);
      // Either the piece that starts at t, or a sliver of its predecessor that ends at t.
      if (piece.power != j + 1) {
        ASSERT_LT(piece.end - t, 1e-9) << "t = " << t;
      } else {
        ASSERT_NEAR(piece.end, t + 0.1, 1e-9) << "t = " << t;
      }
    }
  }
  const double onePeriod = trace->energy(0, 0.5);
  EXPECT_NEAR(onePeriod, 0.1 * (1 + 2 + 3 + 4 + 5), 1e-12);
  EXPECT_NEAR(trace->energy(0, 1000 * 0.5), 1000 * onePeriod, 1e-9 * 1000 * onePeriod);
  // The limit walks the pieces the same way.
  StorageParams storage;
  storage.capacitanceF = 1e-9;  // negligible storage: the harvest decides
  storage.efficiency = 1.0;
  const double activeW = 1000.0, clockHz = 1e9;
  const double cycles = 1.8e9;  // 1.8 s of compute at 1 kW: 1800 J, 600 s of harvest at 3 W mean
  EXPECT_NEAR(energyBoundLatency(storage, *trace, cycles, clockHz, activeW, 0, storage.vOn, 1e6), 600.0, 1e-6);
}
