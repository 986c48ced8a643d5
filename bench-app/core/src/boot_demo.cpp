#include "aidi/core/boot_demo.hpp"

#include <cstdlib>

#include "aidi/core/install_layout.hpp"
#include "aidi/inst/line_reader.hpp"

namespace aidi::core {

std::filesystem::path firmwareTargetDir(const std::string& target) {
  return firmwareRoot() / "targets" / target;
}

std::filesystem::path defaultHelloFirmware() {
  if (const char* env = std::getenv("AIDI_FIRMWARE"); env && *env) return env;
  return firmwareTargetDir("mps2-an386") / "aidi-fw-mps2-an386.elf";
}

std::string defaultQemuProgram() {
  if (const char* env = std::getenv("AIDI_QEMU"); env && *env) return env;
  return "qemu-system-arm";
}

namespace {

// Skips anything before the hello (a lone 0x00 resync byte, noise).
inst::Result<DeviceHello> awaitHello(inst::LineReader& reader, inst::Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<inst::Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return inst::fail(inst::ErrorCode::Timeout, "no hello from the device within " +
                                                                       std::to_string(timeout.count()) + " ms");
    auto line = reader.readLine(left);
    if (!line) {
      if (line.error().code == inst::ErrorCode::Timeout)
        return inst::fail(inst::ErrorCode::Timeout, "no hello from the device within " +
                                                        std::to_string(timeout.count()) + " ms");
      return std::unexpected(line.error());
    }
    const auto start = line->find(kHelloPrefix);
    if (start != std::string::npos) return parseDeviceHello(std::string_view(*line).substr(start));
  }
}

}  // namespace

inst::Result<std::vector<DeviceHello>> runBootDemo(const BootDemoOptions& options, const HelloCallback& onHello) {
  auto board = inst::QemuBoard::start(options.board);
  if (!board) return std::unexpected(board.error());
  inst::LineReader reader((*board)->telemetry());

  std::vector<DeviceHello> hellos;
  for (int i = 0; i < options.boots; ++i) {
    if (i > 0) {
      if (auto ok = (*board)->reset(); !ok) return std::unexpected(ok.error());
    }
    auto hello = awaitHello(reader, options.helloTimeout);
    if (!hello) {
      // A dead QEMU explains a dead link better than the link does.
      if (const std::string why = (*board)->exitDiagnosis(inst::Millis{500}); !why.empty())
        return inst::fail(inst::ErrorCode::Io, why);
      return std::unexpected(hello.error());
    }
    if (onHello) onHello(*hello);
    hellos.push_back(std::move(*hello));
  }
  if (auto ok = (*board)->quit(); !ok) return std::unexpected(ok.error());
  return hellos;
}

}  // namespace aidi::core
