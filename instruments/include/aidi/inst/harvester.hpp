// A harvester plays a harvest condition into a device as power cycles. The
// virtual board's VirtualPower implements it, and so does SupplyHarvester on
// a real programmable supply (its output switched, or its voltage stepped,
// along the model's cycles), so a campaign runs unchanged on either.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

// What the device's energy went into while it ran, as far as the bench can
// tell it apart: its CPU, its NVM's transfers and wake-ups, its ADC.
enum class DeviceMode : std::uint8_t { Compute, NvmRead, NvmWrite, NvmWake, Adc };
inline constexpr int kDeviceModes = 5;
const char* deviceModeName(DeviceMode mode);
// The mode of that name (as recorded), if it is one.
std::optional<DeviceMode> deviceModeNamed(std::string_view name);

// Energy the device drew in one mode on one layer's work within a power
// cycle. `layer` -1: before the cycle turned to any layer (its boot and
// restore). `reexecuted`: work after the cycle's last commit, lost to its
// brown-out and done again later.
struct ActivityEnergy {
  std::int32_t layer = -1;
  DeviceMode mode = DeviceMode::Compute;
  bool reexecuted = false;
  double joules = 0, seconds = 0;
};

// One power cycle as it really happened.
struct PowerCycleRecord {
  std::uint64_t index = 0;
  double startS = 0;        // simulated or instrument time of power-on
  double offS = 0;          // charging time before this power-on
  double onS = 0;           // time the device ran (active)
  double sleepS = 0;        // time it slept, powered, waiting for energy
  double shutdownS = 0;     // time it was shut down (by its choice), waiting for V_on; ends the cycle
  double plannedOnS = 0;    // the model's on-time, where the achieved one may differ (a real supply)
  std::uint32_t sleeps = 0;
  std::uint32_t adcReadings = 0;   // the device's readings of its capacitor's voltage
  std::uint64_t instructions = 0;  // instructions the device ran on its budgets
  double vOn = 0, vOff = 0;
  bool finished = false;    // the application reported done in this cycle
  double wallMs = 0;
  // The energy drawn while on, and (where the board marks its activity: the
  // virtual board) how it splits by layer and mode; empty elsewhere.
  double activeJ = 0;
  std::vector<ActivityEnergy> activity;
  // When the device waited, powered, asleep (its start, simulated or
  // instrument time, and length), where the harvester knows it.
  struct Sleep {
    double startS = 0, seconds = 0;
  };
  std::vector<Sleep> sleepSpans;
};

class Harvester {
 public:
  virtual ~Harvester() = default;
  // Charges to V_on, powers the device and returns when the cycle ends
  // (brown-out, or the application reporting done).
  [[nodiscard]] virtual Result<PowerCycleRecord> powerOn() = 0;
  // Cuts the power; safe in any state, idempotent.
  [[nodiscard]] virtual Status powerOff() = 0;
};

}  // namespace aidi::inst
