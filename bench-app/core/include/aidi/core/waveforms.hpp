// The waveforms an inference leaves in the run database (the same tables
// and views for both benches): the virtual bench's, modelled; a real
// bench's, measured by its supply.
//
// Modelled: the device's current, voltage and power sampled from what the
// harvester model walked (its load stretches).
//
// While the device is on (and around any short stretch) the waveform is
// sampled in bins of at most 10 us (>= 100 kS/s); long stretches of one
// load (charging while off, long sleeps, shutdowns) in bins of ~10 ms.
// Each bin holds the mean power over it, so the waveform's integral is the
// model's energy ledger; the voltage is the capacitor's at the bin's
// middle (the stored energy moves linearly within a stretch); the current
// is power / voltage (the board draws its power from the capacitor).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aidi/db/database.hpp"
#include "aidi/inst/harvester_model.hpp"
#include "aidi/core/real_bench.hpp"
#include "aidi/db/waveform_store.hpp"
#include "aidi/inst/meter.hpp"
#include "aidi/inst/supply_harvester.hpp"

namespace aidi::core {

struct ModelledWaveformOptions {
  double fastRateHz = 100e3;  // bins while the device runs
  double slowRateHz = 100;    // bins over long stretches of one load
  double fastBelowS = 20e-3;  // a stretch shorter than this, or drawing more than `fastAboveW`, is sampled fast
  double fastAboveW = 1e-4;
};

// A stretch of a waveform as it is recorded, for a live listener (aidi
// serve's stream): the points are those written to the run database, at
// their times t0 + i / rateHz. `firstIndex` numbers the first point within
// its (run, attempt, sample, source) stream, so a listener that misses a
// chunk sees the gap. The columns live for the call only.
struct WaveformChunk {
  std::int64_t runId = 0;
  int attempt = 1;
  int sample = 0;  // RunProfile::kWholeRun (-1) for a meter's stream over the run
  std::string source;  // model, supply, or the meter's
  std::uint64_t firstIndex = 0;
  double t0 = 0, rateHz = 0;
  std::vector<std::string> channels;             // names, in the order of columns
  std::vector<std::span<const double>> columns;  // equal lengths
  std::size_t size() const { return columns.empty() ? 0 : columns.front().size(); }
};
using WaveformListener = std::function<void(const WaveformChunk&)>;

// Sampled channels, one value per bin, in segments of one rate.
struct ModelledSegment {
  double t0 = 0, rateHz = 0;
  std::vector<double> current, voltage, power;
};
[[nodiscard]] std::vector<ModelledSegment> sampleLoads(const std::vector<inst::LoadStretch>& loads, double capacitanceF,
                                                       const ModelledWaveformOptions& options = {});

// Writes them as source "model", channels current (A), voltage (V), power (W).
// `live`, when given, is handed each segment as it is written.
[[nodiscard]] Status recordModelledWaveform(db::Database& db, std::int64_t runId, int attempt, int sample,
                                            const std::vector<inst::LoadStretch>& loads, double capacitanceF,
                                            const ModelledWaveformOptions& options = {},
                                            const WaveformListener& live = {});

// Measured: the supply's readings of its output (voltage, current; power
// their product), taken as fast as it answers and timestamped by the
// bench. Stored at the readings' mean rate, each grid point holding the
// latest reading at its time (a supply's readings are not evenly spaced);
// source "supply". Fewer than two readings: nothing to write.
[[nodiscard]] Status recordMeasuredWaveform(db::Database& db, std::int64_t runId, int attempt, int sample,
                                            const std::vector<inst::SupplyMeasurement>& readings,
                                            const WaveformListener& live = {});

// Streamed: a meter's samples over the whole run (RunProfile::kWholeRun),
// written as they arrive through a connection of the writer's own (the
// meter is read on its own thread): channels current (A, 1 nA steps),
// voltage (V) and digital (the inputs' bits) where the meter has them, and
// power where it has both. A lost sample (NaN) ends a segment and the next
// good one starts another at its own time: a gap stays a gap.
class MeterWaveform {
 public:
  // `live`, when given, is handed each stretch of good samples as written.
  MeterWaveform(std::filesystem::path database, std::int64_t runId, int attempt, WaveformListener live = {});
  [[nodiscard]] Status write(const MeterStream& stream, const inst::MeterChunk& chunk);
  // Commits what is left.
  [[nodiscard]] Status finish();
  std::uint64_t samples() const { return m_index; }

 private:
  [[nodiscard]] Status flush(const MeterStream& stream);
  std::filesystem::path m_path;
  std::int64_t m_runId;
  int m_attempt;
  WaveformListener m_live;
  std::uint64_t m_segmentFirst = 0;  // the stream index of the first buffered sample
  std::optional<db::Database> m_db;
  std::optional<db::WaveformWriter> m_writer;
  std::uint64_t m_index = 0;       // samples of the stream so far
  bool m_segmentOpen = false;
  std::vector<double> m_current, m_voltage, m_power, m_digital;
};

}  // namespace aidi::core
