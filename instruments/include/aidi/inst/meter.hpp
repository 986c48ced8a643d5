// A meter beside the bench's supply: an instrument that streams the board's
// current (and, where it measures them, voltage and digital inputs) while a
// run goes on, for the run's waveforms. The PPK2 in ampere-meter mode (in
// series with the supply, its pass-through closed while it meters) and the
// Otii's recording are rows of the registry's meter table (registry.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

// Samples in order, at the meter's rate: every vector that is not empty has
// the same length. A sample the meter lost is NaN (its place on the
// timeline is kept: a gap is never closed up).
struct MeterChunk {
  std::vector<float> amps, volts;
  std::vector<std::uint8_t> logic;  // one bit per digital input
  std::size_t size() const { return amps.size(); }
  void clear() { amps.clear(), volts.clear(), logic.clear(); }
};

class Meter {
 public:
  virtual ~Meter() = default;
  // The waveform source name ("ppk2", "otii").
  virtual std::string source() const = 0;
  // Samples per second; known once the first samples were read (0 before).
  virtual double rateHz() const = 0;
  virtual bool hasVolts() const = 0;
  virtual bool hasLogic() const = 0;
  [[nodiscard]] virtual Status start() = 0;
  // Appends what arrived since the last read, waiting up to `wait` for it.
  [[nodiscard]] virtual Status read(MeterChunk& out, Millis wait) = 0;
  [[nodiscard]] virtual Status stop() = 0;
  // Samples the meter lost so far (in the stream as NaN).
  virtual std::uint64_t lostSamples() const = 0;
};

}  // namespace aidi::inst
