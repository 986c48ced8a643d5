#include "scratch.hpp"

namespace aidi::fw::cm4 {

std::uint32_t g_weightScratch[kWeightScratchWords];
std::uint32_t g_inputScratch[kMaxPairK];

namespace {
bool g_constantWeights = false;
bool g_tableValid = false;  // in .bss: false again after every reset
TableKey g_table{};
}  // namespace

void useConstantWeights(bool constant) {
  g_constantWeights = constant;
  g_tableValid = false;
}

bool tableIsBuilt(const TableKey& key) {
  if (g_constantWeights && g_tableValid && g_table == key) return true;
  g_table = key;
  g_tableValid = g_constantWeights;
  return false;
}

void forgetTable() { g_tableValid = false; }

}  // namespace aidi::fw::cm4
