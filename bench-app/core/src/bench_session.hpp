// A bench as one inference sees it: a device that a Harvester powers and a
// Link hears. The virtual bench (a QEMU board per sample, power shim,
// simulated charging) and a real bench (a supply playing the harvest, a
// serial or ser2net link, the board running its samples in order) both give
// these two, and runSample() is the one loop that turns power cycles and
// telemetry into a SimulationResult for either. What differs is only what a
// bench can know: the virtual board's instructions and modelled time are
// exact; a real board's latency comes from when its result frame arrived.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "aidi/core/simulation.hpp"
#include "aidi/inst/harvester.hpp"
#include "aidi/inst/link.hpp"
#include "aidi/proto/decoder.hpp"

namespace aidi::core {

struct SampleLimits;

class BenchSession {
 public:
  explicit BenchSession(const BoardProfile& board, bool helloRequired)
      : m_board(board), m_helloRequired(helloRequired) {}
  virtual ~BenchSession() = default;
  BenchSession(const BenchSession&) = delete;
  BenchSession& operator=(const BenchSession&) = delete;

  virtual inst::Harvester& harvester() = 0;
  virtual inst::Link& link() = 0;
  // The inference's latency when its result frame was just decoded;
  // `cycleSeconds` is the time of the power cycles the sample ran so far
  // (charging, on, sleep), modelled.
  virtual double latencyAtResult(double cycleSeconds) = 0;
  // The device cycles a power cycle used.
  virtual std::uint64_t activeCycles(const inst::PowerCycleRecord& cycle) const = 0;
  // Whether the board's power was cut long enough before this cycle that
  // it must have booted again (and said so in a Boot frame). A board that
  // keeps running through such cuts is powered from elsewhere.
  virtual bool powerWasCut(const inst::PowerCycleRecord&) const { return false; }

  const BoardProfile& board() const { return m_board; }
  // The decoder's counters over the session so far.
  proto::DecoderCounters telemetryCounters() const { return m_decoder.counters(); }

 private:
  friend struct SessionTelemetry;
  friend inst::Result<SimulationResult> runSample(BenchSession&, const SampleLimits&);
  const BoardProfile& m_board;
  // A device must say who it is (Hello) before its first result.
  bool m_helloRequired;
  bool m_helloChecked = false;
  // The telemetry stream outlives a sample on a real board: bytes read past
  // one result belong to the next.
  proto::FrameDecoder m_decoder{proto::isKnownMessageType};
  std::vector<std::byte> m_unread;
  std::size_t m_unreadAt = 0;
  // The cycle a sample finishing without a new cycle of its own ran in.
  std::optional<inst::PowerCycleRecord> m_lastCycle;
  // Boot frames with a new boot count, and power cuts that called for one.
  std::uint64_t m_boots = 0, m_cuts = 0;
  std::optional<std::uint32_t> m_lastBootCount;
  // The inference the session's first boot resumed, until its result.
  std::optional<std::uint32_t> m_inheritedInference;
};

struct SampleLimits {
  std::uint64_t maxPowerCycles = 20000;
  std::uint64_t watchdogPowerCycles = 50;  // cycles in a row without a committed job
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // Results a device may send late: the shim's "done" can overtake the
  // UART's last bytes on a loaded machine.
  std::chrono::milliseconds resultGrace{5000};
  std::function<void(const inst::PowerCycleRecord&)> onPowerCycle;
  std::function<void(const CheckpointEvent&)> onCheckpoint;
};

// One inference on `session`: power cycles until its result frame arrives,
// or the watchdog or the power-cycle limit ends it (simulated progress: a
// failure in the result), or the bench fails (an error). Wall-clock limits
// (the run's deadline, the grace for a late result frame) are errors of the
// bench, never results: a loaded host must not make a policy "not finish".
// The device's Hello, where it comes, is checked against the board profile.
// Cancelled on Ctrl-C; the caller switches the power off on every path.
[[nodiscard]] inst::Result<SimulationResult> runSample(BenchSession& session, const SampleLimits& limits);

}  // namespace aidi::core
