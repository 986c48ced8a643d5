// What every Cortex-M4 target does between reset and main(): .data copied
// from flash, .bss zeroed, the FPU enabled (the firmware is built for the
// hard-float ABI), static constructors run, then main(); should it return,
// the core sleeps. The linker scripts define the symbols.
#pragma once

#include <cstdint>

extern "C" {
extern std::uint32_t __data_load[], __data_start[], __data_end[];
extern std::uint32_t __bss_start[], __bss_end[];
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
}

namespace aidi::fw {

[[noreturn]] inline void startCortexM4(std::uint32_t vectorTable) {
  // The FPU first: the compiler may use its registers even in the copy loops.
  constexpr std::uintptr_t kCpacr = 0xE000ED88u;  // full access to CP10/CP11
  *reinterpret_cast<volatile std::uint32_t*>(kCpacr) |= 0xFu << 20;
  // The vector table where this image's is (a boot loader may have left VTOR elsewhere).
  constexpr std::uintptr_t kVtor = 0xE000ED08u;
  *reinterpret_cast<volatile std::uint32_t*>(kVtor) = vectorTable;
  __asm volatile("dsb\n isb" ::: "memory");
  for (std::uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (std::uint32_t* dst = __bss_start; dst < __bss_end;) *dst++ = 0;
  for (auto* ctor = __init_array_start; ctor < __init_array_end; ++ctor) (*ctor)();
  main();
  for (;;) __asm volatile("wfi");
}

}  // namespace aidi::fw
