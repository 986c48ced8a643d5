// Reset and vector table for the mps2-an386 Cortex-M4: copies .data, zeroes
// .bss, enables the FPU, runs static constructors and calls main().
#include <cstdint>

#include "board.hpp"

extern "C" {
extern std::uint32_t __data_load[], __data_start[], __data_end[];
extern std::uint32_t __bss_start[], __bss_end[];
extern std::uint32_t __stack_top[];
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();

int main();
void Reset_Handler();
void Default_Handler();
void HardFault_Handler();
void NMI_Handler() __attribute__((weak, alias("Default_Handler")));
void MemManage_Handler() __attribute__((weak, alias("HardFault_Handler")));
void BusFault_Handler() __attribute__((weak, alias("HardFault_Handler")));
void UsageFault_Handler() __attribute__((weak, alias("HardFault_Handler")));
void SVC_Handler() __attribute__((weak, alias("Default_Handler")));
void PendSV_Handler() __attribute__((weak, alias("Default_Handler")));
void SysTick_Handler() __attribute__((weak, alias("Default_Handler")));
void Timer0_Handler() __attribute__((weak, alias("Default_Handler")));
}

namespace {
using Handler = void (*)();
constexpr int kExternalIrqs = 32;  // Timer0 is IRQ 8
}  // namespace

__attribute__((section(".isr_vector"), used)) const Handler g_vectors[16 + kExternalIrqs] = {
    reinterpret_cast<Handler>(__stack_top),
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    nullptr, nullptr, nullptr, nullptr,
    SVC_Handler,
    nullptr, nullptr,
    PendSV_Handler,
    SysTick_Handler,
    // External interrupts 0..31
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Timer0_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
    Default_Handler, Default_Handler, Default_Handler, Default_Handler,
};

extern "C" void Reset_Handler() {
  for (std::uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (std::uint32_t* dst = __bss_start; dst < __bss_end;) *dst++ = 0;
  // Full access to CP10/CP11: the firmware is built for the hard-float ABI.
  aidi::fw::mps2::reg(aidi::fw::mps2::kCpacr) |= (0xFu << 20);
  __asm volatile("dsb\n isb" ::: "memory");
  for (auto* ctor = __init_array_start; ctor < __init_array_end; ++ctor) (*ctor)();
  main();
  for (;;) __asm volatile("wfi");
}

extern "C" void Default_Handler() {
  for (;;) {
  }
}

extern "C" void HardFault_Handler() {
  for (;;) {
  }
}
