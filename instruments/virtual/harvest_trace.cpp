#include "aidi/inst/harvest_trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace aidi::inst {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Locale-independent number; false when `text` is not entirely a finite number.
bool parseNumber(const std::string& text, double& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc{} && ptr == end && std::isfinite(value);
}

}  // namespace

HarvestTrace HarvestTrace::constant(double watts) {
  HarvestTrace t;
  t.m_times = {0.0};
  t.m_powers = {watts};
  t.m_name = "constant " + std::to_string(watts) + " W";
  return t;
}

Result<HarvestTrace> HarvestTrace::load(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return fail(ErrorCode::NotFound, path.string() + ": is a directory, not a trace file");
  // A device or a pipe (/dev/zero, a FIFO) would be read for ever.
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    return fail(ErrorCode::Protocol, path.string() + ": is not a regular file (a device or a pipe?)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::NotFound, "trace file not found: " + path.string());
  // About 40 bytes a row: the row limit bounds the file too.
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxRows * 64)
    return fail(ErrorCode::Protocol, path.string() + ": " + std::to_string(size) + " bytes is too large for a trace");
  std::stringstream text;
  text << in.rdbuf();
  auto trace = parse(text.str(), path.string());
  if (trace) trace->m_name = path.stem().string();
  return trace;
}

Result<HarvestTrace> HarvestTrace::parse(const std::string& text, const std::string& source) {
  HarvestTrace t;
  t.m_name = source;
  // A spreadsheet's CSV export may start with a UTF-8 byte-order mark.
  std::istringstream in(text.starts_with("\xEF\xBB\xBF") ? text.substr(3) : text);
  std::string line;
  int number = 0;
  bool header = false;
  while (std::getline(in, line)) {
    ++number;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto where = source + ":" + std::to_string(number) + ": ";
    const auto comma = line.find(',');
    if (comma == std::string::npos || line.find(',', comma + 1) != std::string::npos)
      return fail(ErrorCode::Protocol, where + "expected two columns \"time_s,power_w\", got \"" + line + "\"");
    const std::string a = trim(line.substr(0, comma)), b = trim(line.substr(comma + 1));
    if (!header) {
      if (a != "time_s" || b != "power_w")
        return fail(ErrorCode::Protocol,
                    where + "header must be \"time_s,power_w\" (seconds, watts), got \"" + line + "\"");
      header = true;
      continue;
    }
    double time = 0, power = 0;
    if (!parseNumber(a, time)) return fail(ErrorCode::Protocol, where + "time is not a number: \"" + a + "\"");
    if (!parseNumber(b, power)) return fail(ErrorCode::Protocol, where + "power is not a number: \"" + b + "\"");
    if (power < 0) return fail(ErrorCode::Protocol, where + "negative power " + b + " W");
    if (t.m_times.empty() && time != 0) return fail(ErrorCode::Protocol, where + "the first sample must be at time 0");
    if (!t.m_times.empty() && time <= t.m_times.back())
      return fail(ErrorCode::Protocol, where + "times must increase: " + a + " s after " +
                                           std::to_string(t.m_times.back()) + " s");
    if (!t.m_times.empty() && time - t.m_times.back() < kMinStepS * 0.999)  // slack: decimal times round
      return fail(ErrorCode::Protocol, where + "samples " + std::to_string(time - t.m_times.back()) +
                                           " s apart; a trace's resolution is at least 1 us");
    if (time > kMaxDurationS)
      return fail(ErrorCode::Protocol, where + "time " + a + " s is beyond the longest trace (" +
                                           std::to_string(kMaxDurationS) + " s, ten years)");
    if (!(power <= kMaxPowerW))
      return fail(ErrorCode::Protocol, where + "power " + b + " W is above " + std::to_string(kMaxPowerW) +
                                           " W (a trace is in watts, not microwatts?)");
    if (t.m_times.size() >= kMaxRows)
      return fail(ErrorCode::Protocol, where + "more than " + std::to_string(kMaxRows) + " rows");
    t.m_times.push_back(time);
    t.m_powers.push_back(power);
  }
  if (!header) return fail(ErrorCode::Protocol, source + ": empty trace (no \"time_s,power_w\" header)");
  if (t.m_times.size() < 2)
    return fail(ErrorCode::Protocol, source + ": a trace needs at least two rows (the last marks its end)");
  // The last row marks the end: the trace repeats from there.
  t.m_period = t.m_times.back();
  t.m_times.pop_back();
  t.m_powers.pop_back();
  return t;
}

std::size_t HarvestTrace::indexAt(double phase) const {
  const auto it = std::upper_bound(m_times.begin(), m_times.end(), phase);
  return static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, (it - m_times.begin()) - 1));
}

HarvestTrace::Piece HarvestTrace::pieceAt(double t) const {
  if (m_period <= 0) return {m_powers.front(), std::numeric_limits<double>::infinity()};
  double base = std::floor(t / m_period) * m_period;
  std::size_t i = indexAt(t - base);
  // Rounding at a sample boundary can land the end on t itself: move on to
  // the next piece (wrapping into the next period), whose power then applies.
  // Bounded: where t is so large that a step no longer moves it, the piece
  // ends at the next representable time instead of looping for ever.
  for (std::size_t steps = 0; steps <= m_times.size() + 1; ++steps) {
    const double end = base + (i + 1 < m_times.size() ? m_times[i + 1] : m_period);
    if (end > t) return {m_powers[i], end};
    if (++i >= m_times.size()) {
      i = 0;
      base += m_period;
    }
  }
  return {m_powers[i], std::nextafter(t, std::numeric_limits<double>::infinity())};
}

double HarvestTrace::energy(double t0, double t1) const {
  double total = 0;
  for (double t = t0; t < t1;) {
    const Piece piece = pieceAt(t);
    const double until = std::min(t1, piece.end);
    total += piece.power * (until - t);
    t = until;
  }
  return total;
}

double HarvestTrace::darkSeconds(double t0, double t1) const {
  double dark = 0;
  for (double t = t0; t < t1;) {
    const Piece piece = pieceAt(t);
    const double until = std::min(t1, piece.end);
    if (piece.power <= 0) dark += until - t;
    t = until;
  }
  return dark;
}

double HarvestTrace::meanPower() const {
  if (m_period <= 0) return m_powers.front();
  return energy(0, m_period) / m_period;
}

}  // namespace aidi::inst
