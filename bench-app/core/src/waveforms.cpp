#include "aidi/core/waveforms.hpp"

#include <algorithm>
#include <cmath>

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
                              const ModelledWaveformOptions& options) {
  auto writer = db::WaveformWriter::create(db, runId, attempt, sample, "model",
                                           {{"current", "A", 1e-9}, {"voltage", "V", 1e-5}, {"power", "W", 1e-9}});
  if (!writer) return std::unexpected(writer.error());
  for (const auto& seg : sampleLoads(loads, capacitanceF, options)) {
    if (auto ok = writer->startSegment(seg.t0, seg.rateHz); !ok) return ok;
    const std::span<const double> columns[] = {seg.current, seg.voltage, seg.power};
    if (auto ok = writer->append(columns); !ok) return ok;
  }
  return writer->finish();
}

Status recordMeasuredWaveform(db::Database& db, std::int64_t runId, int attempt, int sample,
                              const std::vector<inst::SupplyMeasurement>& readings) {
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
  return writer->finish();
}

}  // namespace aidi::core
