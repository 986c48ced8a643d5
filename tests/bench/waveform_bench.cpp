// Waveform storage benchmark ([profiling] targets: one hour at 100 kS/s of
// current and voltage written at >= 10x real time, <= 1.5 GB, reopened and
// drawn at any zoom in <= 16 ms a frame). Prints its figures.
//
// The signal is what a PPK2 or an Otii records on an intermittent device:
// bursts of 2 mA (with 0.5 % of noise) between sleeps of 1.3 uA (40 nA of
// noise) and dark spells at 0, the capacitor's voltage charging and
// draining between 2 and 3 V (1 mV of noise), and the power V x I the
// writer stores beside them. Noise comes from a pool read at random
// offsets, so no block repeats another.
//
//   waveform_bench [DIR] [SECONDS]   DIR keeps the file (default bench-data), SECONDS of signal (3600)
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "aidi/db/campaign_store.hpp"
#include "aidi/db/database.hpp"
#include "aidi/db/waveform_store.hpp"
#include "bench_support.hpp"

using namespace aidi::db;
using namespace aidi::bench;

namespace {

constexpr double kRate = 100e3;

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "bench-data";
  const double duration = argc > 2 ? std::stod(argv[2]) : 3600.0;
  std::filesystem::create_directories(dir);
  const auto file = dir / "waveform.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);

  std::int64_t runId = 0;
  int attempt = 0;
  {
    auto db = must(Database::open(file));
    CampaignStore store(db);
    PlannedRun plan{"mcunet-s", "aidi", "office-day", 100.0, 0, 1};
    const auto campaign = must(store.createCampaign("waveform-bench", "", "", std::span(&plan, 1)));
    const auto run = must(store.claimNextRun(campaign));
    runId = run->runId;
    attempt = run->attempt;
  }

  // The signal, a second at a time.
  std::mt19937 rng(1);
  std::normal_distribution<double> gauss(0, 1);
  std::vector<double> pool(1 << 20);
  for (auto& v : pool) v = gauss(rng);
  const std::size_t perChunk = static_cast<std::size_t>(kRate);
  std::vector<double> amps(perChunk), volts(perChunk), watts(perChunk);
  double v = 2.0;
  const auto chunk = [&](std::size_t index) {
    std::size_t at = rng() % (pool.size() - 3 * perChunk);
    for (std::size_t i = 0; i < perChunk; ++i) {
      const std::size_t n = index * perChunk + i;
      // 12 ms bursts every 80 ms while powered; dark a tenth of the time.
      const bool dark = (n / 6'000'000) % 10 == 9;
      const bool active = !dark && n % 8000 < 1200;
      const double i0 = dark ? 0 : active ? 2e-3 : 1.3e-6;
      amps[i] = std::max(0.0, i0 + (active ? 1e-5 : dark ? 2e-9 : 4e-8) * pool[at++]);
      v += active ? -8e-6 : dark ? 0 : 1.2e-6;
      v = std::clamp(v, 2.0, 3.0);
      volts[i] = v + 1e-3 * pool[at++];
      watts[i] = volts[i] * amps[i];
    }
  };

  const std::size_t chunks = static_cast<std::size_t>(duration);
  double writeS = 0;
  {
    auto db = must(Database::open(file));
    auto writer = must(WaveformWriter::create(db, runId, attempt, -1, "ppk2",
                                              {{"current", "A", 1e-9}, {"voltage", "V", 1e-5}, {"power", "W", 1e-9}}));
    auto t = Clock::now();
    must(writer.startSegment(0.0, kRate));
    writeS += seconds(t);
    for (std::size_t k = 0; k < chunks; ++k) {
      chunk(k);
      t = Clock::now();
      const std::span<const double> columns[] = {amps, volts, watts};
      must(writer.append(columns));
      writeS += seconds(t);
    }
    t = Clock::now();
    must(writer.finish());
    writeS += seconds(t);
  }
  std::uintmax_t bytes = 0;
  for (const char* suffix : {"", "-wal"})
    if (std::filesystem::exists(file.string() + suffix)) bytes += std::filesystem::file_size(file.string() + suffix);
  const double samples = duration * kRate;
  std::printf("waveform store: %.0f s at 100 kS/s, current + voltage + power (%.0f M samples each)\n", duration, samples / 1e6);
  std::printf("  write              %8.1f s  = %.1fx real time (target >= 10x), %.1f M samples/s\n", writeS,
              duration / writeS, 3 * samples / writeS / 1e6);
  std::printf("  size               %8.1f MB = %.2f bytes a sample (target <= 1.5 GB for an hour of current + voltage)\n",
              static_cast<double>(bytes) / 1e6, static_cast<double>(bytes) / (3 * samples));

  {
    auto db = must(Database::open(file));
    for (const auto& c : must(listChannels(db, runId, attempt))) {
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(db.handle(),
                         "SELECT SUM(length(data)) FROM waveform_blocks b JOIN waveform_segments s ON s.id = b.segment_id"
                         " WHERE s.channel_id = ?", -1, &st, nullptr);
      sqlite3_bind_int64(st, 1, c.id);
      sqlite3_step(st);
      std::printf("    %-8s         %8.1f MB of blocks, pyramid included\n", c.name.c_str(), sqlite3_column_int64(st, 0) / 1e6);
      sqlite3_finalize(st);
    }
  }

  // Reopen and draw: three channels of 1920 columns at zooms from the whole
  // hour to a millisecond, at random places; the first frame of each zoom
  // with a cold cache (a fresh reader), then pans with a warm one.
  auto t = Clock::now();
  OpenOptions readOnly;
  readOnly.readOnly = true;
  auto db = must(Database::open(file, readOnly));
  const auto channels = must(listChannels(db, runId, attempt));
  std::printf("  reopen             %8.2f ms (%zu channels)\n", seconds(t) * 1e3, channels.size());
  double worst = 0;
  std::mt19937 where(2);
  for (const double span : {duration, 600.0, 60.0, 1.0, 0.01, 0.001}) {
    WaveformReader reader(db);
    double cold = 0, warmTotal = 0, warmMax = 0;
    int filled = 0;
    const int frames = 20;
    double start = std::uniform_real_distribution<double>(0, std::max(0.0, duration - span))(where);
    for (int f = 0; f <= frames; ++f) {
      t = Clock::now();
      filled = 0;
      for (const auto& c : channels)
        for (const auto& column : must(reader.envelope(c, start, start + span, 1920))) filled += column.empty ? 0 : 1;
      const double ms = seconds(t) * 1e3;
      if (f == 0) cold = ms;
      else warmTotal += ms, warmMax = std::max(warmMax, ms);
      start = std::clamp(start + span * 0.1, 0.0, std::max(0.0, duration - span));  // pan by a tenth
    }
    worst = std::max({worst, cold, warmMax});
    std::printf("  draw %8.3f s     cold %6.2f ms, panning %6.2f ms a frame (max %.2f), %d of 3 x 1920 columns drawn\n",
                std::min(span, duration), cold, warmTotal / frames, warmMax, filled);
  }
  // Between two cursors: charge, energy, mean power, over a span anywhere.
  {
    WaveformReader reader(db);
    t = Clock::now();
    const int n = 50;
    for (int i = 0; i < n; ++i) {
      const double a = std::uniform_real_distribution<double>(0, duration)(where);
      const double b = std::uniform_real_distribution<double>(a, duration)(where);
      for (const auto& c : channels) must(reader.stats(c, a, b));
    }
    std::printf("  cursors            %8.2f ms for charge, energy and means between two random times (3 channels)\n",
                seconds(t) * 1e3 / n);
  }
  std::printf("  worst frame        %8.2f ms (target <= 16 ms)\n", worst);
  return 0;
}
