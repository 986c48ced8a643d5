// Power cycles per wall second on the virtual board (issue target: >= 500 /s,
// i.e. <= 5 ms per power cycle incl. the QMP reset, the cold-SRAM reload and
// the shim handshake). Runs the intermittent counter with a 10 uF capacitor.
#include <algorithm>
#include <cstdio>
#include <vector>

#include "aidi/inst/virtual_power.hpp"

using namespace aidi;

int main() {
  inst::QemuBoardConfig config;
  config.firmware = std::string(AIDI_FIRMWARE_DIR) + "/aidi-intermittent-counter-mps2-an386.elf";
  config.icountShift = 0;
  config.powerShim = true;
  auto board = inst::QemuBoard::start(config);
  if (!board) return std::fprintf(stderr, "%s\n", board.error().message.c_str()), 1;
  inst::StorageParams storage;
  storage.capacitanceF = 4.7e-6;
  inst::HarvesterModel model(storage, inst::HarvestTrace::constant(100e-6), storage.vOn);
  inst::VirtualPower power(**board, model, {});
  const auto start = std::chrono::steady_clock::now();
  auto cycles = power.runUntilDone(100000);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!cycles) return std::fprintf(stderr, "%s\n", cycles.error().message.c_str()), 1;
  std::vector<double> ms;
  double simulated = 0;
  std::uint64_t instructions = 0;
  for (const auto& c : *cycles) ms.push_back(c.wallMs), simulated += c.offS + c.onS + c.sleepS, instructions += c.instructions;
  std::sort(ms.begin(), ms.end());
  std::printf("virtual power: %zu power cycles in %.2f s wall = %.0f cycles/s (target >= 500); per cycle median %.2f ms, "
              "p95 %.2f ms (target <= 5 ms); %.0f instructions per cycle; %.1f s simulated (%.0fx real time)\n",
              cycles->size(), wall, static_cast<double>(cycles->size()) / wall, ms[ms.size() / 2],
              ms[ms.size() * 95 / 100], static_cast<double>(instructions) / static_cast<double>(cycles->size()), simulated,
              simulated / wall);
  return 0;
}
