#include "waveform_codec.hpp"

#include <zstd.h>

#include <cstring>

namespace aidi::db::wave {
namespace {

constexpr std::uint8_t kVersion = 1, kSamples = 0, kSummary = 1;
constexpr std::size_t kHeaderBytes = 8;
// No block holds more: a header claiming more is corrupt, not a reason to allocate.
constexpr std::uint32_t kMaxCount = 1u << 24;

template <class U>
U zigzag(std::make_signed_t<U> v) {
  return (static_cast<U>(v) << 1) ^ static_cast<U>(v >> (sizeof(U) * 8 - 1));
}
template <class U>
std::make_signed_t<U> unzigzag(U u) {
  return static_cast<std::make_signed_t<U>>((u >> 1) ^ (~(u & 1) + 1));
}

// Appends `values`, delta-coded, zigzagged and split into byte planes.
template <class S>
void appendPlanes(std::string& out, std::span<const S> values) {
  using U = std::make_unsigned_t<S>;
  const std::size_t n = values.size(), base = out.size();
  out.resize(base + n * sizeof(U));
  auto* planes = reinterpret_cast<std::uint8_t*>(out.data() + base);
  S previous = 0;
  for (std::size_t i = 0; i < n; ++i) {
    // Wrapping subtraction: exact for any pair of values.
    const U delta = static_cast<U>(static_cast<U>(values[i]) - static_cast<U>(previous));
    previous = values[i];
    const U z = zigzag<U>(static_cast<S>(delta));
    for (std::size_t b = 0; b < sizeof(U); ++b) planes[b * n + i] = static_cast<std::uint8_t>(z >> (8 * b));
  }
}

template <class S>
void readPlanes(const std::uint8_t* planes, std::size_t n, std::vector<S>& out) {
  using U = std::make_unsigned_t<S>;
  out.resize(n);
  U previous = 0;
  for (std::size_t i = 0; i < n; ++i) {
    U z = 0;
    for (std::size_t b = 0; b < sizeof(U); ++b) z |= static_cast<U>(planes[b * n + i]) << (8 * b);
    previous = static_cast<U>(previous + static_cast<U>(unzigzag<U>(z)));
    out[i] = static_cast<S>(previous);
  }
}

std::string header(std::uint8_t kind, std::uint32_t count) {
  std::string out(kHeaderBytes, '\0');
  out[0] = 'A';
  out[1] = 'W';
  out[2] = static_cast<char>(kVersion);
  out[3] = static_cast<char>(kind);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>(count >> (8 * i));
  return out;
}

void appendFrame(std::string& out, const std::string& raw, int zstdLevel) {
  const std::size_t base = out.size();
  out.resize(base + ZSTD_compressBound(raw.size()));
  const std::size_t n = ZSTD_compress(out.data() + base, out.size() - base, raw.data(), raw.size(), zstdLevel);
  // Compressing into a buffer of ZSTD_compressBound cannot fail.
  out.resize(base + (ZSTD_isError(n) ? 0 : n));
}

// Decompresses exactly `expected` bytes from the frame at the front of
// `in` into the thread's buffer; `in` moves past the frame.
Result<const std::uint8_t*> inflate(std::span<const std::uint8_t>& in, std::size_t expected) {
  // One buffer per thread, kept: a fresh one would be paged in for every block.
  thread_local std::vector<std::uint8_t> raw;
  if (raw.size() < expected + 1) raw.resize(expected + 1);  // one spare byte: a longer payload is caught
  const std::size_t frameBytes = ZSTD_findFrameCompressedSize(in.data(), in.size());
  if (ZSTD_isError(frameBytes))
    return fail(ErrorCode::Corrupt, std::string("waveform block does not decompress: ") + ZSTD_getErrorName(frameBytes));
  const std::size_t n = ZSTD_decompress(raw.data(), expected + 1, in.data(), frameBytes);
  if (ZSTD_isError(n)) return fail(ErrorCode::Corrupt, std::string("waveform block does not decompress: ") + ZSTD_getErrorName(n));
  if (n != expected)
    return fail(ErrorCode::Corrupt, "waveform block holds " + std::to_string(n) + " bytes, its header says " +
                                        std::to_string(expected));
  in = in.subspan(frameBytes);
  return raw.data();
}

}  // namespace

std::string encodeSamples(std::span<const std::int32_t> codes, int zstdLevel) {
  std::string raw;
  appendPlanes(raw, codes);
  std::string out = header(kSamples, static_cast<std::uint32_t>(codes.size()));
  appendFrame(out, raw, zstdLevel);
  return out;
}

std::string encodeSummary(std::span<const std::int32_t> min, std::span<const std::int32_t> max,
                          std::span<const std::int64_t> sum, int zstdLevel) {
  std::string out = header(kSummary, static_cast<std::uint32_t>(min.size()));
  std::string raw;
  appendPlanes(raw, min);
  appendPlanes(raw, max);
  appendFrame(out, raw, zstdLevel);
  raw.clear();
  appendPlanes(raw, sum);
  appendFrame(out, raw, zstdLevel);
  return out;
}

Result<Block> decode(std::span<const std::uint8_t> blob, bool withSums) {
  if (blob.size() < kHeaderBytes || blob[0] != 'A' || blob[1] != 'W')
    return fail(ErrorCode::Corrupt, "not a waveform block (no \"AW\" header)");
  if (blob[2] != kVersion)
    return fail(ErrorCode::TooNew, "waveform block format " + std::to_string(blob[2]) + " (this aidi reads format 1)");
  const std::uint8_t kind = blob[3];
  if (kind != kSamples && kind != kSummary) return fail(ErrorCode::Corrupt, "waveform block of unknown kind " + std::to_string(kind));
  std::uint32_t count = 0;
  for (int i = 0; i < 4; ++i) count |= static_cast<std::uint32_t>(blob[4 + i]) << (8 * i);
  if (count > kMaxCount) return fail(ErrorCode::Corrupt, "waveform block claims " + std::to_string(count) + " values");
  auto in = blob.subspan(kHeaderBytes);
  Block b;
  b.summary = kind == kSummary;
  auto first = inflate(in, count * (b.summary ? 8u : 4u));
  if (!first) return std::unexpected(first.error());
  readPlanes(*first, count, b.min);
  if (b.summary) {
    readPlanes(*first + 4 * count, count, b.max);
    if (withSums) {
      auto sums = inflate(in, count * 8u);
      if (!sums) return std::unexpected(sums.error());
      readPlanes(*sums, count, b.sum);
    }
  }
  return b;
}

}  // namespace aidi::db::wave
