// Firmware for the mps2-an386 virtual board: announces itself on UART0 with
// its build hash, the boot number kept in NVM, and whether SRAM came back cold.
#include <cstdint>

#include "aidi_build_id.h"
#include "board.hpp"
#include "boot_counter.hpp"
#include "cmsdk_uart.hpp"
#include "systick.hpp"

namespace {

using namespace aidi::fw;

constexpr mps2::CmsdkUart kTelemetryUart{mps2::kUart0Base};

// Survives resets in NVM.
__attribute__((section(".nvm"))) std::uint8_t g_bootRecord[kBootCounterBytes];

// In SRAM but never zeroed by the startup code: if it still holds the marker
// after a reset, SRAM kept its contents (warm), which a real power loss never does.
constexpr std::uint32_t kWarmMarker = 0x5741524Du;  // "WARM"
__attribute__((section(".noinit"))) volatile std::uint32_t g_sramMarker;

}  // namespace

int main() {
  kTelemetryUart.enable();
  mps2::startSysTick();

  const bool sramCold = g_sramMarker != kWarmMarker;
  g_sramMarker = kWarmMarker;
  MemoryNvm nvm(g_bootRecord, sizeof g_bootRecord);
  const std::uint32_t boot = countBoot(nvm, 0);

  kTelemetryUart.writeText("AIDI hello version=" AIDI_FIRMWARE_VERSION " build=" AIDI_BUILD_HASH
                           " target=mps2-an386 boot=");
  kTelemetryUart.writeDecimal(boot);
  kTelemetryUart.writeText(sramCold ? " sram=cold\r\n" : " sram=warm\r\n");

  for (;;) __asm volatile("wfi");
}
