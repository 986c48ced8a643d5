#include "pair_matmul.hpp"

namespace aidi::fw::cm4 {

std::uint32_t g_weightScratch[kWeightScratchWords];
std::uint32_t g_inputScratch[kMaxPairK];

}  // namespace aidi::fw::cm4
