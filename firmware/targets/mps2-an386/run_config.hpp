// What one run on the virtual board does, loaded by QEMU next to the firmware
// (like flashing a configuration): which model, which image, which policy.
// The bench writes it with `-device loader` so it is re-applied at every
// reset, exactly like flash contents.
#pragma once

#include <cstdint>

namespace aidi::fw::mps2 {

inline constexpr std::uintptr_t kRunConfigAddress = 0x000F0000u;
inline constexpr std::uintptr_t kModelAddress = 0x00100000u;
inline constexpr char kRunConfigMagic[8] = {'A', 'I', 'D', 'I', 'R', 'U', 'N', '3'};

enum class RunMode : std::uint32_t {
  Intermittent = 0,  // the runtime: jobs, checkpoints, NVM
  Plain = 1,         // one plain inference between the benchmark markers (energy-bound N)
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
  std::uint8_t image[784];
};

}  // namespace aidi::fw::mps2
