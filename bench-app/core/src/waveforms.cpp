#include "aidi/core/waveforms.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "aidi/core/run_profile.hpp"
#include "aidi/db/waveform_store.hpp"

namespace aidi::core {
namespace {

bool sampledFast(const inst::LoadStretch& s, const ModelledWaveformOptions& o) {
  return s.t1 - s.t0 < o.fastBelowS || s.loadW > o.fastAboveW;
}

}  // namespace

std::vector<ModelledSegment> sampleLoads(const std::vector<inst::LoadStretch>& loads, double capacitanceF,
                                         const ModelledWaveformOptions& options) {
  std::vector<ModelledSegment> out;
  const std::size_t n = loads.size();
  for (std::size_t i = 0; i < n;) {
    // A group: contiguous stretches all sampled fast, or slow ones of one load.
    const bool fast = sampledFast(loads[i], options);
    std::size_t j = i + 1;
    while (j < n && loads[j].t0 == loads[j - 1].t1 && sampledFast(loads[j], options) == fast &&
           (fast || loads[j].loadW == loads[i].loadW))
      ++j;
    const double t0 = loads[i].t0, t1 = loads[j - 1].t1, span = t1 - t0;
    if (!(span > 0)) {
      i = j;
      continue;
    }
    const double wanted = fast ? options.fastRateHz : options.slowRateHz;
    const auto bins = static_cast<std::size_t>(std::max(1.0, fast ? std::ceil(span * wanted) : std::round(span * wanted)));
    ModelledSegment seg{t0, static_cast<double>(bins) / span, {}, {}, {}};
    seg.current.resize(bins);
    seg.voltage.resize(bins);
    seg.power.resize(bins);
    const double width = span / static_cast<double>(bins);
    std::size_t first = i;  // the first stretch not wholly before the bin
    for (std::size_t b = 0; b < bins; ++b) {
      const double b0 = t0 + static_cast<double>(b) * width;
      const double b1 = b + 1 == bins ? t1 : b0 + width;
      while (first + 1 < j && loads[first].t1 <= b0) ++first;
      // The bin's energy: each stretch it overlaps, at its load.
      double joules = 0;
      for (std::size_t k = first; k < j && loads[k].t0 < b1; ++k)
        joules += loads[k].loadW * std::max(0.0, std::min(b1, loads[k].t1) - std::max(b0, loads[k].t0));
      const double watts = joules / (b1 - b0);
      // The capacitor at the bin's middle.
      const double mid = 0.5 * (b0 + b1);
      std::size_t k = first;
      while (k + 1 < j && loads[k].t1 <= mid) ++k;
      const auto& s = loads[k];
      const double f = s.t1 > s.t0 ? std::clamp((mid - s.t0) / (s.t1 - s.t0), 0.0, 1.0) : 0.0;
      const double energy = std::max(0.0, s.e0J + (s.e1J - s.e0J) * f);
      const double volts = std::sqrt(2.0 * energy / capacitanceF);
      seg.power[b] = watts;
      seg.voltage[b] = volts;
      seg.current[b] = volts > 0 ? watts / volts : 0.0;
    }
    out.push_back(std::move(seg));
    i = j;
  }
  return out;
}

Status recordModelledWaveform(db::Database& db, std::int64_t runId, int attempt, int sample,
                              const std::vector<inst::LoadStretch>& loads, double capacitanceF,
                              const ModelledWaveformOptions& options, const WaveformListener& live) {
  auto writer = db::WaveformWriter::create(db, runId, attempt, sample, "model",
                                           {{"current", "A", 1e-9}, {"voltage", "V", 1e-5}, {"power", "W", 1e-9}});
  if (!writer) return std::unexpected(writer.error());
  std::uint64_t index = 0;
  for (const auto& seg : sampleLoads(loads, capacitanceF, options)) {
    if (auto ok = writer->startSegment(seg.t0, seg.rateHz); !ok) return ok;
    const std::span<const double> columns[] = {seg.current, seg.voltage, seg.power};
    if (auto ok = writer->append(columns); !ok) return ok;
    if (live)
      live(WaveformChunk{runId, attempt, sample, "model", index, seg.t0, seg.rateHz, {"current", "voltage", "power"},
                         {std::begin(columns), std::end(columns)}});
    index += seg.power.size();
  }
  return writer->finish();
}

Status recordMeasuredWaveform(db::Database& db, std::int64_t runId, int attempt, int sample,
                              const std::vector<inst::SupplyMeasurement>& readings, const WaveformListener& live) {
  if (readings.size() < 2 || !(readings.back().t > readings.front().t)) return {};
  const double t0 = readings.front().t, span = readings.back().t - t0;
  const double rate = static_cast<double>(readings.size() - 1) / span;
  const auto points = static_cast<std::size_t>(std::floor(span * rate)) + 1;
  std::vector<double> current(points), voltage(points), power(points);
  std::size_t k = 0;
  for (std::size_t i = 0; i < points; ++i) {
    const double t = t0 + static_cast<double>(i) / rate;
    while (k + 1 < readings.size() && readings[k + 1].t <= t + 1e-12) ++k;
    current[i] = readings[k].amps;
    voltage[i] = readings[k].volts;
    power[i] = readings[k].volts * readings[k].amps;
  }
  auto writer = db::WaveformWriter::create(db, runId, attempt, sample, "supply",
                                           {{"current", "A", 1e-7}, {"voltage", "V", 1e-5}, {"power", "W", 1e-8}});
  if (!writer) return std::unexpected(writer.error());
  if (auto ok = writer->startSegment(t0, rate); !ok) return ok;
  const std::span<const double> columns[] = {current, voltage, power};
  if (auto ok = writer->append(columns); !ok) return ok;
  if (live)
    live(WaveformChunk{runId, attempt, sample, "supply", 0, t0, rate, {"current", "voltage", "power"},
                       {std::begin(columns), std::end(columns)}});
  return writer->finish();
}

MeterWaveform::MeterWaveform(std::filesystem::path database, std::int64_t runId, int attempt, WaveformListener live)
    : m_path(std::move(database)), m_runId(runId), m_attempt(attempt), m_live(std::move(live)) {}

Status MeterWaveform::flush(const MeterStream& stream) {
  if (m_current.empty()) return {};
  std::vector<std::span<const double>> columns{m_current};
  std::vector<std::string> names{"current"};
  if (stream.hasVolts) columns.push_back(m_voltage), columns.push_back(m_power), names.push_back("voltage"), names.push_back("power");
  if (stream.hasLogic) columns.push_back(m_digital), names.push_back("digital");
  if (auto ok = m_writer->append(columns); !ok) return ok;
  if (m_live) {
    m_live(WaveformChunk{m_runId, m_attempt, RunProfile::kWholeRun, stream.source, m_segmentFirst,
                         stream.t0 + static_cast<double>(m_segmentFirst) / stream.rateHz, stream.rateHz, names, columns});
  }
  m_current.clear(), m_voltage.clear(), m_power.clear(), m_digital.clear();
  return {};
}

Status MeterWaveform::write(const MeterStream& stream, const inst::MeterChunk& chunk) {
  if (!m_writer) {
    auto db = db::Database::open(m_path);
    if (!db) return std::unexpected(db.error());
    m_db.emplace(std::move(*db));
    std::vector<db::ChannelSpec> specs{{"current", "A", 1e-9}};
    if (stream.hasVolts) specs.push_back({"voltage", "V", 1e-5}), specs.push_back({"power", "W", 1e-9});
    if (stream.hasLogic) specs.push_back({"digital", "bits", 1});
    auto writer = db::WaveformWriter::create(*m_db, m_runId, m_attempt, RunProfile::kWholeRun, stream.source, specs);
    if (!writer) return std::unexpected(writer.error());
    m_writer.emplace(std::move(*writer));
  }
  for (std::size_t i = 0; i < chunk.size(); ++i, ++m_index) {
    const double amps = chunk.amps[i];
    const double volts = stream.hasVolts && i < chunk.volts.size() ? chunk.volts[i] : 0.0;
    if (!std::isfinite(amps) || !std::isfinite(volts)) {  // lost: the segment ends here
      if (auto ok = flush(stream); !ok) return ok;
      m_segmentOpen = false;
      continue;
    }
    if (!m_segmentOpen) {
      if (auto ok = flush(stream); !ok) return ok;
      if (auto ok = m_writer->startSegment(stream.t0 + static_cast<double>(m_index) / stream.rateHz, stream.rateHz); !ok)
        return ok;
      m_segmentOpen = true;
    }
    if (m_current.empty()) m_segmentFirst = m_index;  // the buffered points are consecutive from here
    m_current.push_back(amps);
    if (stream.hasVolts) m_voltage.push_back(volts), m_power.push_back(volts * amps);
    if (stream.hasLogic) m_digital.push_back(i < chunk.logic.size() ? chunk.logic[i] : 0);
  }
  if (auto ok = flush(stream); !ok) return ok;
  // The run's rows are written on another connection meanwhile: never hold
  // the file's write lock between chunks (a meter that fails after this one
  // would hold it for good). A transaction is open only when this chunk
  // filled a block or started a segment, a few times a second at most.
  return m_writer->commit();
}

Status MeterWaveform::finish() {
  if (!m_writer) return {};
  return m_writer->finish();
}

}  // namespace aidi::core
