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

#include <cstdint>
#include <vector>

#include "aidi/db/database.hpp"
#include "aidi/inst/harvester_model.hpp"
#include "aidi/inst/supply_harvester.hpp"

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

// Measured: the supply's readings of its output (voltage, current; power
// their product), taken as fast as it answers and timestamped by the
// bench. Stored at the readings' mean rate, each grid point holding the
// latest reading at its time (a supply's readings are not evenly spaced);
// source "supply". Fewer than two readings: nothing to write.
[[nodiscard]] Status recordMeasuredWaveform(db::Database& db, std::int64_t runId, int attempt, int sample,
                                            const std::vector<inst::SupplyMeasurement>& readings);

}  // namespace aidi::core
