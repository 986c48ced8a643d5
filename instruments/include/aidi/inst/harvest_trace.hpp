// Harvested input power over time: a constant, or a trace file.
//
// Trace file format (CSV, documented in fixtures/traces/README.md): lines
// starting with '#' are comments; the first other line is the header
// "time_s,power_w"; then one "time,power" row per sample, times strictly
// increasing from 0, power >= 0 in watts. Power is held from one sample to
// the next (sample and hold). The last row marks the end of the trace (its
// power is not used); the trace then repeats from the start.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

class HarvestTrace {
 public:
  // What a trace file may hold; beyond these it is refused with its line:
  // samples closer than 1 us (a period of picoseconds once made the energy
  // model step for ever), longer than ten years, above 100 W, or more rows
  // than fit a sensible amount of memory.
  static constexpr double kMinStepS = 1e-6;
  static constexpr double kMaxDurationS = 10 * 365.25 * 86400;
  static constexpr double kMaxPowerW = 100;
  static constexpr std::size_t kMaxRows = 50'000'000;

  static HarvestTrace constant(double watts);
  // Parses a trace file; errors name the file and the line.
  [[nodiscard]] static Result<HarvestTrace> load(const std::filesystem::path& path);
  [[nodiscard]] static Result<HarvestTrace> parse(const std::string& text, const std::string& sourceName);

  // The constant-power piece of the trace that holds at time t >= 0: its
  // power and the time it ends (> t). One lookup for both, so a t that
  // rounding puts a hair before a sample boundary gets the power of the piece
  // it really is in (that piece then ends almost at once), never the
  // neighbour's power for a whole sample.
  struct Piece {
    double power;
    double end;
  };
  Piece pieceAt(double t) const;
  double powerAt(double t) const { return pieceAt(t).power; }
  double nextChangeAfter(double t) const { return pieceAt(t).end; }
  // Energy harvested (before conversion losses) in [t0, t1].
  double energy(double t0, double t1) const;
  // Seconds of [t0, t1] with no harvested power at all.
  double darkSeconds(double t0, double t1) const;
  double meanPower() const;
  double period() const { return m_period; }
  const std::string& name() const { return m_name; }

 private:
  std::vector<double> m_times;   // starts at 0
  std::vector<double> m_powers;  // held until the next time
  double m_period = 0;           // 0: constant
  std::string m_name;
  std::size_t indexAt(double phase) const;
};

}  // namespace aidi::inst
