// Intermittent power on the real QEMU board: the harvester model's power
// cycles, enforced by the firmware's power shim, with a program that keeps
// its progress in NVM. It must finish with the right result, take one boot
// per power cycle, and do exactly the same thing when run again.
#include "aidi/inst/virtual_power.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include "aidi/proto/decoder.hpp"
#include "aidi/proto/messages.hpp"

using namespace aidi;
using namespace std::chrono_literals;

namespace {

struct Outcome {
  std::vector<inst::PowerCycleRecord> cycles;
  proto::InferenceResult result{};
};

Outcome runCounter(double capacitanceF, double inputWatts, bool coldSram = true) {
  inst::QemuBoardConfig config;
  config.coldSram = coldSram;
  config.firmware = std::string(AIDI_FIRMWARE_DIR) + "/aidi-intermittent-counter-mps2-an386.elf";
  config.icountShift = 0;
  config.powerShim = true;
  auto board = inst::QemuBoard::start(config);
  EXPECT_TRUE(board) << board.error().message;
  inst::StorageParams storage;
  storage.capacitanceF = capacitanceF;
  inst::HarvesterModel model(storage, inst::HarvestTrace::constant(inputWatts), storage.vOn);
  inst::VirtualPower power(**board, model, {});
  auto cycles = power.runUntilDone(5000);
  EXPECT_TRUE(cycles) << cycles.error().message;
  Outcome out;
  if (!cycles) return out;
  out.cycles = *cycles;
  proto::FrameDecoder decoder;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  bool got = false;
  while (!got && std::chrono::steady_clock::now() < deadline) {
    std::byte buffer[256];
    auto n = (*board)->telemetry().read(buffer, 200ms);
    if (!n) break;
    for (std::size_t i = 0; i < *n; ++i)
      if (decoder.push(static_cast<std::uint8_t>(buffer[i])) == proto::DecodeResult::Frame)
        got = proto::decodeMessage(decoder.frame(), out.result) == proto::PayloadStatus::Ok;
  }
  EXPECT_TRUE(got) << "no result frame from the device";
  return out;
}


// The counter firmware on a board under a 10 uF capacitor and 100 uW of input.
struct CounterBench {
  std::unique_ptr<inst::QemuBoard> board;
  inst::HarvesterModel model;
  std::unique_ptr<inst::VirtualPower> power;
  explicit CounterBench(inst::Millis replyTimeout = inst::Millis{10000}) : CounterBench(inst::VirtualPowerConfig{.replyTimeout = replyTimeout}) {}
  explicit CounterBench(inst::VirtualPowerConfig powerConfig)
      : model(storage(), inst::HarvestTrace::constant(100e-6), 3.0) {
    inst::QemuBoardConfig config;
    config.firmware = std::string(AIDI_FIRMWARE_DIR) + "/aidi-intermittent-counter-mps2-an386.elf";
    config.icountShift = 0;
    config.powerShim = true;
    auto started = inst::QemuBoard::start(config);
    EXPECT_TRUE(started) << started.error().message;
    board = std::move(*started);
    power = std::make_unique<inst::VirtualPower>(*board, model, std::move(powerConfig));
  }
  static inst::StorageParams storage() {
    inst::StorageParams s;
    s.capacitanceF = 10e-6;
    return s;
  }
};

}  // namespace

TEST(VirtualPower, ProgressSurvivesEveryBrownOutAndTheCountIsExact) {
  const Outcome run = runCounter(10e-6, 100e-6);
  ASSERT_FALSE(run.cycles.empty());
  EXPECT_GT(run.cycles.size(), 20u) << "a 10 uF capacitor must not hold the whole program";
  EXPECT_TRUE(run.cycles.back().finished);
  EXPECT_EQ(run.result.inference, 2'000'000u) << "the count, kept in NVM across power failures";
  EXPECT_EQ(run.result.powerCycles, run.cycles.size()) << "one boot per power cycle";
  EXPECT_GT(run.result.reexecutedCycles, 0u) << "jobs cut by a brown-out are re-executed";
  EXPECT_LT(run.result.reexecutedCycles, run.cycles.size()) << "at most one lost job per power cycle";
  EXPECT_EQ(run.result.bootCycles, 0u) << "SRAM must come back cold after every brown-out";
  for (const auto& c : run.cycles) {
    EXPECT_NEAR(c.vOn, 3.0, 1e-9);
    // The budget is whole Timer0 ticks (40 instructions, 1.6 us): the brown-out
    // lands within one tick's energy of V_off (under 1 mV with 10 uF).
    if (!c.finished) {
      EXPECT_NEAR(c.vOff, 2.0, 1e-3) << "cycle " << c.index;
      EXPECT_GE(c.vOff, 2.0) << "never below V_off";
    }
  }
}

// Without the zeros loader the firmware sees SRAM survive: the check above can fail.
TEST(VirtualPower, WithoutTheZerosLoaderTheDeviceSeesWarmSram) {
  const Outcome run = runCounter(10e-6, 100e-6, false);
  EXPECT_GT(run.result.bootCycles, 0u);
}

TEST(VirtualPower, TheSameConditionGivesTheSameDeviceCycles) {
  const Outcome a = runCounter(22e-6, 300e-6);
  const Outcome b = runCounter(22e-6, 300e-6);
  ASSERT_EQ(a.cycles.size(), b.cycles.size());
  for (std::size_t i = 0; i < a.cycles.size(); ++i) {
    EXPECT_EQ(a.cycles[i].instructions, b.cycles[i].instructions) << "cycle " << i;
    EXPECT_DOUBLE_EQ(a.cycles[i].startS, b.cycles[i].startS) << "cycle " << i;
  }
  EXPECT_EQ(a.result.reexecutedCycles, b.result.reexecutedCycles);
}

TEST(VirtualPower, AStrongHarvestIsContinuousPower) {
  const Outcome run = runCounter(1e-3, 20e-3);  // harvest exceeds the load: never browns out
  ASSERT_EQ(run.cycles.size(), 1u);
  EXPECT_TRUE(run.cycles[0].finished);
  EXPECT_EQ(run.result.inference, 2'000'000u);
  EXPECT_EQ(run.result.reexecutedCycles, 0u);
  // The time it ran is measured even without a budget (the latency of a run
  // under strong light must not read 0).
  EXPECT_GT(run.cycles[0].instructions, 2'000'000u);
  EXPECT_NEAR(run.cycles[0].onS, static_cast<double>(run.cycles[0].instructions) / 25e6, 1e-6);
}

// Through the Harvester interface a campaign will use for real supplies too.
TEST(VirtualPower, IsAHarvesterThatCanBePoweredOff) {
  CounterBench bench;
  inst::Harvester& harvester = *bench.power;
  auto first = harvester.powerOn();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->finished);
  EXPECT_GT(first->instructions, 0u);
  EXPECT_TRUE(harvester.powerOff());
  EXPECT_TRUE(harvester.powerOff()) << "idempotent";
}

// QEMU dying mid-run ends the run with QEMU's reason, not a hang.
TEST(VirtualPower, QemuDyingMidRunIsAClearError) {
  // The shim's reply timeout is 60 s: noticing the death well before it
  // shows the exit is seen, not waited out.
  CounterBench bench(std::chrono::milliseconds(60000));
  ASSERT_TRUE(bench.power->powerOn());
  ASSERT_EQ(::kill(bench.board->pid(), SIGKILL), 0);
  const auto start = std::chrono::steady_clock::now();
  auto next = bench.power->powerOn();
  ASSERT_FALSE(next);
  EXPECT_NE(next.error().message.find("QEMU was killed by signal 9"), std::string::npos) << next.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s) << "a dead board is noticed at once, not after the timeout";
}

// A hung QEMU (here: stopped) ends the run with a timeout naming the shim.
TEST(VirtualPower, AHungBoardTimesOut) {
  CounterBench bench(std::chrono::milliseconds(300));
  ASSERT_TRUE(bench.power->powerOn());
  ASSERT_EQ(::kill(bench.board->pid(), SIGSTOP), 0);
  auto next = bench.power->powerOn();
  ::kill(bench.board->pid(), SIGCONT);
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, inst::ErrorCode::Timeout);
  EXPECT_NE(next.error().message.find("power shim: the board did not answer within 300 ms"), std::string::npos)
      << next.error().message;
}

// With a count of the device's instructions and cycles (the counting
// plugin's, faked here at two cycles per instruction), a stretch of running
// lasts its cycles at the clock and records its instructions.
TEST(VirtualPower, TimeFollowsTheCountedCycles) {
  int reads = 0;
  inst::VirtualPowerConfig config;
  config.poweredCount = [&reads]() -> inst::Result<inst::ExecutionCount> {
    ++reads;
    return inst::ExecutionCount{1000u * reads, 2000u * reads};
  };
  CounterBench bench(config);
  auto cycle = bench.power->powerOn();
  ASSERT_TRUE(cycle) << cycle.error().message;
  ASSERT_GE(reads, 1);
  EXPECT_EQ(cycle->instructions, 1000u * reads);
  // Each stretch lasts its counted cycles, except that none outlasts the
  // capacitor: this fake count claims 2000 cycles for every stretch, the
  // last one included, and that one ends at the brown-out.
  EXPECT_LE(cycle->onS, 2000.0 * reads / config.clockHz + 1e-12);
  EXPECT_GT(cycle->onS, 2000.0 * (reads - 1) / config.clockHz);
  EXPECT_NEAR(cycle->vOff, 2.0, 1e-9);
}

// A count that fails or goes backwards stops the run with the reason.
TEST(VirtualPower, ABrokenCountIsAClearError) {
  inst::VirtualPowerConfig failing;
  failing.poweredCount = []() -> inst::Result<inst::ExecutionCount> {
    return inst::fail(inst::ErrorCode::Protocol, "the counting plugin's file is missing or short: x");
  };
  CounterBench a(failing);
  auto cycle = a.power->powerOn();
  ASSERT_FALSE(cycle);
  EXPECT_NE(cycle.error().message.find("missing or short"), std::string::npos) << cycle.error().message;

  int reads = 0;
  inst::VirtualPowerConfig backwards;
  backwards.poweredCount = [&reads]() -> inst::Result<inst::ExecutionCount> {
    ++reads;
    return inst::ExecutionCount{reads == 1 ? 5000u : 10u, reads == 1 ? 9000u : 10u};
  };
  CounterBench b(backwards);
  inst::Result<inst::PowerCycleRecord> next = b.power->powerOn();
  for (int i = 0; i < 10 && next; ++i) next = b.power->powerOn();
  ASSERT_FALSE(next);
  EXPECT_NE(next.error().message.find("count went backwards"), std::string::npos) << next.error().message;
}
