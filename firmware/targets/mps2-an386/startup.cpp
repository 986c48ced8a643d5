// Reset and vector table for the mps2-an386 Cortex-M4: the reset hook first,
// then copies .data, zeroes .bss, enables the FPU, runs static constructors
// and calls main().
#include <cstdint>

#include "cortex_m_reset.hpp"

#include "board.hpp"

extern "C" {
extern std::uint32_t __stack_top[];

void Reset_Handler();
// The first code after reset, before the C start-up. The power shim arms the
// power cycle's budget here, so the start-up's instructions (the .data copy,
// the .bss zeroing, constructors) are charged to the power cycle as they
// are on a real board; firmware without the shim runs this empty default.
void aidi_reset_hook();
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

extern "C" __attribute__((weak)) void aidi_reset_hook() {}

extern "C" void Reset_Handler() {
  aidi_reset_hook();
  aidi::fw::startCortexM4(static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(g_vectors)));
}

extern "C" void Default_Handler() {
  for (;;) {
  }
}

extern "C" void HardFault_Handler() {
  for (;;) {
  }
}
