// The virtual board: a QEMU mps2-an386 process running our firmware, with its
// UART0 on a loopback TCP port (the telemetry Link) and QMP on a unix socket
// (the power switch). SRAM comes back cold on every reset (a loader of fixed garbage
// is re-applied), the NVM region at 0x20200000 survives, and the firmware's
// code in the PSRAM at 0x21000000 (a file written once) plays flash: a reset
// does not rewrite it, so QEMU keeps what it translated.
//
// QEMU starts paused; start() connects the UART before the first instruction
// runs, so no byte the firmware sends is lost. Destruction quits QEMU (QMP
// quit, then SIGKILL) and removes its working directory: nothing is left
// running on any path.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aidi/inst/link.hpp"
#include "aidi/inst/qmp_client.hpp"
#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/tcp_link.hpp"
#include "aidi/inst/temp_dir.hpp"

namespace aidi::inst {

struct QemuBoardConfig {
  std::string qemuProgram = "qemu-system-arm";
  std::filesystem::path firmware;
  std::string machine = "mps2-an386";
  // Loopback TCP port for UART0; 0 picks a free one.
  std::uint16_t serialPort = 0;
  // Re-apply garbage to the volatile SRAM on every reset (a real power loss).
  bool coldSram = true;
  // -icount shift=N,sleep=off when set: exact, reproducible instruction timing.
  std::optional<int> icountShift;
  // Connect UART1, the power shim's channel, on a second loopback port.
  bool powerShim = false;
  // Appended to QEMU's command line (e.g. "-plugin", "lib.so,start=...").
  std::vector<std::string> extraArguments;
  Millis startTimeout{5000};
};

class QemuBoard {
 public:
  // Starts QEMU and the guest. Errors: NotFound (QEMU or firmware missing),
  // Protocol (the firmware is not an ARM ELF), InUse (the requested serial
  // port is taken), Io/Timeout (QEMU failed to start; the message carries
  // QEMU's own words).
  [[nodiscard]] static Result<std::unique_ptr<QemuBoard>> start(const QemuBoardConfig& config);
  ~QemuBoard();

  Link& telemetry() { return m_uart0; }
  // UART1: the power shim (only with QemuBoardConfig::powerShim).
  TcpLink& shim() { return *m_uart1; }
  std::uint16_t serialPort() const { return m_serialPort; }
  pid_t pid() const { return m_qemu.pid(); }

  // When QEMU has exited (crash, guest lockup, killed), why, in one line:
  // "QEMU exited with code 1: qemu: fatal: Lockup ..."; empty while it runs.
  // `wait`: how long to give a dying QEMU to finish exiting (its sockets
  // close a moment before the process is gone).
  std::string exitDiagnosis(Millis wait = Millis{0});

  // Power switch over QMP.
  [[nodiscard]] Status reset();
  [[nodiscard]] Status pause();
  [[nodiscard]] Status resume();
  // How many translated blocks of guest code QEMU has thrown away since it
  // started (its "TB invalidate count"): code rewritten under it. The
  // firmware's code must survive power cycles (QEMU translating it again at
  // every reset cost 10-20 ms a cycle), so this stays near 0.
  [[nodiscard]] Result<std::uint64_t> invalidatedTranslations();
  // Asks QEMU to quit and waits for it; kills it when it does not.
  [[nodiscard]] Status quit(Millis timeout = Millis{3000});

 private:
  QemuBoard(TempDir dir, Subprocess qemu, std::uint16_t port, std::uint16_t shimPort);

  TempDir m_dir;
  Subprocess m_qemu;
  std::uint16_t m_serialPort;
  TcpLink m_uart0;
  std::unique_ptr<TcpLink> m_uart1;
  QmpClient m_qmp;
};

// Binds 127.0.0.1:`port` briefly to see whether it is free; port 0 asks the
// kernel for a free one. Returns the port, or InUse.
[[nodiscard]] Result<std::uint16_t> reserveLoopbackPort(std::uint16_t port);

}  // namespace aidi::inst
