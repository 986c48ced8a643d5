// Intermittent power for the virtual board: the harvester model decides each
// power cycle's on-time, the board's power shim enforces it (Timer0 budget,
// exact under -icount), and a system reset is the brown-out. Charging
// happens in simulated time only, so a power cycle costs a few milliseconds
// of wall time however long the capacitor took to charge.
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "aidi/inst/harvester.hpp"
#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/qemu_board.hpp"

namespace aidi::inst {

// Instructions a device ran and the cycles they take on its core.
struct ExecutionCount {
  std::uint64_t instructions = 0, cycles = 0;
};

// The board's ADC on the storage capacitor, as the shim serves it ('A'):
// the voltage plus Gaussian noise (seeded: every run of a configuration
// reads the same), quantised to `bits` over `fullScaleV`; each reading
// costs `conversionS` at the active power.
struct AdcConfig {
  std::uint32_t bits = 12;
  double fullScaleV = 4.096;
  double noiseV = 0;
  double conversionS = 0;
  std::uint64_t seed = 0;
};

struct VirtualPowerConfig {
  double activeWatts = 5.9e-3;  // device load while on
  double clockHz = 25e6;
  int icountShift = 0;          // the board's -icount shift (2^shift ns per instruction)
  double sleepWatts = 6e-6;     // device load while asleep waiting for energy
  double shutdownWatts = 0;     // device load while shut down waiting for V_on
  Millis replyTimeout{10000};   // wall time the shim may take to answer
  // Cycle-approximate time: what the device has run on its budgets so far
  // (the counting plugin's powered window, read when the shim reports).
  // With it, each stretch of running lasts its cycles / clockHz, and a budget
  // is granted in instructions at the run's cycles per instruction so far
  // (initialCyclesPerInstruction until it has counted any); without it, one
  // instruction is one cycle.
  std::function<Result<ExecutionCount>()> poweredCount;
  double initialCyclesPerInstruction = 1.0;
  AdcConfig adc;
};

class VirtualPower final : public Harvester {
 public:
  VirtualPower(QemuBoard& board, HarvesterModel& model, VirtualPowerConfig config);

  // One power cycle: charge (simulated) to V_on, grant the on-time the
  // capacitor gives, wait for brown-out or done, reset the board. A device
  // that asks to sleep for energy ('S') is charged at its sleep power and
  // granted a new budget within the same cycle (its SRAM survives); one that
  // reads its ADC ('A') gets the code and a budget from there on.
  [[nodiscard]] Result<PowerCycleRecord> powerOn() override;
  // Halts the board (QMP stop) until the next powerOn().
  [[nodiscard]] Status powerOff() override;
  // Cycles until the application reports done; error after maxCycles.
  [[nodiscard]] Result<std::vector<PowerCycleRecord>> runUntilDone(
      std::uint64_t maxCycles, const std::function<void(const PowerCycleRecord&)>& onCycle = {});

  static constexpr double kNanosecondsPerTick = 40.0;  // Timer0 at 25 MHz of virtual time

 private:
  [[nodiscard]] Result<std::uint8_t> readShimByte();
  [[nodiscard]] Result<std::uint32_t> readShimWord();
  [[nodiscard]] Status grant(std::uint32_t ticks);
  // The budget the stored energy allows at the active power (0: continuous).
  std::uint32_t budgetTicks() const;
  // What ran since the budget was last armed, `ticksRun` Timer0 ticks.
  struct Stretch {
    std::uint64_t instructions = 0;
    double seconds = 0;
  };
  [[nodiscard]] Result<Stretch> stretch(std::uint64_t ticksRun);
  double cyclesPerInstruction() const;
  // The ADC's code for the capacitor's voltage now.
  std::uint16_t adcCode();

  QemuBoard& m_board;
  HarvesterModel& m_model;
  VirtualPowerConfig m_config;
  std::uint64_t m_cycles = 0;
  std::vector<std::uint8_t> m_pending;
  ExecutionCount m_counted;  // poweredCount() when last read
  std::mt19937_64 m_noise;
};

}  // namespace aidi::inst
