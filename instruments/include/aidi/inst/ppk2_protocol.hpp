// The Nordic Power Profiler Kit II's USB protocol (a CDC ACM serial port), as
// Nordic's open-source PPK app (pc-nrfconnect-ppk, src/device) and the
// community APIs speak it; written from their description, not their code.
//
// The host sends opcodes with arguments (Command). GetMetadata is answered
// with text, "key: value" lines ending with "END": the calibration of each
// of the five current ranges. While measuring (AverageStart), the kit
// streams 4-byte little-endian samples at 100 kS/s:
//   bits  0-13  ADC code (times 4: the 16-bit value the calibration takes)
//   bits 14-16  current range, 0 (most sensitive, ~1 kohm shunt) to 4
//   bits 18-23  a counter, +1 per sample modulo 64: a jump is lost samples
//   bits 24-31  the eight digital inputs
// Current = UG * (x (GS x + GI) + S vdd + I), x = (4 code - O) * 1.8 / 163840 / R,
// each coefficient the range's, vdd the source voltage in volts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "aidi/inst/result.hpp"

namespace aidi::inst::ppk2 {

inline constexpr int kUsbVendorId = 0x1915;   // Nordic Semiconductor
inline constexpr int kUsbProductId = 0xC00A;  // PPK2
inline constexpr double kSampleRateHz = 100e3;
inline constexpr int kRanges = 5;
inline constexpr int kSourceMinMillivolts = 800;   // the kit's regulator range
inline constexpr int kSourceMaxMillivolts = 5000;
inline constexpr double kMaxAmps = 1.0;            // the kit's rating
inline constexpr std::size_t kSampleBytes = 4;
inline constexpr std::uint32_t kCounterModulo = 64;

enum class Op : std::uint8_t {
  AverageStart = 0x06,      // start streaming samples
  AverageStop = 0x07,
  DeviceRunningSet = 0x0C,  // DUT power: 1 on, 0 off
  RegulatorSet = 0x0D,      // source voltage, two bytes (sourceVoltageCommand)
  SetPowerMode = 0x11,      // PowerMode
  GetMetadata = 0x19,
  Reset = 0x20,
};

enum class PowerMode : std::uint8_t {
  Ampere = 1,  // measures a current the DUT draws from elsewhere
  Source = 2,  // sources the DUT at the regulator's voltage and measures it
};

std::vector<std::byte> command(Op op, std::initializer_list<std::uint8_t> args = {});
// RegulatorSet for `millivolts` (clamped by the caller: the kit's 800..5000):
// the two bytes encode millivolts - 800 + 32, high byte offset by 3.
std::vector<std::byte> sourceVoltageCommand(int millivolts);
// The millivolts a RegulatorSet's two argument bytes ask for.
int sourceMillivolts(std::uint8_t high, std::uint8_t low);

struct Calibration {
  std::array<double, kRanges> r{1031.64, 101.65, 10.15, 0.94, 0.043};  // shunt, ohm
  std::array<double, kRanges> gs{1, 1, 1, 1, 1}, gi{1, 1, 1, 1, 1};
  std::array<double, kRanges> o{0, 0, 0, 0, 0}, s{0, 0, 0, 0, 0}, i{0, 0, 0, 0, 0};
  std::array<double, kRanges> ug{1, 1, 1, 1, 1};
  bool calibrated = false;
  std::map<std::string, std::string> other;  // keys the decoder does not use (HW, IA, mode, VDD...)
};

// Parses the GetMetadata reply (everything up to and including "END").
// Known keys must hold finite numbers (R above zero); "-nan" or "nan" keeps
// the default, as Nordic's app does. The error names the line.
[[nodiscard]] Result<Calibration> parseMetadata(std::string_view text);
// The reply a kit with `calibration` gives (for the simulator).
std::string formatMetadata(const Calibration& calibration);

struct RawSample {
  std::uint16_t code = 0;   // 14 bits
  std::uint8_t range = 0;   // 0..4
  std::uint8_t counter = 0; // 6 bits
  std::uint8_t logic = 0;
};
std::uint32_t pack(const RawSample& s);
RawSample unpack(std::uint32_t word);

// Amperes of a sample under `calibration` at source voltage `vddVolts`.
double amps(const Calibration& calibration, int range, std::uint16_t code, double vddVolts);
// The sample a kit would send for `amps` (the most sensitive range that
// holds it, the code rounded): the simulator's side. False above range 4.
bool encodeAmps(const Calibration& calibration, double amps, double vddVolts, RawSample& out);

struct Sample {
  float amps;         // NaN for a sample the counter says was lost
  std::uint8_t logic;
  std::uint8_t range; // 0xFF for a lost one
};

struct StreamStats {
  std::uint64_t samples = 0;         // decoded, lost ones included (the timeline)
  std::uint64_t lost = 0;            // filled with NaN where the counter jumped
  std::uint64_t gaps = 0;            // counter jumps
  std::uint64_t discardedBytes = 0;  // bytes skipped to find the samples' alignment again
  std::uint64_t resyncs = 0;
};

// Turns the byte stream into samples. A sample is accepted when its counter
// follows the last one; when it does not, and the next samples follow it,
// the jump is a gap (the missing samples are appended as NaN, so that the
// timeline stays at 10 us a sample); when they do not either, the stream
// lost its 4-byte alignment (garbage, a dropped byte) and the decoder skips
// bytes until four samples in a row count up. So it holds back the last
// few samples until more arrive (flush() hands them over at the end). The
// protocol has no checksum: junk that leaves a sample's counter byte in
// place passes as a wrong value (the counter catches every misalignment,
// and a sample cut by junk is counted lost). A gap
// of a multiple of 64 samples cannot be seen by the counter; the driver
// compares the sample count with the clock for those.
class Decoder {
 public:
  Decoder(const Calibration& calibration, double vddVolts);
  void setSourceVolts(double vddVolts);
  void feed(std::span<const std::byte> bytes, std::vector<Sample>& out);
  void flush(std::vector<Sample>& out);  // the held-back samples, trusted as they are
  const StreamStats& stats() const { return m_stats; }

 private:
  static constexpr std::size_t kConfirm = 3;  // following samples that confirm a jump
  bool countsUp(std::size_t at, std::size_t samples) const;
  void accept(std::uint32_t word, std::vector<Sample>& out);
  void lost(std::uint32_t missing, std::vector<Sample>& out);  // a gap of `missing` samples
  void precompute();

  Calibration m_calibration;
  double m_vdd;
  struct RangeConstants {
    double scale, offset, gs, gi, constant, ug;
  };
  std::array<RangeConstants, kRanges> m_range{};
  std::vector<std::uint8_t> m_pending;  // bytes not yet decoded
  std::size_t m_at = 0;                 // first undecoded byte in m_pending
  bool m_started = false;
  std::uint32_t m_expected = 0;         // the next counter
  StreamStats m_stats;
};

}  // namespace aidi::inst::ppk2
