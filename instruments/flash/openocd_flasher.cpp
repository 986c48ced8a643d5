#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <random>
#include <utility>

#include "aidi/inst/elf_file.hpp"
#include "aidi/inst/flasher.hpp"
#include "aidi/inst/tcp_link.hpp"

namespace aidi::inst {

namespace {

// OpenOCD runs -c arguments as Tcl: braces keep a path with spaces or
// brackets one word. A brace inside the path cannot be quoted this way.
std::string tclWord(const std::string& text) { return "{" + text + "}"; }

}  // namespace

std::optional<OpenOcdVersion> parseOpenOcdVersion(const std::string& text) {
  const std::string banner = "Open On-Chip Debugger ";
  const auto at = text.find(banner);
  if (at == std::string::npos) return std::nullopt;
  OpenOcdVersion v;
  const char* p = text.c_str() + at + banner.size();
  const char* end = text.c_str() + text.size();
  auto major = std::from_chars(p, end, v.major);
  if (major.ec != std::errc{} || major.ptr == end || *major.ptr != '.') return std::nullopt;
  auto minor = std::from_chars(major.ptr + 1, end, v.minor);
  if (minor.ec != std::errc{}) return std::nullopt;
  return v;
}

std::vector<std::string> openOcdArguments(const OpenOcdConfig& config, const std::filesystem::path& elf,
                                          OpenOcdVersion version, std::optional<RunNonce> nonce) {
  std::vector<std::string> argv = {config.program};
  for (const auto& dir : config.searchDirs) argv.insert(argv.end(), {"-s", dir});
  const bool modern = version.atLeast(0, 12);
  if (!config.adapterSerial.empty() && modern)
    argv.insert(argv.end(), {"-c", "adapter serial " + tclWord(config.adapterSerial)});
  for (const auto& file : config.configFiles) argv.insert(argv.end(), {"-f", file});
  if (!config.adapterSerial.empty() && !modern)
    argv.insert(argv.end(), {"-c", "hla_serial " + tclWord(config.adapterSerial)});
  const std::string image = tclWord(std::filesystem::absolute(elf).string());
  if (!nonce) {
    argv.insert(argv.end(), {"-c", "program " + image + (config.runAfterProgram ? " verify reset exit" : " verify exit")});
    return argv;
  }
  // `program` without exit returns with the core halted; a failure in it
  // or in `flash fillw` ends OpenOCD with an error before the next command.
  char fill[64];
  std::snprintf(fill, sizeof fill, "flash fillw 0x%08x 0x%08x 1", static_cast<unsigned>(nonce->address),
                static_cast<unsigned>(nonce->value));
  argv.insert(argv.end(), {"-c", "program " + image + " verify", "-c", fill});
  if (config.runAfterProgram) argv.insert(argv.end(), {"-c", "reset run"});
  argv.insert(argv.end(), {"-c", "shutdown"});
  return argv;
}

std::string explainOpenOcdFailure(const std::string& output, int exitCode) {
  static const std::array<std::pair<const char*, const char*>, 9> known = {{
      {"Can't find ", "OpenOCD cannot find a configuration file"},
      {"open failed", "no debug probe found (is the board connected by USB, and is it an ST-LINK?)"},
      {"unable to find a matching CMSIS-DAP device", "no CMSIS-DAP debug probe found"},
      {"No J-Link device found", "no J-Link debug probe found"},
      {"LIBUSB_ERROR_ACCESS", "no permission to open the debug probe's USB device (install OpenOCD's udev rules)"},
      {"LIBUSB_ERROR_BUSY", "the debug probe is in use by another program"},
      {"Verify Failed", "the flash contents differ from the image after programming (verify failed)"},
      {"init mode failed", "the probe cannot connect to the target (is it powered? try connect under reset)"},
      {"couldn't open", "OpenOCD cannot open the firmware image"},
  }};
  for (const auto& [needle, meaning] : known) {
    const auto at = output.find(needle);
    if (at == std::string::npos) continue;
    const auto lineStart = output.rfind('\n', at);
    const auto lineEnd = output.find('\n', at);
    std::string line = output.substr(lineStart == std::string::npos ? 0 : lineStart + 1,
                                     lineEnd == std::string::npos ? std::string::npos
                                                                  : lineEnd - (lineStart == std::string::npos ? 0 : lineStart + 1));
    return std::string(meaning) + " (OpenOCD: \"" + line + "\")";
  }
  // Unknown: the last error line OpenOCD printed.
  std::string last;
  for (std::size_t start = 0; start < output.size();) {
    const auto end = output.find('\n', start);
    const std::string line = output.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.starts_with("Error")) last = line;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "OpenOCD failed with exit code " + std::to_string(exitCode) + (last.empty() ? "" : " (\"" + last + "\")");
}

namespace {

// An image with a run nonce gets a fresh one (never the erased value).
std::optional<RunNonce> freshRunNonce(const ElfFile& image) {
  const auto at = image.symbol("aidi_run_nonce");
  if (!at || image.readWord(*at) != 0xFFFFFFFFu) return std::nullopt;
  std::random_device entropy;
  std::uint32_t value = 0;
  while (value == 0 || value == 0xFFFFFFFFu) value = entropy();
  return RunNonce{*at, value};
}

// OpenOCD's TCL server ends every message with this byte.
constexpr std::byte kTclEnd{0x1a};

}  // namespace

std::string openOcdTclScript(const std::string& remoteElf, std::optional<RunNonce> nonce, bool runAfterProgram) {
  std::string steps = "program " + tclWord(remoteElf) + " verify";
  if (nonce) {
    char fill[64];
    std::snprintf(fill, sizeof fill, "; flash fillw 0x%08x 0x%08x 1", static_cast<unsigned>(nonce->address),
                  static_cast<unsigned>(nonce->value));
    steps += fill;
  }
  if (runAfterProgram) steps += "; reset run";
  return "if {[catch {" + steps + "} aidi_error]} {set aidi_result \"failed: $aidi_error\"} else {set aidi_result ok}";
}

Status OpenOcdTclFlasher::program(const std::filesystem::path& elf) {
  auto image = ElfFile::open(elf);
  if (!image) return std::unexpected(image.error());
  if (image->machine() != ElfFile::kMachineArm) return fail(ErrorCode::Unsupported, elf.string() + ": not an ARM image");
  if (!m_config.tclServer) return fail(ErrorCode::Invalid, "openocd-tcl: no TCL server (resource = \"tcp:HOST:6666\")");
  const auto& server = *m_config.tclServer;
  const std::string where = server.host + ":" + std::to_string(server.port);
  TcpLink link(server.host, server.port, Millis{5000});
  if (auto ok = link.open(); !ok)
    return fail(ErrorCode::NotFound, "no OpenOCD TCL server at " + where + " (" + ok.error().message +
                                         "); on the probe's host: openocd -f board/st_nucleo_f4.cfg -c 'bindto 0.0.0.0'");
  const auto remote = m_config.remoteImageDir.empty() ? std::filesystem::absolute(elf) : m_config.remoteImageDir / elf.filename();
  std::string script = openOcdTclScript(remote.string(), freshRunNonce(*image), m_config.runAfterProgram);
  script.push_back(static_cast<char>(kTclEnd));
  if (auto ok = link.write(std::as_bytes(std::span(script))); !ok) return std::unexpected(ok.error());
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + m_config.timeout;
  std::array<std::byte, 1024> buffer;
  for (;;) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return fail(ErrorCode::Timeout, "OpenOCD at " + where + " did not finish programming " + elf.filename().string() +
                                          " within " + std::to_string(m_config.timeout.count() / 1000) + " s");
    auto n = link.read(buffer, std::min(left, Millis{1000}));
    if (!n) return fail(ErrorCode::Io, "OpenOCD at " + where + ": " + n.error().message);
    const auto end = std::find(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*n), kTclEnd);
    for (auto b = buffer.begin(); b != end; ++b) reply.push_back(static_cast<char>(*b));
    if (end != buffer.begin() + static_cast<std::ptrdiff_t>(*n)) break;
  }
  if (reply == "ok") return {};
  const std::string why = reply.starts_with("failed: ") ? reply.substr(8) : reply;
  return fail(ErrorCode::Io, "flashing " + elf.filename().string() + " through OpenOCD at " + where + " failed: " +
                                 explainOpenOcdFailure(why.starts_with("Error") ? why : "Error: " + why, 1));
}

Status OpenOcdFlasher::program(const std::filesystem::path& elf) {
  // Refuse a wrong file before touching the target.
  auto image = ElfFile::open(elf);
  if (!image) return std::unexpected(image.error());
  if (image->machine() != ElfFile::kMachineArm)
    return fail(ErrorCode::Unsupported, elf.string() + ": not an ARM image");
  // The probe's serial is spelt by release: ask the program which it is.
  OpenOcdVersion version;
  if (!m_config.adapterSerial.empty()) {
    auto asked = Subprocess::spawn({m_config.program, "--version"});
    if (!asked) return fail(asked.error().code, "cannot run OpenOCD (" + m_config.program + "): " + asked.error().message);
    if (auto ended = asked->wait(std::chrono::milliseconds(10000)); !ended) {
      asked->terminate();
      return fail(ErrorCode::Timeout, "OpenOCD (" + m_config.program + ") did not say its version");
    }
    if (auto parsed = parseOpenOcdVersion(asked->output())) version = *parsed;
  }
  auto child = Subprocess::spawn(openOcdArguments(m_config, elf, version, freshRunNonce(*image)));
  if (!child) return fail(child.error().code, "cannot run OpenOCD (" + m_config.program + "): " + child.error().message);
  auto code = child->wait(m_config.timeout);
  if (!code) {
    child->terminate();
    if (code.error().code == ErrorCode::Timeout)
      return fail(ErrorCode::Timeout, "OpenOCD did not finish programming " + elf.string() + " within " +
                                          std::to_string(m_config.timeout.count() / 1000) + " s");
    return std::unexpected(code.error());
  }
  if (*code != 0) {
    const std::string output = child->output();
    const bool noProbe = output.find("open failed") != std::string::npos ||
                         output.find("No J-Link") != std::string::npos ||
                         output.find("CMSIS-DAP device") != std::string::npos;
    return fail(noProbe ? ErrorCode::NotFound : ErrorCode::Io,
                "flashing " + elf.filename().string() + " failed: " + explainOpenOcdFailure(output, *code));
  }
  return {};
}

}  // namespace aidi::inst
