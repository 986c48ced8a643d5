// The harvester emulated on a programmable supply, driven over real SCPI/TCP
// against the virtual supply, in real time (a time scale stretches the tiny
// capacitor's cycles to tens of milliseconds): the output follows the
// model's cycles, the achieved timing is reported, every failure and Ctrl-C
// leave the output off, nothing above the bench's limits is ever set.
#include "aidi/inst/supply_harvester.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "aidi/inst/interrupt.hpp"
#include "aidi/inst/scpi_power_supply.hpp"
#include "aidi/inst/scpi_psu_simulator.hpp"

using namespace aidi::inst;
using namespace std::chrono_literals;

namespace {

struct Bench {
  std::unique_ptr<ScpiPsuSimulator> sim;
  std::unique_ptr<ScpiPowerSupply> psu;
  HarvesterModel model;
  Bench(double harvestW, SafetyLimits limits = {.maxVolts = 3.6, .maxAmps = 0.2})
      : model([] {
          StorageParams s;
          s.capacitanceF = 10e-6;  // 25 uJ between V_on and V_off: ~4 ms at 5.9 mW
          return s;
        }(), HarvestTrace::constant(harvestW), 3.0) {
    auto started = ScpiPsuSimulator::start({.loadOhms = 100.0});
    EXPECT_TRUE(started);
    sim = std::move(*started);
    auto opened = ScpiPowerSupply::open("TCPIP0::127.0.0.1::" + std::to_string(sim->port()) + "::SOCKET", limits);
    EXPECT_TRUE(opened) << opened.error().message;
    psu = std::move(*opened);
  }
};

// Watches the simulated output from another thread.
struct OutputWatcher {
  std::atomic<bool> stop{false}, sawOn{false};
  std::atomic<double> maxVolts{0};
  std::thread thread;
  explicit OutputWatcher(ScpiPsuSimulator& sim) {
    thread = std::thread([this, &sim] {
      while (!stop) {
        const auto ch = sim.channel(1);
        if (ch.output) {
          sawOn = true;
          if (ch.volts > maxVolts) maxVolts = ch.volts;
        }
        std::this_thread::sleep_for(1ms);
      }
    });
  }
  ~OutputWatcher() {
    stop = true;
    thread.join();
  }
};

// True once the output is off: a fail-safe "output off" goes out without
// waiting for a reply, and the supply (here a thread) executes it a moment later.
bool eventuallyOff(ScpiPsuSimulator& sim) {
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (sim.channel(1).output && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  return !sim.channel(1).output;
}

}  // namespace

TEST(SupplyHarvester, SwitchesTheOutputAlongTheModelsCycles) {
  Bench b(2e-3);
  SupplyHarvesterConfig config;
  config.timeScale = 20;  // 4 ms of modelled on-time last 80 ms
  SupplyHarvester harvester(*b.psu, b.model, config);
  ASSERT_TRUE(harvester.prepare());
  OutputWatcher watcher(*b.sim);
  for (int i = 0; i < 3; ++i) {
    auto cycle = harvester.powerOn();
    ASSERT_TRUE(cycle) << cycle.error().message;
    EXPECT_GT(cycle->plannedOnS, 0.003);
    // Never early; late only by SCPI round trips and the scheduling of a
    // loaded machine (a generous bound: this is not a timing benchmark).
    EXPECT_LT(cycle->onS * config.timeScale, cycle->plannedOnS * config.timeScale + 1.0) << "cycle " << i;
    EXPECT_GE(cycle->onS, cycle->plannedOnS) << "the output is never switched off early";
    if (i > 0) {
      EXPECT_GT(cycle->offS, 0.0) << "after the first cycle the capacitor recharges";
    }
    EXPECT_FALSE(b.sim->channel(1).output) << "off between cycles";
  }
  EXPECT_TRUE(watcher.sawOn);
  EXPECT_DOUBLE_EQ(watcher.maxVolts, 3.3);
}

TEST(SupplyHarvester, FollowsTheCapacitorVoltageDownward) {
  Bench b(1e-3);
  SupplyHarvesterConfig config;
  config.mode = SupplyHarvesterConfig::Mode::VoltageFollowing;
  config.timeScale = 250;  // ~1 s on: room for several settings however loaded the machine
  config.stepS = 0.02;
  SupplyHarvester harvester(*b.psu, b.model, config);
  ASSERT_TRUE(harvester.prepare());
  auto cycle = harvester.powerOn();
  ASSERT_TRUE(cycle) << cycle.error().message;
  const auto& steps = harvester.voltageSteps();
  ASSERT_GE(steps.size(), 4u);
  EXPECT_DOUBLE_EQ(steps.front(), 3.0) << "starts at V_on";
  for (std::size_t i = 1; i < steps.size(); ++i) {
    EXPECT_LE(steps[i], steps[i - 1] + 1e-9) << "step " << i;
  }
  EXPECT_LT(steps.back(), 2.4);
  EXPECT_GE(steps.back(), 2.0 - 1e-9) << "never below V_off";
  EXPECT_FALSE(b.sim->channel(1).output);
}

TEST(SupplyHarvester, AVoltageAboveTheBenchLimitsIsRefusedBeforeAnyCycle) {
  Bench b(1e-3, {.maxVolts = 3.0, .maxAmps = 0.2});
  SupplyHarvesterConfig config;  // 3.3 V wanted
  SupplyHarvester harvester(*b.psu, b.model, config);
  auto ok = harvester.prepare();
  ASSERT_FALSE(ok);
  EXPECT_EQ(ok.error().code, ErrorCode::Limit);
  EXPECT_FALSE(b.sim->channel(1).output);
  EXPECT_LT(b.sim->channel(1).volts, 3.0 + 1e-9) << "nothing above the limit reached the supply";
}

TEST(SupplyHarvester, CtrlCLeavesTheOutputOff) {
  Bench b(0.0);  // no harvest: one long cycle from the initial charge
  SupplyHarvesterConfig config;
  config.timeScale = 1000;  // ~4 s on
  SupplyHarvester harvester(*b.psu, b.model, config);
  ASSERT_TRUE(harvester.prepare());
  std::thread stopper([] {
    std::this_thread::sleep_for(300ms);
    requestInterrupt();
  });
  auto cycle = harvester.powerOn();
  stopper.join();
  clearInterrupt();
  ASSERT_FALSE(cycle);
  EXPECT_EQ(cycle.error().code, ErrorCode::Cancelled);
  EXPECT_TRUE(eventuallyOff(*b.sim));
}

TEST(SupplyHarvester, ASupplyFailureLeavesTheOutputOff) {
  auto sim = ScpiPsuSimulator::start({.loadOhms = 100.0, .fault = ScpiFault::GarbleReply, .faultAfterCommands = 9});
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open("TCPIP0::127.0.0.1::" + std::to_string((*sim)->port()) + "::SOCKET",
                                   {.maxVolts = 3.6, .maxAmps = 0.2});
  ASSERT_TRUE(psu);
  StorageParams s;
  s.capacitanceF = 10e-6;
  HarvesterModel model(s, HarvestTrace::constant(2e-3), 3.0);
  SupplyHarvester harvester(**psu, model, {.timeScale = 20});
  bool failed = false;
  for (int i = 0; i < 5 && !failed; ++i) failed = !harvester.powerOn();
  EXPECT_TRUE(failed) << "the garbled replies must surface";
  EXPECT_TRUE(eventuallyOff(**sim));
}
