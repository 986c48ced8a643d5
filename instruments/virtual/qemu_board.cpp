#include "aidi/inst/qemu_board.hpp"

#include <signal.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <span>
#include <sstream>
#include <vector>

#include "aidi/inst/elf_file.hpp"

namespace aidi::inst {
namespace {

// The volatile SRAM the loader overwrites on every reset: the 256 KiB the
// firmware's linker script gives it (the board has more; nothing uses it).
constexpr std::uint32_t kSramBase = 0x20000000u;
constexpr std::size_t kVolatileSramBytes = 256u * 1024;
constexpr int kPortAttempts = 4;

// The board's 16 MiB PSRAM at 0x21000000 is the mps2 machines' main RAM,
// the one memory QEMU can back with a file. Firmware linked there (code,
// constants, .data's initial values) is written into the file once; a
// reset leaves it alone, so QEMU keeps the code it translated across power
// cycles, as a real board keeps its flash. What QEMU loads from an ELF it
// writes again at every reset, and invalidates all code translated there.
constexpr std::uint32_t kPsramBase = 0x21000000u;
constexpr std::uint32_t kPsramBytes = 16u << 20;
constexpr const char* kPsramBackend = "aidi-psram";

// What SRAM holds after a power loss: not zeros but whatever the cells
// settle to. A fixed pseudo-random fill (the same at every reset, so runs
// stay reproducible) catches firmware that reads memory it never wrote.
Status writeColdSram(const std::filesystem::path& path, std::size_t bytes) {
  std::ofstream out(path, std::ios::binary);
  std::vector<char> cells(bytes);
  std::uint32_t state = 0x2545F491u;
  for (auto& c : cells) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    c = static_cast<char>(state >> 24);
  }
  out.write(cells.data(), static_cast<std::streamsize>(cells.size()));
  if (!out) return fail(ErrorCode::Io, "cannot write " + path.string());
  return {};
}

bool inPsram(const ElfSegment& s) {
  return s.loadAddress >= kPsramBase && s.loadAddress - kPsramBase <= kPsramBytes &&
         s.fileSize <= kPsramBytes - (s.loadAddress - kPsramBase);
}

// Writes `bytes` at `offset` into an existing file.
Status writeAt(const std::filesystem::path& file, std::span<const unsigned char> bytes, std::uint64_t offset) {
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  out.seekp(static_cast<std::streamoff>(offset));
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) return fail(ErrorCode::Io, "cannot write " + file.string());
  return {};
}

// How QEMU gets the firmware: an image with segments in the PSRAM has them
// written into the PSRAM's backing file and every other segment (the vector
// table at 0) loaded as a blob; any other image is given as -kernel.
Result<std::vector<std::string>> firmwareArguments(const QemuBoardConfig& config, const ElfFile& elf,
                                                   const std::filesystem::path& dir) {
  const auto& segments = elf.loadSegments();
  if (std::none_of(segments.begin(), segments.end(), inPsram))
    return std::vector<std::string>{"-M", config.machine, "-kernel", config.firmware.string()};

  const auto psram = dir / "psram.img";
  std::ofstream{psram, std::ios::binary};
  std::error_code ec;
  std::filesystem::resize_file(psram, kPsramBytes, ec);  // sparse: only the firmware's pages take space
  if (ec) return fail(ErrorCode::Io, "cannot create " + psram.string() + ": " + ec.message());
  std::vector<std::string> argv{"-M", config.machine + ",memory-backend=" + kPsramBackend, "-object",
                                std::string("memory-backend-file,id=") + kPsramBackend +
                                    ",size=" + std::to_string(kPsramBytes) + ",mem-path=" + psram.string() +
                                    ",share=off"};
  int blobs = 0;
  for (const auto& segment : segments) {
    auto file = psram;
    std::uint64_t offset = segment.loadAddress - kPsramBase;
    if (!inPsram(segment)) {
      file = dir / ("segment-" + std::to_string(blobs++) + ".bin");
      offset = 0;
      std::ofstream{file, std::ios::binary};
      argv.insert(argv.end(), {"-device", "loader,file=" + file.string() + ",addr=" + std::to_string(segment.loadAddress)});
    }
    if (auto ok = writeAt(file, elf.segmentBytes(segment), offset); !ok) return std::unexpected(ok.error());
  }
  return argv;
}

std::vector<std::string> qemuArguments(const QemuBoardConfig& config, const std::vector<std::string>& firmware,
                                       const std::filesystem::path& dir, std::uint16_t port, std::uint16_t shimPort) {
  std::vector<std::string> argv{
      config.qemuProgram, "-display", "none", "-monitor", "none", "-S",
      "-serial", "tcp:127.0.0.1:" + std::to_string(port) + ",server=on,wait=off,nodelay=on",
      "-qmp", "unix:" + (dir / "qmp.sock").string() + ",server=on,wait=off"};
  argv.insert(argv.end(), firmware.begin(), firmware.end());
  if (shimPort) argv.insert(argv.end(), {"-serial", "tcp:127.0.0.1:" + std::to_string(shimPort) + ",server=on,wait=off,nodelay=on"});
  if (config.coldSram) {
    argv.insert(argv.end(), {"-device", "loader,file=" + (dir / "cold-sram.bin").string() +
                                            ",addr=" + std::to_string(kSramBase)});
  }
  if (config.icountShift) {
    argv.insert(argv.end(), {"-icount", "shift=" + std::to_string(*config.icountShift) + ",sleep=off"});
  }
  argv.insert(argv.end(), config.extraArguments.begin(), config.extraArguments.end());
  return argv;
}

bool isAddressInUse(const std::string& qemuOutput) {
  return qemuOutput.find("Address already in use") != std::string::npos;
}

// QEMU's own explanation: its first line that names it, else its last line.
std::string qemuSays(const Subprocess& qemu) {
  std::istringstream in(qemu.output());
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("qemu")) return line;
  return qemu.lastOutputLine();
}

Result<ElfFile> checkFirmware(const std::filesystem::path& firmware) {
  std::error_code ec;
  if (firmware.empty() || !std::filesystem::is_regular_file(firmware, ec))
    return fail(ErrorCode::NotFound,
                "firmware image not found: " + (firmware.empty() ? std::string("(none given)") : firmware.string()));
  auto elf = ElfFile::open(firmware);
  if (!elf) return std::unexpected(elf.error());
  if (elf->machine() != ElfFile::kMachineArm)
    return fail(ErrorCode::Protocol, firmware.string() + ": not an ARM firmware image (ELF machine " +
                                         std::to_string(elf->machine()) + ")");
  return elf;
}

}  // namespace

Result<std::uint16_t> reserveLoopbackPort(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(ErrorCode::Io, std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EADDRINUSE)
      return fail(ErrorCode::InUse, "TCP port 127.0.0.1:" + std::to_string(port) + " is already in use");
    return fail(ErrorCode::Io, "cannot bind 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(err));
  }
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

QemuBoard::QemuBoard(TempDir dir, Subprocess qemu, std::uint16_t port, std::uint16_t shimPort)
    : m_dir(std::move(dir)), m_qemu(std::move(qemu)), m_serialPort(port), m_uart0("127.0.0.1", port) {
  if (shimPort) m_uart1 = std::make_unique<TcpLink>("127.0.0.1", shimPort);
}

QemuBoard::~QemuBoard() { (void)quit(Millis{1000}); }

Result<std::unique_ptr<QemuBoard>> QemuBoard::start(const QemuBoardConfig& config) {
  auto elf = checkFirmware(config.firmware);
  if (!elf) return std::unexpected(elf.error());

  auto dir = TempDir::create("aidi-qemu-");
  if (!dir) return std::unexpected(dir.error());
  auto firmware = firmwareArguments(config, *elf, dir->path());
  if (!firmware) return std::unexpected(firmware.error());
  if (config.coldSram) {
    if (auto ok = writeColdSram(dir->path() / "cold-sram.bin", kVolatileSramBytes); !ok) return std::unexpected(ok.error());
  }

  // With port 0 a free port is chosen; another process may still grab it
  // before QEMU binds, so that case is retried with a new port.
  const int attempts = config.serialPort == 0 ? kPortAttempts : 1;
  Error lastError{ErrorCode::Io, "QEMU did not start"};
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto port = reserveLoopbackPort(config.serialPort);
    if (!port) return std::unexpected(port.error());

    std::uint16_t shimPort = 0;
    if (config.powerShim) {
      auto reserved = reserveLoopbackPort(0);
      if (!reserved) return std::unexpected(reserved.error());
      shimPort = *reserved;
    }
    auto qemu = Subprocess::spawn(qemuArguments(config, *firmware, dir->path(), *port, shimPort));
    if (!qemu) {
      if (qemu.error().code == ErrorCode::NotFound)
        return fail(ErrorCode::NotFound, config.qemuProgram + " not found (install the qemu-system-arm package)");
      return std::unexpected(qemu.error());
    }

    std::unique_ptr<QemuBoard> board(new QemuBoard(std::move(*dir), std::move(*qemu), *port, shimPort));
    auto qmpConnected = board->m_qmp.connect(board->m_dir.path() / "qmp.sock", config.startTimeout);
    Status serialConnected = qmpConnected ? board->m_uart0.open() : Status{};
    if (qmpConnected && serialConnected && board->m_uart1) serialConnected = board->m_uart1->open();
    if (qmpConnected && serialConnected) {
      if (auto running = board->resume(); !running) return std::unexpected(running.error());
      return board;
    }

    // QEMU exits at once when it cannot bind or load; its last line says why.
    (void)board->m_qemu.wait(Millis{500});
    const std::string output = board->m_qemu.output();
    const Error& why = qmpConnected ? serialConnected.error() : qmpConnected.error();
    if (why.code == ErrorCode::Cancelled) return std::unexpected(why);
    const std::string reason = qemuSays(board->m_qemu);
    if (isAddressInUse(output)) {
      lastError = Error{ErrorCode::InUse, "TCP port 127.0.0.1:" + std::to_string(*port) + " is already in use"};
    } else {
      lastError = Error{why.code, "QEMU failed to start: " + (reason.empty() ? why.message : reason)};
    }
    dir = std::move(board->m_dir);
    if (lastError.code != ErrorCode::InUse) break;
  }
  return std::unexpected(lastError);
}

std::string QemuBoard::exitDiagnosis(Millis wait) {
  if (wait.count() > 0 && !m_qemu.exitCode()) (void)m_qemu.wait(wait);
  const auto code = m_qemu.exitCode();
  if (!code) return {};
  std::string text = *code > 128 ? "QEMU was killed by signal " + std::to_string(*code - 128)
                                 : "QEMU exited with code " + std::to_string(*code);
  const std::string reason = qemuSays(m_qemu);
  return reason.empty() ? text : text + ": " + reason;
}

Status QemuBoard::reset() { return m_qmp.run("system_reset"); }
Status QemuBoard::pause() { return m_qmp.run("stop"); }
Status QemuBoard::resume() { return m_qmp.run("cont"); }

Result<std::uint64_t> QemuBoard::invalidatedTranslations() {
  auto text = m_qmp.execute("human-monitor-command", {{"command-line", "info jit"}});
  if (!text) return std::unexpected(text.error());
  static const std::string kField = "TB invalidate count";
  const std::string report = text->is_string() ? text->get<std::string>() : std::string{};
  const auto at = report.find(kField);
  if (at == std::string::npos) return fail(ErrorCode::Protocol, "QEMU's info jit has no \"" + kField + "\"");
  return std::strtoull(report.c_str() + at + kField.size(), nullptr, 10);
}

Status QemuBoard::quit(Millis timeout) {
  m_uart0.close();
  if (m_uart1) m_uart1->close();
  if (m_qemu.exitCode()) return {};
  // QMP may drop the connection as QEMU exits mid-reply; the exit is what counts.
  (void)m_qmp.run("quit", timeout);
  m_qmp.close();
  auto exited = m_qemu.wait(timeout);
  if (!exited) {
    m_qemu.terminate(Millis{200});
    if (exited.error().code == ErrorCode::Cancelled) return {};
    return fail(ErrorCode::Timeout, "QEMU did not quit within " + std::to_string(timeout.count()) + " ms; killed");
  }
  return {};
}

}  // namespace aidi::inst
