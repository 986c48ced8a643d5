// Intermittent power for the virtual board: the harvester model decides each
// power cycle's on-time, the board's power shim enforces it (Timer0 budget,
// exact under -icount), and a system reset is the brown-out. Charging
// happens in simulated time only, so a power cycle costs a few milliseconds
// of wall time however long the capacitor took to charge.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <vector>

#include "aidi/inst/device_activity.hpp"
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

// Continuous operation: inference requests arriving every `periodS` from
// `firstS` (0: the next one as soon as the device asks for it), until
// `endS`. At most one request waits: a newer one replaces it (the older is
// dropped), as a sensor's newest reading replaces the last.
struct RequestStream {
  double firstS = 0, periodS = 0, endS = 0;
};
// A request the device finished: when it arrived and when the device said so.
struct Completion {
  std::uint32_t id = 0;
  double arrivalS = 0, doneS = 0;
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
  // The device's activity marks since the last call (with poweredCount, on
  // the same count): NVM transfers run at `nvmWatts` instead of the active
  // power, and each cycle's energy is split by layer and mode. Without it,
  // the device runs at the active power throughout.
  std::function<Status(std::vector<ActivityMark>&)> drainMarks;
  double nvmWatts = 0;  // device load while its NVM reads or writes (0: activeWatts)
  AdcConfig adc;
  std::optional<RequestStream> requests;
  // Called whenever the device asks for its next request (continuous
  // operation): the session reads the telemetry so far.
  std::function<void()> onRequest;
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

  // Continuous operation: the requests finished so far, and those dropped
  // (replaced while waiting by a newer one).
  const std::vector<Completion>& completions() const { return m_completions; }
  std::uint32_t droppedRequests() const { return m_dropped; }

  static constexpr double kNanosecondsPerTick = 40.0;  // Timer0 at 25 MHz of virtual time

 private:
  [[nodiscard]] Result<std::uint8_t> readShimByte();
  [[nodiscard]] Result<std::uint32_t> readShimWord();
  [[nodiscard]] Status grant(std::uint32_t ticks);
  // `tag` and the low `bytes` bytes of `value`, little-endian, to the shim.
  [[nodiscard]] Status reply(std::uint8_t tag, std::uint32_t value, int bytes);
  // After a request mid-cycle: the budget of what is stored (one tick, so
  // the brown-out follows, if nothing is).
  std::uint32_t budgetFromHere() const;
  // The budget the stored energy allows at the active power (0: continuous).
  std::uint32_t budgetTicks() const;
  // What ran since the budget was last armed, `ticksRun` Timer0 ticks.
  struct Stretch {
    std::uint64_t instructions = 0;
    double seconds = 0;
    std::uint64_t firstCycle = 0;  // the device's count where it began (with poweredCount)
  };
  [[nodiscard]] Result<Stretch> stretch(std::uint64_t ticksRun);
  double cyclesPerInstruction() const;
  // Runs a stretch in the model, mode by mode as the device's marks place
  // them, until it ends or the capacitor reaches V_off.
  [[nodiscard]] Status runStretch(const Stretch& s, PowerCycleRecord& r);
  // Runs `seconds` at `watts` in the model; charges the ledger.
  double runActive(double seconds, double watts, PowerCycleRecord& r, bool adc = false);
  double modeWatts(DeviceMode mode) const;
  // The device finished `done` (0: none) and asks for its next request: the
  // request id to send (0xFFFFFFFF: the window is over) after any wait
  // asleep for it to arrive, which may brown the board out (`brownOut`:
  // 0xFFFFFFFE, the power is going).
  std::uint32_t nextRequest(std::uint32_t done, PowerCycleRecord& r, bool& brownOut);
  // The ADC's code for the capacitor's voltage now.
  std::uint16_t adcCode();

  QemuBoard& m_board;
  HarvesterModel& m_model;
  VirtualPowerConfig m_config;
  std::uint64_t m_cycles = 0;
  std::vector<std::uint8_t> m_pending;
  ExecutionCount m_counted;  // poweredCount() when last read
  std::vector<ActivityMark> m_marks;
  ActivityLedger m_activity;
  std::mt19937_64 m_noise;
  // Continuous operation: the next arrival's index, the waiting request and
  // the one in service (id, arrival time).
  std::uint64_t m_arrivals = 0;
  std::optional<Completion> m_waiting, m_serving;
  std::vector<Completion> m_completions;
  std::uint32_t m_dropped = 0;
};

}  // namespace aidi::inst
