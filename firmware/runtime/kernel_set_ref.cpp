#include "aidi/kernels/ref.hpp"
#include "kernel_set.hpp"

namespace aidi::fw {

const KernelSet& referenceKernels() {
  static constexpr KernelSet kSet{ref::conv2d_s8,          ref::pointwise_conv2d_s8, ref::depthwise_conv2d_s8,
                                  ref::fully_connected_s8, ref::avg_pool_s8,         ref::max_pool_s8,
                                  ref::add_s8,             ref::conv2d_accumulate_s32};
  return kSet;
}

}  // namespace aidi::fw
