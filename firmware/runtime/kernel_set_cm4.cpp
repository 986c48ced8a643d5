#include "aidi/kernels/cm4.hpp"
#include "kernel_set.hpp"

namespace aidi::fw {

const KernelSet& cm4Kernels() {
  static constexpr KernelSet kSet{cm4::conv2d_s8,          cm4::pointwise_conv2d_s8, cm4::depthwise_conv2d_s8,
                                  cm4::fully_connected_s8, cm4::avg_pool_s8,         cm4::max_pool_s8,
                                  cm4::add_s8,             cm4::conv2d_accumulate_s32};
  return kSet;
}

}  // namespace aidi::fw
