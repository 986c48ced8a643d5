// The input rows a band of output rows reads: one definition for every
// engine that computes layers a band at a time.
#pragma once

#include <cstdint>

#include "model_view.hpp"

namespace aidi::fw {

struct RowWindow {
  std::int32_t first, last;  // [first, last) input rows
  std::int32_t padTop;       // padding above the first of them
};

// For output rows [r0, r1) of layer `l` reading a tensor of shape `in`.
inline RowWindow inputRows(const LayerInfo& l, const Shape& in, std::int32_t r0, std::int32_t r1) {
  if (l.op == ModelOp::FullyConnected) return {0, in.h, 0};
  if (l.op == ModelOp::Add) return {r0, r1, 0};
  const std::int32_t top = r0 * l.strideH - l.padTop;
  const std::int32_t first = top < 0 ? 0 : top;
  std::int32_t last = (r1 - 1) * l.strideH - l.padTop + l.kernelH;
  if (last > in.h) last = in.h;
  return {first, last, first - top};
}

}  // namespace aidi::fw
