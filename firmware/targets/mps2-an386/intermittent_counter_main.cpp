// Test firmware for the power shim: a minimal intermittent program. It counts
// to a target in jobs of 1,000 increments, committing the count to NVM after
// each job (two-slot record), so progress survives every power failure; at the
// end it reports the count, the boots it took and the jobs re-executed on
// UART0, then 'D' to the shim. It also counts boots that found SRAM still
// warm (reported in the result's boot_cycles field): there must be none.
#include <cstdint>
#include <cstring>

#include "aidi/proto/messages.hpp"
#include "nvm_record.hpp"
#include "board.hpp"
#include "boot_counter.hpp"
#include "cmsdk_uart.hpp"
#include "power_shim.hpp"

namespace {

using namespace aidi;

constexpr std::uint32_t kTarget = 2'000'000;
constexpr std::uint32_t kJob = 1'000;
constexpr std::uint32_t kProgressMagic = 0x434E5452u;  // "RTNC"

struct Progress {
  std::uint32_t count;
  std::uint32_t jobsStarted;  // jobs begun, so a lost job shows as re-executed
};

__attribute__((section(".nvm"))) std::uint8_t g_records[fw::kBootCounterBytes + fw::NvmRecord<Progress>::kBytes];
__attribute__((section(".nvm"))) volatile std::uint32_t g_jobsBegun;

volatile std::uint32_t g_sink;

// SRAM never zeroed by the startup code: still holding the marker after a
// boot means SRAM survived the power failure, which real hardware never does.
constexpr std::uint32_t kWarmMarker = 0x5741524Du;
__attribute__((section(".noinit"))) volatile std::uint32_t g_sramMarker;
__attribute__((section(".nvm"))) volatile std::uint32_t g_warmBoots;

}  // namespace

int main() {
  // The power cycle's budget was armed at reset (aidi_reset_hook).
  fw::MemoryNvm nvm(g_records, sizeof g_records);
  const std::uint32_t boot = fw::countBoot(nvm, 0);
  fw::NvmRecord<Progress> record(nvm, fw::kBootCounterBytes, kProgressMagic);
  if (boot == 1) g_warmBoots = 0;
  if (g_sramMarker == kWarmMarker) g_warmBoots = g_warmBoots + 1;
  g_sramMarker = kWarmMarker;
  Progress p{0, 0};
  if (!record.load(p)) g_jobsBegun = 0;
  while (p.count < kTarget) {
    g_jobsBegun = g_jobsBegun + 1;
    for (std::uint32_t i = 0; i < kJob; ++i) g_sink = g_sink + i;  // the work of one job
    p.count += kJob;
    ++p.jobsStarted;
    record.commit(p);
  }
  constexpr fw::mps2::CmsdkUart uart0{fw::mps2::kUart0Base};
  uart0.enable();
  proto::FrameWriter writer(static_cast<std::uint16_t>(boot));
  proto::InferenceResult result{};
  result.inference = p.count;
  result.powerCycles = boot;
  result.reexecutedCycles = g_jobsBegun - p.jobsStarted;  // jobs begun but lost to a power failure
  result.bootCycles = g_warmBoots;                         // boots that found SRAM warm (must be 0)
  std::uint8_t wire[proto::kMaxEncodedFrame];
  uart0.write(wire, writer.write(result, wire, sizeof wire));
  fw::mps2::powerShimDone();
}
