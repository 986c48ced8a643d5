// 1 ms SysTick. Besides giving the firmware a clock, a running SysTick keeps
// QEMU's icount/sleep=off mode from stalling ~1 s when the guest busy-polls a
// UART after reset (see DESIGN.md, the virtual bench).
#pragma once

#include <cstdint>

namespace aidi::fw::mps2 {

void startSysTick();
void stopSysTick();
std::uint32_t millisSinceBoot();

}  // namespace aidi::fw::mps2
