#include "aidi/inst/ppk2_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace aidi::inst::ppk2 {

namespace {

constexpr double kAdcVoltsPerCode = 1.8 / 163840;  // the ADC's reference over its scaled full count
constexpr std::uint16_t kMaxCode = 0x3FFF;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The coefficient array a metadata key names ("r3" -> r, 3), if any.
std::array<double, kRanges>* coefficient(Calibration& c, const std::string& key, int& index) {
  if (key.size() < 2 || !std::isdigit(static_cast<unsigned char>(key.back()))) return nullptr;
  index = key.back() - '0';
  if (index >= kRanges) return nullptr;
  const std::string name = key.substr(0, key.size() - 1);
  if (name == "r") return &c.r;
  if (name == "gs") return &c.gs;
  if (name == "gi") return &c.gi;
  if (name == "o") return &c.o;
  if (name == "s") return &c.s;
  if (name == "i") return &c.i;
  if (name == "ug") return &c.ug;
  return nullptr;
}

}  // namespace

std::vector<std::byte> command(Op op, std::initializer_list<std::uint8_t> args) {
  std::vector<std::byte> bytes{static_cast<std::byte>(op)};
  for (const auto a : args) bytes.push_back(static_cast<std::byte>(a));
  return bytes;
}

std::vector<std::byte> sourceVoltageCommand(int millivolts) {
  const int value = millivolts - kSourceMinMillivolts + 32;
  return command(Op::RegulatorSet, {static_cast<std::uint8_t>(3 + value / 256), static_cast<std::uint8_t>(value % 256)});
}

int sourceMillivolts(std::uint8_t high, std::uint8_t low) {
  return (static_cast<int>(high) - 3) * 256 + low + kSourceMinMillivolts - 32;
}

Result<Calibration> parseMetadata(std::string_view text) {
  Calibration c;
  bool ended = false;
  int lineNumber = 0;
  while (!text.empty() && !ended) {
    const auto eol = text.find('\n');
    const std::string_view line = trim(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    ++lineNumber;
    if (line.empty()) continue;
    if (line == "END") {
      ended = true;
      break;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos)
      return fail(ErrorCode::Protocol, fmt::format("PPK2 metadata line {}: \"{}\" is not \"key: value\"", lineNumber, line));
    const std::string key = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    int index = 0;
    auto* array = coefficient(c, key, index);
    if (!array && key != "calibrated") {
      c.other[key] = std::string(value);
      continue;
    }
    if (lower(value) == "-nan" || lower(value) == "nan") continue;  // the default stays
    double number = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (ec != std::errc{} || end != value.data() + value.size() || !std::isfinite(number))
      return fail(ErrorCode::Protocol,
                  fmt::format("PPK2 metadata line {}: {} is \"{}\", not a finite number", lineNumber, key, value));
    if (!array) {
      c.calibrated = number != 0;
      continue;
    }
    if (array == &c.r && !(number > 0))
      return fail(ErrorCode::Protocol,
                  fmt::format("PPK2 metadata line {}: shunt {} is {} ohm, not above zero", lineNumber, key, number));
    (*array)[static_cast<std::size_t>(index)] = number;
  }
  if (!ended) return fail(ErrorCode::Protocol, "PPK2 metadata ends without \"END\" (truncated reply)");
  return c;
}

std::string formatMetadata(const Calibration& c) {
  std::string out = fmt::format("Calibrated: {}\n", c.calibrated ? 1 : 0);
  const std::pair<const char*, const std::array<double, kRanges>*> arrays[] = {
      {"R", &c.r}, {"GS", &c.gs}, {"GI", &c.gi}, {"O", &c.o}, {"S", &c.s}, {"I", &c.i}, {"UG", &c.ug}};
  for (const auto& [name, values] : arrays)
    for (int k = 0; k < kRanges; ++k) out += fmt::format("{}{}: {:.9g}\n", name, k, (*values)[static_cast<std::size_t>(k)]);
  for (const auto& [key, value] : c.other) out += fmt::format("{}: {}\n", key, value);
  out += "END\n";
  return out;
}

std::uint32_t pack(const RawSample& s) {
  return (static_cast<std::uint32_t>(s.code) & kMaxCode) | (static_cast<std::uint32_t>(s.range & 7u) << 14) |
         (static_cast<std::uint32_t>(s.counter & 63u) << 18) | (static_cast<std::uint32_t>(s.logic) << 24);
}

RawSample unpack(std::uint32_t word) {
  return RawSample{static_cast<std::uint16_t>(word & kMaxCode), static_cast<std::uint8_t>((word >> 14) & 7u),
                   static_cast<std::uint8_t>((word >> 18) & 63u), static_cast<std::uint8_t>(word >> 24)};
}

double amps(const Calibration& c, int range, std::uint16_t code, double vddVolts) {
  const auto k = static_cast<std::size_t>(std::clamp(range, 0, kRanges - 1));
  const double x = (4.0 * code - c.o[k]) * (kAdcVoltsPerCode / c.r[k]);
  return c.ug[k] * (x * (c.gs[k] * x + c.gi[k]) + (c.s[k] * vddVolts + c.i[k]));
}

bool encodeAmps(const Calibration& c, double target, double vddVolts, RawSample& out) {
  for (int range = 0; range < kRanges; ++range) {
    if (amps(c, range, kMaxCode, vddVolts) < target && range + 1 < kRanges) continue;
    const auto k = static_cast<std::size_t>(range);
    // Solve UG (gs x^2 + gi x + s vdd + i) = target for x, then the code.
    const double rest = target / c.ug[k] - (c.s[k] * vddVolts + c.i[k]);
    double x = 0;
    if (std::abs(c.gs[k]) < 1e-12) {
      x = rest / c.gi[k];
    } else {
      const double disc = c.gi[k] * c.gi[k] + 4 * c.gs[k] * rest;
      if (disc < 0) return false;
      x = (-c.gi[k] + std::sqrt(disc)) / (2 * c.gs[k]);
    }
    const double code = (x / (kAdcVoltsPerCode / c.r[k]) + c.o[k]) / 4.0;
    if (code > kMaxCode + 0.5) return false;
    out.range = static_cast<std::uint8_t>(range);
    out.code = static_cast<std::uint16_t>(std::clamp(std::lround(code), 0L, static_cast<long>(kMaxCode)));
    return true;
  }
  return false;
}

Decoder::Decoder(const Calibration& calibration, double vddVolts) : m_calibration(calibration), m_vdd(vddVolts) {
  precompute();
}

void Decoder::setSourceVolts(double vddVolts) {
  m_vdd = vddVolts;
  precompute();
}

void Decoder::precompute() {
  for (std::size_t k = 0; k < kRanges; ++k) {
    const auto& c = m_calibration;
    m_range[k] = {4.0 * kAdcVoltsPerCode / c.r[k], c.o[k] * kAdcVoltsPerCode / c.r[k], c.gs[k], c.gi[k],
                  c.s[k] * m_vdd + c.i[k], c.ug[k]};
  }
}

static std::uint32_t wordAt(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

bool Decoder::countsUp(std::size_t at, std::size_t samples) const {
  std::uint32_t counter = (wordAt(m_pending.data() + at) >> 18) & 63u;
  for (std::size_t k = 1; k <= samples; ++k) {
    const std::uint32_t next = (wordAt(m_pending.data() + at + k * kSampleBytes) >> 18) & 63u;
    if (next != ((counter + 1) & 63u)) return false;
    counter = next;
  }
  return true;
}

void Decoder::accept(std::uint32_t word, std::vector<Sample>& out) {
  const std::uint32_t range = std::min<std::uint32_t>((word >> 14) & 7u, kRanges - 1);
  const auto& k = m_range[range];
  const double x = static_cast<double>(word & 0x3FFFu) * k.scale - k.offset;
  const double value = k.ug * (x * (k.gs * x + k.gi) + k.constant);
  out.push_back(Sample{static_cast<float>(value), static_cast<std::uint8_t>(word >> 24), static_cast<std::uint8_t>(range)});
  m_expected = (((word >> 18) & 63u) + 1) & 63u;
  ++m_stats.samples;
}

void Decoder::lost(std::uint32_t missing, std::vector<Sample>& out) {
  if (missing == 0) return;
  // NaN keeps their time on the 10 us timeline.
  out.insert(out.end(), missing, Sample{std::numeric_limits<float>::quiet_NaN(), 0, 0xFF});
  m_stats.samples += missing;
  m_stats.lost += missing;
  ++m_stats.gaps;
}

void Decoder::feed(std::span<const std::byte> bytes, std::vector<Sample>& out) {
  // Keep the undecoded tail, then the new bytes, contiguous.
  if (m_at > 0) {
    m_pending.erase(m_pending.begin(), m_pending.begin() + static_cast<std::ptrdiff_t>(m_at));
    m_at = 0;
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  m_pending.insert(m_pending.end(), data, data + bytes.size());
  const std::size_t window = (kConfirm + 1) * kSampleBytes;
  while (m_pending.size() - m_at >= window) {
    const std::uint32_t word = wordAt(m_pending.data() + m_at);
    const std::uint32_t counter = (word >> 18) & 63u;
    // A sample is trusted when the next one follows it, or, before a gap,
    // when the ones after it follow each other (a junk byte inside a sample
    // fakes a matching counter one time in 64, rarely twice).
    const std::uint32_t following = (wordAt(m_pending.data() + m_at + kSampleBytes) >> 18) & 63u;
    const bool followed = following == ((counter + 1) & 63u) || countsUp(m_at + kSampleBytes, kConfirm - 1);
    if (!m_started || (counter == m_expected && followed)) {
      // The first sample is trusted only when the next ones count up from it.
      if (!m_started && !countsUp(m_at, kConfirm)) {
        ++m_at, ++m_stats.discardedBytes;
        continue;
      }
      m_started = true;
      accept(word, out);
      m_at += kSampleBytes;
      continue;
    }
    if (countsUp(m_at, kConfirm)) {
      // A gap: the samples between were lost.
      lost((counter - m_expected) & 63u, out);
      accept(word, out);
      m_at += kSampleBytes;
      continue;
    }
    // Out of alignment: skip a byte at a time until samples count up again.
    ++m_stats.resyncs;
    std::size_t skipped = 0;
    do {
      ++m_at, ++skipped;
    } while (m_pending.size() - m_at >= window && !countsUp(m_at, kConfirm));
    m_stats.discardedBytes += skipped;
    if (m_pending.size() - m_at >= window) {
      // Realigned: what the counter skipped meanwhile is a gap too.
      const std::uint32_t next = (wordAt(m_pending.data() + m_at) >> 18) & 63u;
      lost((next - m_expected) & 63u, out);
      m_expected = next;
    }
  }
}

void Decoder::flush(std::vector<Sample>& out) {
  while (m_pending.size() - m_at >= kSampleBytes) {
    accept(wordAt(m_pending.data() + m_at), out);
    m_at += kSampleBytes;
  }
  m_stats.discardedBytes += m_pending.size() - m_at;
  m_pending.clear();
  m_at = 0;
}

}  // namespace aidi::inst::ppk2
