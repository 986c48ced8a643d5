// The scratch the Cortex-M4 kernels share (one kernel runs at a time): the
// widened weights and quantization of a layer (its "table", as many channels
// as fit) and the widened inputs of the pixels at hand.
#pragma once

#include <cstdint>

#include "aidi/kernels/cm4.hpp"

namespace aidi::fw::cm4 {

inline constexpr std::int32_t kMaxPairK = (kMaxIm2colK + 3) & ~3;
inline constexpr std::int32_t kWeightScratchWords = 2048;
static_assert(kWeightScratchWords >= kMaxPairK + 6, "one channel pair of the largest window must fit");
extern std::uint32_t g_weightScratch[kWeightScratchWords];
extern std::uint32_t g_inputScratch[kMaxPairK];

// What a table in g_weightScratch was built from. With constant weights
// (useConstantWeights) a call whose key equals the last build's reuses the
// table: a layer computed a row per call near the end of the energy pays
// the widening once, not per row.
struct TableKey {
  const void* weights;
  const void* bias;
  const void* multiplier;
  const void* shift;
  std::int32_t k, channels, firstChannel, inputOffset;
  bool operator==(const TableKey& o) const {
    return weights == o.weights && bias == o.bias && multiplier == o.multiplier && shift == o.shift && k == o.k &&
           channels == o.channels && firstChannel == o.firstChannel && inputOffset == o.inputOffset;
  }
};

// True when g_weightScratch already holds the table of `key`; otherwise
// records `key` as the table the caller is about to build.
bool tableIsBuilt(const TableKey& key);
// For writers of g_weightScratch that build no keyed table.
void forgetTable();

}  // namespace aidi::fw::cm4
