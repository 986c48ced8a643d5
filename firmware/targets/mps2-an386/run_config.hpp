// What one run on the virtual board does, loaded by QEMU next to the firmware
// (like flashing a configuration): which model, which image, which policy.
// The bench writes it with `-device loader` so it is re-applied at every
// reset, exactly like flash contents.
#pragma once

#include <cstdint>

namespace aidi::fw::mps2 {

inline constexpr std::uintptr_t kRunConfigAddress = 0x000F0000u;
inline constexpr std::uintptr_t kModelAddress = 0x00100000u;
inline constexpr char kRunConfigMagic[8] = {'A', 'I', 'D', 'I', 'R', 'U', 'N', '9'};

enum class RunMode : std::uint32_t {
  Intermittent = 0,  // the runtime: jobs, checkpoints, NVM
  Plain = 1,         // one plain inference between the benchmark markers (energy-bound N)
};

enum class Sensing : std::uint32_t {
  Adc = 0,     // what a board senses: an ADC reading of the capacitor, a comparator, its cycle counter
  Oracle = 1,  // the bench's brown-out time, future harvest included (the study's comparison only)
};

struct RunConfig {
  char magic[8];
  std::uint32_t sample;
  std::uint32_t policy;              // fw::SchedulerPolicy
  std::uint32_t cyclesPerPowerCycle; // energy of one power cycle for the aidi planner
  std::uint32_t modelBytes;
  RunMode mode;
  // The emulated board's profile (boards/*.toml): its clock (for Hello) and
  // what NVM traffic costs. The virtual board runs any profile's firmware
  // timing from the same image.
  std::uint32_t clockHz;
  std::uint32_t nvmCyclesPerByte;
  std::uint32_t nvmWriteOverheadCycles;
  std::uint32_t nvmReadOverheadCycles;
  std::uint32_t nvmWakeCycles;       // the NVM's recovery from sleep (t_REC)
  // How the aidi engine learns its energy, and what the device was built
  // knowing: its capacitor, thresholds, draw per counted cycle (the board's
  // running power at the plain inference's cycles per instruction), and
  // its ADC on the capacitor (a code of adcBits over adcFullScaleMillivolts).
  Sensing sensing;
  float capacitanceF;
  float vOff;
  float vMax;
  float joulesPerCycle;
  float guardVolts;                  // subtracted from readings: the ADC's noise and LSB
  float vOn;
  float sleepWatts;                  // asleep and powered (MCU and NVM)
  float shutdownWatts;               // shut down, waking at V_on
  std::uint32_t adcBits;
  std::uint32_t adcFullScaleMillivolts;
  // 0: one inference of `image`. 1: continuous operation, an inference of
  // `image` for every request the bench hands over (powerShimNextRequest).
  std::uint32_t continuous;
  // What a cycle of NVM transfer costs in energy, in running cycles (the
  // FRAM's active draw over its standby, from the board's datasheet): the
  // device counts its transfers at this weight when it counts down energy.
  float nvmTransferWeight;
  // Fault injection: 1 makes the NVM ignore writes (a chip absent or
  // write-protected), which the boot's read-back check must catch.
  std::uint32_t nvmFault;
  // The plan the bench searched offline for the inas policy (rows per job,
  // per layer; zeros for every other policy).
  std::uint16_t planRows[64];
  std::uint8_t image[784];
};

}  // namespace aidi::fw::mps2
