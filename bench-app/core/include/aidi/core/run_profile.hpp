// One run's recorded profile, as a profiler shows it: its waveform channels
// (current, voltage, power: modelled by the virtual bench or measured by an
// instrument, the same tables) of one sample, and the events on the same
// time axis: power-on, the cycle's end and its cause (brown-out, shut down,
// done), checkpoints (layer, job, NVM bytes), sleeps and wake-ups, the
// inference's request and result. Values between two times (a cursor pair) are exact integrals of
// the stored samples (waveform_store.hpp); the GUI's profiler tabs and the
// exports read through it, never the database itself.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aidi/db/waveform_store.hpp"
#include "aidi/support/result.hpp"

namespace aidi::db {
class Database;
}

namespace aidi::core {

using db::ChannelInfo;
using db::EnvelopeColumn;
using db::RangeStats;

struct ProfileMarker {
  enum class Kind { PowerOn, PowerOff, Checkpoint, Request, Result, Sleep, Wake };
  Kind kind = Kind::PowerOn;
  double t = 0;
  std::string text;  // what a tooltip says: "checkpoint: layer 3, job 2, 1536 NVM bytes"
};

// Between two times: the readouts of a cursor pair.
struct CursorReadout {
  double t0 = 0, t1 = 0;
  double v0 = 0, v1 = 0;          // the voltage at each cursor
  double chargeC = 0;             // integral of the current
  double energyJ = 0;             // integral of the power
  double averageW() const { return t1 > t0 ? energyJ / (t1 - t0) : 0; }
};

class RunProfile {
 public:
  // The whole run: what an instrument measured across all its inferences.
  static constexpr int kWholeRun = -1;
  // Opens `database` read-only and loads the run's channels and markers of
  // `sample` (its inference index, or kWholeRun). A run with no waveform
  // recorded is an error that says how to record one.
  [[nodiscard]] static Result<RunProfile> open(const std::filesystem::path& database, std::int64_t runId, int sample);
  // The samples of a run that have waveforms, ascending (kWholeRun first).
  [[nodiscard]] static Result<std::vector<int>> recordedSamples(const std::filesystem::path& database,
                                                                std::int64_t runId);
  RunProfile(RunProfile&&) noexcept;
  RunProfile& operator=(RunProfile&&) noexcept;
  ~RunProfile();

  std::int64_t runId() const { return m_runId; }
  int sample() const { return m_sample; }
  const std::string& title() const { return m_title; }
  const std::vector<ChannelInfo>& channels() const { return m_channels; }
  const ChannelInfo* channel(std::string_view name) const;
  const std::vector<ProfileMarker>& markers() const { return m_markers; }
  double startS() const { return m_startS; }
  double endS() const { return m_endS; }
  // The inference's request time (its waveforms' origin for overlays).
  double requestS() const { return m_requestS; }

  [[nodiscard]] Result<std::vector<EnvelopeColumn>> envelope(const ChannelInfo& channel, double t0, double t1,
                                                             int columns);
  [[nodiscard]] Result<RangeStats> stats(const ChannelInfo& channel, double t0, double t1);
  [[nodiscard]] Result<std::vector<std::pair<double, double>>> samples(const ChannelInfo& channel, double t0,
                                                                       double t1, std::size_t maxCount);
  // The readouts between two times (ordered), from the voltage, current and power channels.
  [[nodiscard]] Result<CursorReadout> readout(double t0, double t1);
  // Every channel's samples in [t0, t1) as CSV (time_s, then one column per
  // channel with its unit); refuses more than `maxRows` rows.
  [[nodiscard]] Status exportCsv(const std::filesystem::path& path, double t0, double t1,
                                 std::size_t maxRows = 5'000'000);

 private:
  RunProfile() = default;
  std::unique_ptr<db::Database> m_db;
  std::unique_ptr<db::WaveformReader> m_reader;
  std::int64_t m_runId = 0;
  int m_sample = 0;
  std::string m_title;
  std::vector<ChannelInfo> m_channels;
  std::vector<ProfileMarker> m_markers;
  double m_startS = 0, m_endS = 0, m_requestS = 0;
};

}  // namespace aidi::core
