// The virtual board's activity, as its counting plugin marks it
// (insn_window.c, marks=LOG): where the device's NVM transfers begin and
// end, which layer it works on, when it commits. MarkLog drains the plugin's
// ring; ActivityLedger turns the marks and the energy of each stretch into a
// power cycle's split (compute, NVM, boot, re-executed, per layer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "aidi/inst/harvester.hpp"
#include "aidi/inst/result.hpp"

namespace aidi::inst {

// The codes the bench gives the firmware's marked addresses.
inline constexpr std::uint32_t kMarkCpu = 0;  // an NVM wait returned
inline constexpr std::uint32_t kMarkNvmRead = 1, kMarkNvmWrite = 2, kMarkNvmWake = 3;
inline constexpr std::uint32_t kMarkCommit = 4;
inline constexpr std::uint32_t kMarkLayer0 = 256;  // + layer: the device turns to that layer's work

// One mark: the device's count (cycles, instructions on its energy budget)
// when it reached the marked address.
struct ActivityMark {
  std::uint64_t cycles = 0, instructions = 0;
  std::uint32_t code = 0;
};

// The plugin's ring, shared through a file: created empty before QEMU starts,
// drained by the bench whenever the device stops for it.
class MarkLog {
 public:
  // A log of `capacity` marks at `path` (sparse: its pages cost memory as
  // they fill).
  [[nodiscard]] static Result<MarkLog> create(const std::filesystem::path& path, std::uint64_t capacity);
  MarkLog(MarkLog&& other) noexcept;
  MarkLog& operator=(MarkLog&&) = delete;
  ~MarkLog();
  const std::filesystem::path& path() const { return m_path; }
  // The marks logged since the last call, appended to `out`; an error if
  // the plugin overran the ring (more marks than it holds between two).
  [[nodiscard]] Status drain(std::vector<ActivityMark>& out);

 private:
  MarkLog(std::filesystem::path path, void* map, std::size_t bytes, std::uint64_t capacity)
      : m_path(std::move(path)), m_map(map), m_bytes(bytes), m_capacity(capacity) {}
  std::filesystem::path m_path;
  void* m_map = nullptr;
  std::size_t m_bytes = 0;
  std::uint64_t m_capacity = 0, m_read = 0;
};

// A power cycle's energy by layer and mode, as the marks place it. The
// bench charges each stretch between two marks at its mode's power and
// tells the ledger; work since the cycle's last commit is held apart until
// the cycle ends: kept (finished, or checkpointed before shutting down) or
// re-executed (browned out).
class ActivityLedger {
 public:
  void powerOn();
  // The mark changes the mode or layer, or commits.
  void apply(const ActivityMark& mark);
  // Runs in the mode now? ADC conversions are charged apart (chargeAdc).
  DeviceMode mode() const { return m_mode; }
  void charge(double joules, double seconds) { add(m_mode, joules, seconds); }
  void chargeAdc(double joules, double seconds) { add(DeviceMode::Adc, joules, seconds); }
  // The cycle's split; `lost`: the work since the last commit was lost.
  std::vector<ActivityEnergy> endCycle(bool lost);

 private:
  void add(DeviceMode mode, double joules, double seconds);
  using Key = std::pair<std::int32_t, DeviceMode>;
  struct Sum {
    double joules = 0, seconds = 0;
  };
  void merge(std::map<Key, Sum>& from, bool reexecuted);
  DeviceMode m_mode = DeviceMode::Compute;
  std::int32_t m_layer = -1;
  std::map<Key, Sum> m_pending;  // since the last commit
  std::map<std::pair<Key, bool>, Sum> m_kept;
};

}  // namespace aidi::inst
