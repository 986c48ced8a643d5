// Reset and vector table for the STM32F412ZG: copies .data, zeroes .bss,
// enables the FPU, runs static constructors and calls main(). 97 external
// interrupts (RM0402 vector table); the firmware uses none of them.
#include <array>
#include <cstdint>

#include "stm32f412.hpp"

extern "C" {
extern std::uint32_t __data_load[], __data_start[], __data_end[];
extern std::uint32_t __bss_start[], __bss_end[];
extern std::uint32_t __stack_top[];
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();

int main();
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
  for (std::uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (std::uint32_t* dst = __bss_start; dst < __bss_end;) *dst++ = 0;
  // Full access to CP10/CP11: the firmware is built for the hard-float ABI.
  aidi::fw::f412::reg(aidi::fw::f412::core::kCpacr) |= 0xFu << 20;
  __asm volatile("dsb\n isb");
  for (auto* init = __init_array_start; init < __init_array_end; ++init) (*init)();
  main();
  for (;;) __asm volatile("wfi");
}

extern "C" void Default_Handler() {
  for (;;) {
  }
}
