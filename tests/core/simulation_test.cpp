// One inference on the virtual board under intermittent power, end to end:
// firmware runtime, power shim, harvester model, telemetry, energy bound.
#include "aidi/core/simulation.hpp"

#include <gtest/gtest.h>

#include "../firmware/model_fixtures.hpp"
#include "model_view.hpp"

using namespace aidi;

namespace {
core::SimulationRequest request(const std::string& model, const std::string& policy, double capacitanceF,
                                const std::string& trace = "indoor-strong") {
  core::SimulationRequest r;
  r.modelDirectory = test::fixturesDir() / "models" / model;
  r.subset = test::fixturesDir() / "fashion-mnist" / "test-1000.bin";
  r.policy = policy;
  auto board = core::findBoardProfile(core::kDefaultBoard);
  EXPECT_TRUE(board) << board.error().message;
  r.board = *board;
  r.storage = r.board.storage(capacitanceF);
  auto loaded = inst::HarvestTrace::load(test::fixturesDir() / "traces" / (trace + ".csv"));
  EXPECT_TRUE(loaded);
  r.trace = *loaded;
  return r;
}

int expectedPrediction(const std::string& model, std::size_t sample) {
  return test::loadJson(test::fixturesDir() / "models" / model / "expected.json")["predictions"][sample];
}
}  // namespace

// A full MCUNet-class inference under weak indoor light (~31 uW).
TEST(Simulation, McunetUnderWeakSolarPredictsLikeTheContinuousRun) {
  auto r = core::simulate(request("mcunet-s", "loop", 100e-6, "indoor-weak"));
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->finished) << r->failure;
  EXPECT_EQ(r->predicted, expectedPrediction("mcunet-s", 0));
  EXPECT_GT(r->cycles.size(), 10u) << "100 uF cannot hold the inference: it must span power cycles";
  EXPECT_GT(r->checkpoints(), 100u);
  EXPECT_GE(r->latencyS, r->energyBoundS) << "nothing beats the energy-bound limit";
  EXPECT_GT(r->deviceInstructions, r->plainInstructions) << "the runtime's work counts against it";
  // A brown-out can cut the frame being written (the next boot's delimiter
  // then ends it): at most one lost frame per power loss.
  EXPECT_LE(r->decoder.droppedFrames(), r->cycles.size() - 1);
  // The overhead split accounts for every instruction beyond the plain inference.
  EXPECT_EQ(r->restoreCycles.size(), r->cycles.size()) << "one Boot frame per power cycle";
  EXPECT_GT(r->overhead.boot, 0u);
  EXPECT_GT(r->overhead.reexecuted, 0u) << "brown-outs strike mid-job";
  EXPECT_GT(r->overhead.checkpoint, 0u);
  EXPECT_EQ(r->plainInstructions + r->overhead.boot + r->overhead.reexecuted + r->overhead.checkpoint,
            r->deviceInstructions);

  // The energy split, from the board's activity marks: its parts add up to
  // the active energy the ledger charged; NVM transfers ran at the board's
  // transfer power and the rest at its running power; brown-outs lost work;
  // every layer of the model has its share.
  const auto board = core::findBoardProfile("mps2-an386");
  ASSERT_TRUE(board);
  const auto energy = core::deviceEnergy(*r, *board);
  ASSERT_TRUE(energy.split);
  const auto& split = *energy.split;
  EXPECT_NEAR(split.activeJ(), energy.activeJ, 1e-9 * energy.activeJ);
  double onS = 0;
  for (const auto& c : r->cycles) {
    onS += c.onS;
    for (const auto& a : c.activity) {
      if (a.seconds <= 0) continue;
      const bool transfer = a.mode == inst::DeviceMode::NvmRead || a.mode == inst::DeviceMode::NvmWrite;
      EXPECT_NEAR(a.joules / a.seconds, transfer ? board->transferPowerW() : board->runningPowerW(), 1e-9)
          << inst::deviceModeName(a.mode) << " on layer " << a.layer;
    }
  }
  EXPECT_GT(energy.activeJ, onS * board->runningPowerW()) << "transfers draw more than running";
  EXPECT_GT(split.computeJ, 0.0);
  EXPECT_GT(split.nvmJ, 0.0);
  EXPECT_GT(split.bootJ, 0.0);
  EXPECT_GT(split.reexecutedJ, 0.0) << "brown-outs strike mid-job";
  ASSERT_GT(split.layers.size(), 10u);
  for (std::size_t i = 0; i < split.layers.size(); ++i) {
    EXPECT_EQ(split.layers[i].layer, static_cast<std::int32_t>(i)) << "every layer, in order";
    EXPECT_GT(split.layers[i].computeJ, 0.0) << "layer " << i;
  }
}

TEST(Simulation, TheSameRunTwiceGivesTheSameDeviceCycles) {
  auto a = core::simulate(request("inas-tiny", "aidi", 22e-6));
  auto b = core::simulate(request("inas-tiny", "aidi", 22e-6));
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->finished && b->finished);
  EXPECT_EQ(a->predicted, expectedPrediction("inas-tiny", 0));
  EXPECT_EQ(a->deviceInstructions, b->deviceInstructions);
  EXPECT_EQ(a->cycles.size(), b->cycles.size());
  EXPECT_DOUBLE_EQ(a->latencyS, b->latencyS);
  EXPECT_EQ(a->plainInstructions, b->plainInstructions);
}

// The published runtimes finish on the virtual board with the plain
// inference's prediction; iNAS runs the plan the bench searched for this
// capacitor (one commit per planned tile) and the result records it.
TEST(Simulation, ThePublishedRuntimesFinishAndInasRunsTheHostsPlan) {
  for (const char* policy : {"hawaii", "stateful", "dynbal", "inas", "sonic"}) {
    auto r = core::simulate(request("mcunet-s", policy, 100e-6));
    ASSERT_TRUE(r) << policy << ": " << r.error().message;
    ASSERT_TRUE(r->finished) << policy << ": " << r->failure;
    EXPECT_EQ(r->predicted, expectedPrediction("mcunet-s", 0)) << policy;
    if (std::string(policy) != "inas") {
      EXPECT_TRUE(r->jobPlan.empty()) << policy << " plans on the device";
      continue;
    }
    const auto model = test::readBytes(test::fixturesDir() / "models" / "mcunet-s" / "model.aidi");
    fw::ModelView view;
    ASSERT_EQ(view.parse(model.data(), static_cast<std::uint32_t>(model.size())), fw::ModelStatus::Ok);
    ASSERT_EQ(r->jobPlan.size(), view.layerCount());
    std::size_t tiles = 0;
    for (std::uint16_t i = 0; i < view.layerCount(); ++i) {
      const auto rows = view.tensor(view.layer(i).output).shape.h;
      ASSERT_GE(r->jobPlan[i], 1);
      ASSERT_LE(r->jobPlan[i], rows);
      tiles += (rows + r->jobPlan[i] - 1) / r->jobPlan[i];
    }
    EXPECT_EQ(r->checkpoints(), tiles) << "a commit per tile of the host's plan";
    EXPECT_FALSE(core::planText(r->jobPlan).empty());
  }
}

// A recorded iNAS plan replays as it was; one that does not fit the model
// (a layer without rows per job) is refused by the device, naming the layer.
TEST(Simulation, AnInasPlanReplaysAndABrokenOneIsRefusedByTheDevice) {
  auto searched = core::simulate(request("inas-tiny", "inas", 100e-6));
  ASSERT_TRUE(searched && searched->finished) << (searched ? searched->failure : searched.error().message);
  auto replay = request("inas-tiny", "inas", 100e-6);
  replay.inasPlan = searched->jobPlan;
  auto again = core::simulate(replay);
  ASSERT_TRUE(again && again->finished);
  EXPECT_EQ(again->jobPlan, searched->jobPlan);
  EXPECT_EQ(again->checkpoints(), searched->checkpoints());
  auto broken = replay;
  broken.inasPlan.assign(searched->jobPlan.size(), 1);
  broken.inasPlan[2] = 0;
  auto refused = core::simulate(broken);
  ASSERT_TRUE(refused || !refused.error().message.empty());
  const std::string why = refused ? refused->failure : refused.error().message;
  EXPECT_FALSE(refused && refused->finished);
  EXPECT_NE(why.find("no iNAS plan"), std::string::npos) << why;
}

// An NVM that takes no writes (an absent or write-protected FRAM) is caught
// by the device's boot-time read-back, for every engine, before it runs
// anything on it: no garbage prediction, no inference restarted for ever.
TEST(Simulation, ADeviceWhoseNvmTakesNoWritesRefusesToRun) {
  for (const char* policy : {"aidi", "loop", "sonic"}) {
    auto r = request("inas-tiny", policy, 100e-6);
    r.nvmFault = true;
    auto run = core::simulate(r);
    ASSERT_TRUE(run) << policy << ": " << run.error().message;
    EXPECT_FALSE(run->finished) << policy;
    EXPECT_EQ(run->predicted, -1) << policy;
    EXPECT_NE(run->failure.find("device error 20: NVM not responding"), std::string::npos) << policy << ": " << run->failure;
  }
  auto healthy = core::simulate(request("inas-tiny", "loop", 100e-6));
  ASSERT_TRUE(healthy && healthy->finished) << "the same run without the fault";
}

TEST(Simulation, LayerPolicyReportsDidNotFinishInsteadOfLooping) {
  auto r = core::simulate(request("mcunet-s", "layer", 100e-6));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->finished);
  EXPECT_NE(r->failure.find("did not finish"), std::string::npos) << r->failure;
  EXPECT_LT(r->cycles.size(), 100u) << "the progress watchdog stops it early";
}

TEST(Simulation, BadRequestsAreClearErrors) {
  auto unknown = request("inas-tiny", "sometimes", 100e-6);
  auto r = core::simulate(unknown);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("unknown policy"), std::string::npos);
  auto missing = request("no-such-model", "aidi", 100e-6);
  r = core::simulate(missing);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("model file not found"), std::string::npos);
  auto negative = request("inas-tiny", "aidi", -1e-6);
  r = core::simulate(negative);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "capacitance must be positive");
}

// The aidi policy keeps activations in SRAM and sleeps, powered, for energy
// (or checkpoints and shuts down, its choice): under a positive harvest the
// run never browns out, so it re-executes nothing, writes little to NVM, and
// uses fewer device instructions than checkpointing every row. (A 100 uF
// capacitor holds only part of mcunet-s's energy; 1 mF holds it all.)
TEST(Simulation, AidiSleepsForEnergyInsteadOfBrowningOut) {
  auto aidi = core::simulate(request("mcunet-s", "aidi", 100e-6, "rf-bursts"));
  ASSERT_TRUE(aidi) << aidi.error().message;
  ASSERT_TRUE(aidi->finished) << aidi->failure;
  EXPECT_EQ(aidi->predicted, expectedPrediction("mcunet-s", 0));
  for (std::size_t i = 0; i + 1 < aidi->cycles.size(); ++i)
    EXPECT_GT(aidi->cycles[i].shutdownS, 0.0) << "cycle " << i << " browned out instead of shutting down";
  const auto energy = core::deviceEnergy(*aidi, *core::findBoardProfile("mps2-an386"));
  ASSERT_TRUE(energy.split);
  EXPECT_EQ(energy.split->reexecutedJ, 0.0) << "no work lost under a positive harvest";
  EXPECT_GT(aidi->cycles[0].sleeps, 0u);
  EXPECT_GT(aidi->cycles[0].sleepS, 0.0);
  EXPECT_GE(aidi->latencyS, aidi->energyBoundS);

  auto loop = core::simulate(request("mcunet-s", "loop", 100e-6, "rf-bursts"));
  ASSERT_TRUE(loop && loop->finished);
  EXPECT_LT(aidi->deviceInstructions, loop->deviceInstructions);
  EXPECT_LT(aidi->latencyS, loop->latencyS);
}

// Under a dim harvest (5 uW) a shut-down board's own draw (0.35 uW) is a
// share of what arrives, while a browned-out board draws nothing: after
// its checkpoint aidi runs on into the brown-out (keeping each row while
// the energy pays for it), and shuts down only now and then to measure the
// harvest again (or where a brown-out would cut a row larger than the
// shutdown's draw costs). So it is not slower than HAWAII, which browns out at
// every power cycle and keeps every row.
TEST(Simulation, UnderADimHarvestAidiRunsIntoBrownOutsAndMeasuresNowAndThen) {
  auto aidi = core::simulate(request("mcunet-s", "aidi", 100e-6, "indoor-dim"));
  ASSERT_TRUE(aidi) << aidi.error().message;
  ASSERT_TRUE(aidi->finished) << aidi->failure;
  EXPECT_EQ(aidi->predicted, expectedPrediction("mcunet-s", 0));
  std::size_t shutDown = 0, brownedOut = 0;
  for (std::size_t i = 0; i + 1 < aidi->cycles.size(); ++i) (aidi->cycles[i].shutdownS > 0 ? shutDown : brownedOut)++;
  EXPECT_GT(brownedOut, shutDown) << "mostly brown-outs";
  EXPECT_GT(shutDown, 0u) << "shutdowns measure the harvest now and then (and wait out the largest rows)";
  auto hawaii = core::simulate(request("mcunet-s", "hawaii", 100e-6, "indoor-dim"));
  ASSERT_TRUE(hawaii && hawaii->finished);
  EXPECT_LT(aidi->latencyS, hawaii->latencyS);
}

// A 1 mF capacitor holds nearly all of mcunet-m's energy: the last rows are
// decided on a thin margin. The runtime judges the current layer by what its
// rows really took, so it sleeps for the last bit of energy instead of
// browning out on the last row and waiting ~100 s for the capacitor to
// refill under weak light.
TEST(Simulation, AidiFinishesWithoutABrownOutWhenTheCapacitorNearlySuffices) {
  // 1.6 mF holds nearly all of mcunet-m's ~16.5 M cycles, charged to V_on.
  auto charged = request("mcunet-m", "aidi", 1.6e-3, "indoor-weak");
  charged.window.vStart = charged.storage.vOn;
  auto r = core::simulate(charged);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->finished) << r->failure;
  EXPECT_EQ(r->predicted, expectedPrediction("mcunet-m", 0));
  EXPECT_EQ(r->cycles.size(), 1u) << "a brown-out near the end";
  // Refilling the capacitor from V_off after a brown-out takes ~150 s here;
  // sleeping (the FRAM asleep too, 13 uW in all) for the finishing margin
  // takes ~21 s.
  EXPECT_LT(r->latencyS, 60.0);
}

// When the harvest stops while the device sleeps, it wakes at its checkpoint
// reserve, persists its state, browns out, and finishes correctly once the
// power returns.
TEST(Simulation, AidiSurvivesTheHarvestStoppingWhileAsleep) {
  auto r = request("mcunet-s", "aidi", 100e-6);
  // 0.3 s of weak light, then 40 s of darkness, repeating.
  auto trace = inst::HarvestTrace::parse("time_s,power_w\n0,0.00005\n0.3,0\n40.3,0\n", "dark-spells");
  ASSERT_TRUE(trace) << trace.error().message;
  r.trace = *trace;
  r.maxPowerCycles = 400;
  auto result = core::simulate(r);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_TRUE(result->finished) << result->failure;
  EXPECT_EQ(result->predicted, expectedPrediction("mcunet-s", 0));
  EXPECT_GT(result->cycles.size(), 1u) << "the darkness must have caused brown-outs";
  EXPECT_GT(result->checkpoints(), 1u);
}

// The recorded energy of an inference is what the board drew: its active
// time (its cycles at the clock) at the running power (FRAM in standby) and its powered sleeps at the
// sleeping power (MCU and FRAM asleep); the limit's plain inference runs with
// its FRAM asleep.
TEST(Simulation, RecordedEnergyChargesTheNvmAndTheSleeps) {
  auto board = core::findBoardProfile("mps2-an386");
  ASSERT_TRUE(board) << board.error().message;
  EXPECT_GT(board->nvmStandbyPowerW, 0.0);
  EXPECT_GT(board->nvmSleepPowerW, 0.0);
  EXPECT_EQ(board->nvmWakeCycles(), 6250u);  // 250 us at 25 MHz
  core::SimulationResult r;
  inst::PowerCycleRecord asleep, running;
  asleep.sleepS = 10.0;
  asleep.onS = 0.25;
  asleep.shutdownS = 100.0;
  running.onS = 0.75;  // one second active in all
  r.cycles = {asleep, running};
  EXPECT_NEAR(core::deviceEnergyJ(r, *board),
              board->activePowerW + board->nvmStandbyPowerW + 10.0 * (board->sleepPowerW + board->nvmSleepPowerW) +
                  100.0 * board->shutdownPowerW,
              1e-12);
  EXPECT_GT(board->runningPowerW(), board->plainPowerW());
}

// The virtual board's counting plugin sees what the energy budget pays for:
// its powered instructions are the device's instructions, its cycles weigh
// them by the Cortex-M4's timings and set the simulated time, and the
// telemetry frames are counted apart, off the budget.
TEST(Simulation, ThePluginCountsPoweredCyclesAndTelemetry) {
  auto loop = core::simulate(request("inas-tiny", "loop", 22e-6));
  auto aidi = core::simulate(request("inas-tiny", "aidi", 22e-6));
  ASSERT_TRUE(loop && aidi);
  for (const auto* r : {&*loop, &*aidi}) {
    ASSERT_TRUE(r->finished) << r->failure;
    EXPECT_EQ(r->poweredInstructions, r->deviceInstructions);
    // Time runs on the device's cycles: its active seconds are its cycles at
    // the clock, and its ADC's conversions (10 us each on this board).
    double onS = 0;
    std::uint64_t readings = 0;
    for (const auto& c : r->cycles) onS += c.onS, readings += c.adcReadings;
    EXPECT_NEAR(onS * 25e6, double(r->poweredCycles) + double(readings) * 10e-6 * 25e6, 1.0);
    EXPECT_GT(r->plainCycles, r->plainInstructions) << "loads, stores and taken branches cost more than a cycle";
    EXPECT_LT(r->plainCycles, 3 * r->plainInstructions);
    EXPECT_GT(r->poweredCycles, r->poweredInstructions);
    EXPECT_GT(r->telemetryInstructions, 0u);
    EXPECT_LT(r->telemetryInstructions, r->poweredInstructions);
  }
  // Observation is not charged: the same run reports the same device work
  // and latency however much telemetry it sends (the timer holds meanwhile),
  // so loop's frames per tile cost it nothing aidi's do not.
  EXPECT_GT(double(loop->telemetryInstructions) / double(loop->poweredInstructions),
            double(aidi->telemetryInstructions) / double(aidi->poweredInstructions))
      << "loop reports a checkpoint per loop tile, aidi per band";
}

// Observation is not the runtime: while a telemetry frame is sent the
// budget's timer holds, so the device's own clock (the checkpoints' cycles
// since boot) leaves the frames out, and a policy that reports every tile
// pays nothing for it that one reporting every band does not.
TEST(Simulation, TelemetryIsOffTheEnergyBudget) {
  auto r = core::simulate(request("inas-tiny", "loop", 1e-3));  // one power cycle holds it
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->finished) << r->failure;
  ASSERT_EQ(r->cycles.size(), 1u);
  ASSERT_FALSE(r->checkpointEvents.empty());
  const auto last = r->checkpointEvents.back().cyclesSinceBoot;
  EXPECT_GT(r->telemetryInstructions, 20'000u) << "loop sends a frame per tile";
  // The timer's count (40 instructions a tick) up to the last commit is
  // within the budget's count, not above it by the frames sent before.
  EXPECT_LE(last, r->deviceInstructions + 40);
  EXPECT_GT(last + r->telemetryInstructions / 2, r->deviceInstructions)
      << "last commit at " << last << " of " << r->deviceInstructions;
}

// The aidi engine knows its energy only from what the board senses: ADC
// readings of the capacitor, taken by the device and charged to it; the
// bench's brown-out time (future harvest included) reaches it only when
// the oracle is asked for, to measure what the oracle flattered.
TEST(Simulation, AidiSensesItsEnergyWithTheBoardsAdc) {
  auto sensed = request("mcunet-s", "aidi", 100e-6, "outdoor-clouds");
  auto oracle = sensed;
  oracle.oracleSensing = true;
  auto tile = request("mcunet-s", "fixed-tile", 100e-6, "outdoor-clouds");
  auto a = core::simulate(sensed), o = core::simulate(oracle), t = core::simulate(tile);
  ASSERT_TRUE(a && o && t);
  ASSERT_TRUE(a->finished && o->finished && t->finished) << a->failure << o->failure << t->failure;
  const auto readings = [](const core::SimulationResult& r) {
    std::uint64_t n = 0;
    for (const auto& c : r.cycles) n += c.adcReadings;
    return n;
  };
  EXPECT_GT(readings(*a), 0u);
  EXPECT_LT(readings(*a), 200u) << "read only when a decision needs it";
  EXPECT_EQ(readings(*o), 0u);
  EXPECT_EQ(readings(*t), 0u) << "a static schedule measures nothing";
  EXPECT_EQ(a->logits, o->logits);
  // Not knowing the harvest to come costs time: the device sleeps for energy
  // that the oracle knew would arrive while it ran.
  EXPECT_GT(a->latencyS, o->latencyS);
}

// Under a harvest of a few microwatts a powered sleep (4 uW) keeps little of
// it: aidi measures the harvest and shuts down to wait (0.35 uW) instead,
// checkpointed, so it beats the static schedules there too.
TEST(Simulation, AidiShutsDownToWaitUnderMicrowattHarvest) {
  auto weak = request("mcunet-s", "aidi", 100e-6);
  weak.trace = inst::HarvestTrace::constant(6e-6);
  auto tile = weak;
  tile.policy = "fixed-tile";
  auto a = core::simulate(weak), t = core::simulate(tile);
  ASSERT_TRUE(a && t);
  ASSERT_TRUE(a->finished && t->finished) << a->failure << t->failure;
  EXPECT_EQ(a->predicted, expectedPrediction("mcunet-s", 0));
  int shutdowns = 0;
  double asleep = 0;
  for (const auto& c : a->cycles) shutdowns += c.shutdownS > 0, asleep += c.sleepS;
  EXPECT_GT(shutdowns, 10);
  EXPECT_LT(asleep, 0.1 * a->latencyS) << "little time asleep and powered";
  EXPECT_LT(a->latencyS, t->latencyS);
}

// Continuous operation: the device runs through a window of the trace, an
// inference per request, its NVM and capacitor carried from one to the next
// (QEMU stays up). Requests every 5 s under a desk lamp: every one is served
// well within its period; back to back under a few microwatts: as many as
// the harvest pays for, nearly, and never more.
TEST(Simulation, ContinuousOperationServesRequestsAndStaysWithinTheHarvest) {
  auto lamp = request("inas-tiny", "aidi", 100e-6);
  lamp.window.vStart = lamp.storage.vOn;
  lamp.continuous = core::ContinuousPlan{120.0, 5.0, 2.0};
  auto r = core::simulateContinuous(lamp);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->completions.size(), 24u);
  EXPECT_EQ(r->dropped, 0u);
  EXPECT_EQ(r->disagreeing, 0u);
  EXPECT_EQ(r->predicted, expectedPrediction("inas-tiny", 0));
  EXPECT_EQ(r->missed(2.0), 0u);
  for (std::size_t k = 0; k < r->completions.size(); ++k) {
    EXPECT_EQ(r->completions[k].id, k + 1);
    EXPECT_DOUBLE_EQ(r->completions[k].arrivalS, 5.0 * static_cast<double>(k));
    EXPECT_GT(r->completions[k].doneS, r->completions[k].arrivalS);
  }
  EXPECT_NEAR(r->perDay(), 24 * 86400.0 / 120, 1e-6);

  auto dim = request("inas-tiny", "aidi", 100e-6);
  dim.trace = inst::HarvestTrace::constant(6e-6);
  dim.continuous = core::ContinuousPlan{600.0, 0.0, 0.0};
  auto d = core::simulateContinuous(dim);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->disagreeing, 0u);
  EXPECT_GT(d->completions.size(), 0.5 * d->boundInferences) << d->boundInferences;
  EXPECT_LT(d->completions.size(), d->boundInferences);
  EXPECT_DOUBLE_EQ(d->darkS, 0);
}
