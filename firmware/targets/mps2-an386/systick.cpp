#include "systick.hpp"

#include "board.hpp"

namespace aidi::fw::mps2 {
namespace {
volatile std::uint32_t g_millis;
}

void startSysTick() {
  reg(kSysTickRvr) = kCpuHz / 1000 - 1;
  reg(kSysTickCvr) = 0;
  reg(kSysTickCsr) = 0x7;  // processor clock, interrupt, enable
}

void stopSysTick() { reg(kSysTickCsr) = 0; }

std::uint32_t millisSinceBoot() { return g_millis; }

}  // namespace aidi::fw::mps2

extern "C" void SysTick_Handler() { aidi::fw::mps2::g_millis = aidi::fw::mps2::g_millis + 1; }
