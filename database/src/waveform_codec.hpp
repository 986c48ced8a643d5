// The byte format of a waveform block (private to database/).
//
// A block is 8 header bytes, then zstd frames:
//   "AW", format version (1), kind (0: samples, 1: summary), u32 LE count
// Samples: one frame of `count` int32 codes. Summary: `count` entries over
// groups of samples, in two frames: min and max (int32), then sum (int64),
// so that drawing, which needs no sums, decompresses only the first.
// Before compression every column
// is delta-coded (each value minus the previous; measured signals move
// little from one sample to the next), zigzag-mapped to unsigned, and its
// bytes split into planes (all low bytes, then the next ...), so that the
// mostly-zero high bytes compress to almost nothing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "aidi/db/result.hpp"

namespace aidi::db::wave {

// A decoded block. Samples fill `min` only (a sample is its own min, max
// and sum); summaries fill all three.
struct Block {
  std::vector<std::int32_t> min, max;
  std::vector<std::int64_t> sum;
  bool summary = false;
  std::size_t size() const { return min.size(); }
  std::int32_t lo(std::size_t i) const { return min[i]; }
  std::int32_t hi(std::size_t i) const { return summary ? max[i] : min[i]; }
  std::int64_t total(std::size_t i) const { return summary ? sum[i] : min[i]; }
  std::size_t bytes() const { return min.size() * 4 + max.size() * 4 + sum.size() * 8; }
};

[[nodiscard]] std::string encodeSamples(std::span<const std::int32_t> codes, int zstdLevel);
[[nodiscard]] std::string encodeSummary(std::span<const std::int32_t> min, std::span<const std::int32_t> max,
                                        std::span<const std::int64_t> sum, int zstdLevel);
// Refuses (Corrupt, naming what is wrong) a blob that is not a whole block.
// `withSums` false leaves a summary's `sum` empty.
[[nodiscard]] Result<Block> decode(std::span<const std::uint8_t> blob, bool withSums = true);

}  // namespace aidi::db::wave
