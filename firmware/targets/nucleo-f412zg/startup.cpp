// Reset and vector table for the STM32F412ZG: copies .data, zeroes .bss,
// enables the FPU, runs static constructors and calls main(). 97 external
// interrupts (RM0402 vector table); the firmware uses none of them.
#include <array>
#include <cstdint>

#include "cortex_m_reset.hpp"

extern "C" {
extern std::uint32_t __stack_top[];

void Reset_Handler();
void Default_Handler();
void NMI_Handler() __attribute__((weak, alias("Default_Handler")));
void HardFault_Handler() __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler() __attribute__((weak, alias("Default_Handler")));
}

namespace {
using Handler = void (*)();
constexpr int kExternalIrqs = 97;

// Constant-initialized (addresses of functions and of the stack symbol are
// constant expressions), so the linker places it in flash at 0x08000000.
struct VectorTable {
  void* stackTop;
  Handler core[15];
  std::array<Handler, kExternalIrqs> external;
};

constexpr std::array<Handler, kExternalIrqs> allDefault() {
  std::array<Handler, kExternalIrqs> a{};
  for (auto& h : a) h = Default_Handler;
  return a;
}
}  // namespace

__attribute__((section(".isr_vector"), used)) const VectorTable g_vectors = {
    __stack_top,
    {Reset_Handler, NMI_Handler, HardFault_Handler, HardFault_Handler, HardFault_Handler, HardFault_Handler,
     nullptr, nullptr, nullptr, nullptr, Default_Handler, nullptr, nullptr, Default_Handler, SysTick_Handler},
    allDefault(),
};

extern "C" void Reset_Handler() {
  aidi::fw::startCortexM4(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(&g_vectors)));
}

extern "C" void Default_Handler() {
  for (;;) {
  }
}
