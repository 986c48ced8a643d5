// The virtual bench's waveforms: the device's current, voltage and power
// over an inference, sampled from what the harvester model walked (its
// load stretches), and written to the run database beside what real
// instruments record (the same tables, the same views).
//
// While the device is on (and around any short stretch) the waveform is
// sampled in bins of at most 10 us (>= 100 kS/s); long stretches of one
// load (charging while off, long sleeps, shutdowns) in bins of ~10 ms.
// Each bin holds the mean power over it, so the waveform's integral is the
// model's energy ledger; the voltage is the capacitor's at the bin's
// middle (the stored energy moves linearly within a stretch); the current
// is power / voltage (the board draws its power from the capacitor).
#pragma once

#include <cstdint>
#include <vector>

#include "aidi/db/database.hpp"
#include "aidi/inst/harvester_model.hpp"

namespace aidi::core {

struct ModelledWaveformOptions {
  double fastRateHz = 100e3;  // bins while the device runs
  double slowRateHz = 100;    // bins over long stretches of one load
  double fastBelowS = 20e-3;  // a stretch shorter than this, or drawing more than `fastAboveW`, is sampled fast
  double fastAboveW = 1e-4;
};

// Sampled channels, one value per bin, in segments of one rate.
struct ModelledSegment {
  double t0 = 0, rateHz = 0;
  std::vector<double> current, voltage, power;
};
[[nodiscard]] std::vector<ModelledSegment> sampleLoads(const std::vector<inst::LoadStretch>& loads, double capacitanceF,
                                                       const ModelledWaveformOptions& options = {});

// Writes them as source "model", channels current (A), voltage (V), power (W).
[[nodiscard]] Status recordModelledWaveform(db::Database& db, std::int64_t runId, int attempt, int sample,
                                            const std::vector<inst::LoadStretch>& loads, double capacitanceF,
                                            const ModelledWaveformOptions& options = {});

}  // namespace aidi::core
