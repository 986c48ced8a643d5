// Waveforms in the run database: what an instrument measured or the virtual
// bench modelled (current, voltage, power), sampled at up to 100s of kS/s.
//
// Each channel is stored in segments (an unbroken stretch at one rate) of
// blocks of 16,384 samples, compressed (waveform_codec.hpp), with a pyramid
// above them: level k holds min, max and sum of each 64^k samples. Drawing
// any span at any zoom reads the level whose groups are a fraction of a
// pixel column (a few blocks); an integral between two times adds whole
// groups from the top down and single samples only at its two ends, so it
// is exact and costs the same for a millisecond or an hour.
//
// Real instruments and the virtual bench write through the same writer and
// are read through the same reader (migration 0009).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "aidi/db/result.hpp"

namespace aidi::db {

class Database;

inline constexpr std::size_t kWaveformBlockValues = 16384;
inline constexpr std::size_t kWaveformFanOut = 64;

// What a channel measures. Values are kept as integer codes of `step`
// (1 nA, 10 uV ...): a value must be finite and within +/- 2^31 steps.
struct ChannelSpec {
  std::string name;  // "current", "voltage", "power", ...
  std::string unit;  // "A", "V", "W"
  double step = 0;
};

struct SegmentInfo {
  std::int64_t id = 0;
  double t0 = 0, rateHz = 0;
  std::uint64_t count = 0;
  int levels = 0;  // of its pyramid; 0 while written (or its writer died)
  double endS() const { return t0 + static_cast<double>(count) / rateHz; }
};

struct ChannelInfo {
  std::int64_t id = 0, runId = 0;
  int attempt = 0, sample = -1;
  std::string source, name, unit;
  double step = 0;
  std::vector<SegmentInfo> segments;
  double startS() const { return segments.empty() ? 0 : segments.front().t0; }
  double endS() const { return segments.empty() ? 0 : segments.back().endS(); }
};

// The channels recorded for a run's attempt (every sample when `sample` < -1).
[[nodiscard]] Result<std::vector<ChannelInfo>> listChannels(Database& db, std::int64_t runId, int attempt,
                                                            int sample = -2);

// Writes the channels of one source for one run, sampled together: every
// append gives each channel the same number of values. Commits every few
// blocks, so a killed process keeps all but its last moments.
class WaveformWriter {
 public:
  struct Options {
    int zstdLevel = 1;
    std::size_t blocksPerCommit = 16;
  };
  [[nodiscard]] static Result<WaveformWriter> create(Database& db, std::int64_t runId, int attempt, int sample,
                                                     std::string source, std::vector<ChannelSpec> channels,
                                                     Options options);
  [[nodiscard]] static Result<WaveformWriter> create(Database& db, std::int64_t runId, int attempt, int sample,
                                                     std::string source, std::vector<ChannelSpec> channels) {
    return create(db, runId, attempt, sample, std::move(source), std::move(channels), Options{});
  }
  WaveformWriter(WaveformWriter&&) noexcept;
  WaveformWriter& operator=(WaveformWriter&&) noexcept;
  ~WaveformWriter();

  // Starts a segment at `t0` (after the previous one's end) sampled at `rateHz`.
  [[nodiscard]] Status startSegment(double t0, double rateHz);
  // One span per channel, in the order of the specs, all of one length.
  [[nodiscard]] Status append(std::span<const std::span<const double>> columns);
  // Commits the blocks written so far (a partial block stays in memory):
  // a writer that shares the file with another, as a meter's stream does
  // with the run's rows, calls it often so the other never waits long.
  [[nodiscard]] Status commit();
  // Flushes every level and commits; the writer is done.
  [[nodiscard]] Status finish();

 private:
  struct Impl;
  explicit WaveformWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

// Over [t0, t1): count of samples, min, max, the sum of the values and their
// integral over time (value x seconds: charge from current, energy from power).
struct RangeStats {
  std::uint64_t count = 0;
  double min = 0, max = 0, sum = 0, integral = 0;
  double first = 0, last = 0;  // the values at the span's two ends
  double mean() const { return count ? sum / static_cast<double>(count) : 0; }
};

// One pixel column of a plot: the min and max of the samples it spans.
struct EnvelopeColumn {
  double min = 0, max = 0;
  bool empty = true;
};

// Reads channels, keeping recently decoded blocks (up to `cacheBytes`).
class WaveformReader {
 public:
  explicit WaveformReader(Database& db, std::size_t cacheBytes = 128u << 20);
  ~WaveformReader();

  // `columns` columns evenly over [t0, t1).
  [[nodiscard]] Result<std::vector<EnvelopeColumn>> envelope(const ChannelInfo& channel, double t0, double t1,
                                                             int columns);
  [[nodiscard]] Result<RangeStats> stats(const ChannelInfo& channel, double t0, double t1);
  // The samples in [t0, t1) as (time, value); refuses more than `maxCount`.
  [[nodiscard]] Result<std::vector<std::pair<double, double>>> samples(const ChannelInfo& channel, double t0,
                                                                       double t1, std::size_t maxCount);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace aidi::db
