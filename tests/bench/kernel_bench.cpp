// Instructions per MAC of the int8 kernels on the virtual board (Cortex-M4,
// QEMU mps2-an386), counted exactly by the insn_window TCG plugin, beside the
// naive reference loops and the CMSIS-NN figures of the kernels issue
// (CMSIS-NN 99f736a, GCC 12.2 -O3, same board, one call incl. requantization).
// Target: geometric mean <= 0.6x CMSIS-NN, no shape above 1.0x.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "aidi/inst/elf_file.hpp"
#include "aidi/inst/qemu_board.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "aidi/proto/decoder.hpp"
#include "aidi/proto/messages.hpp"

using namespace aidi;
using namespace std::chrono_literals;

namespace {

struct Shape {
  const char* name;
  double macs;
  double cmsisInstructions;
};

// In the firmware's order (kernel_bench_main.cpp); each is measured cm4 then ref.
constexpr Shape kShapes[] = {
    {"pointwise 1x1, 14x14x32 -> 14x14x64", 401408, 1087343},
    {"conv 3x3 s1 p1, 28x28x1 -> 28x28x16", 112896, 1187980},
    {"conv 3x3 s1 p1, 14x14x16 -> 14x14x32", 903168, 1929627},
    {"depthwise 3x3 s1 p1, 14x14x96", 169344, 1441313},
    {"depthwise 3x3 s2 SAME, 28x28x48 -> 14x14x48", 84672, 743777},
    {"fully connected 256 -> 10", 2560, 5434},
    {"fully connected 1024 -> 128", 131072, 252204},
};

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "kernel_bench: %s\n", why.c_str());
  std::exit(1);
}

}  // namespace

int main() {
  const std::string firmware = std::string(AIDI_FIRMWARE_DIR) + "/aidi-kernel-bench-mps2-an386.elf";
  auto elf = inst::ElfFile::open(firmware);
  if (!elf) die(elf.error().message);
  const auto start = elf->symbol("aidi_bench_start"), stop = elf->symbol("aidi_bench_stop");
  if (!start || !stop) die("markers missing in " + firmware);
  auto dir = inst::TempDir::create("aidi-kernel-bench-");
  if (!dir) die(dir.error().message);
  const auto out = dir->path() / "windows.txt";

  inst::QemuBoardConfig config;
  config.firmware = firmware;
  config.extraArguments = {"-plugin", std::string(AIDI_INSN_PLUGIN) + ",start=" + std::to_string(*start) +
                                          ",stop=" + std::to_string(*stop) + ",out=" + out.string()};
  auto board = inst::QemuBoard::start(config);
  if (!board) die(board.error().message);
  proto::FrameDecoder decoder(proto::isKnownMessageType);
  bool done = false;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    std::byte buffer[256];
    auto n = (*board)->telemetry().read(buffer, 200ms);
    if (!n) die(n.error().message + " " + (*board)->exitDiagnosis());
    for (std::size_t i = 0; i < *n; ++i)
      if (decoder.push(static_cast<std::uint8_t>(buffer[i])) == proto::DecodeResult::Frame) done = true;
  }
  if (!done) die("the benchmark firmware did not finish");
  (void)(*board)->quit();

  std::map<int, double> windows;
  std::ifstream in(out);
  for (int index; in >> index;) in >> windows[index];
  const std::size_t expected = 1 + 2 * std::size(kShapes) + 2;  // + the add, cm4 then ref
  if (windows.size() != expected)
    die("expected " + std::to_string(expected) + " windows, got " + std::to_string(windows.size()));
  const double markers = windows[0];

  std::printf("%-44s %9s %11s %9s %11s %9s %11s %8s\n", "shape (NHWC int8)", "MACs", "ours", "instr/MAC", "naive",
              "instr/MAC", "CMSIS-NN", "ours/CMSIS");
  double logSum = 0, worst = 0;
  for (std::size_t s = 0; s < std::size(kShapes); ++s) {
    const Shape& shape = kShapes[s];
    const double ours = windows[static_cast<int>(1 + 2 * s)] - markers;
    const double naive = windows[static_cast<int>(2 + 2 * s)] - markers;
    const double ratio = ours / shape.cmsisInstructions;
    logSum += std::log(ratio);
    worst = std::max(worst, ratio);
    std::printf("%-44s %9.0f %11.0f %9.2f %11.0f %9.2f %11.0f %8.2fx\n", shape.name, shape.macs, ours,
                ours / shape.macs, naive, naive / shape.macs, shape.cmsisInstructions, ratio);
  }
  {
    const double elements = 14 * 14 * 24;
    const int base = static_cast<int>(1 + 2 * std::size(kShapes));
    const double ours = windows[base] - markers, naive = windows[base + 1] - markers;
    std::printf("%-44s %9.0f %11.0f %9.2f %11.0f %9.2f %11s %8s   (per element, not MAC)\n",
                "add 14x14x24 (not in the CMSIS-NN table)", elements, ours, ours / elements, naive, naive / elements, "-",
                "-");
  }
  std::printf("geometric mean ours/CMSIS-NN: %.2fx (target <= 0.60x), worst %.2fx (target <= 1.00x); "
              "marker overhead %.0f instructions subtracted\n",
              std::exp(logSum / static_cast<double>(std::size(kShapes))), worst, markers);
  return 0;
}
