// Programs a firmware image into a target through its debug probe, with
// OpenOCD: run here by argument vector (`openocd`), or already running on
// the host the probe is plugged into and driven over its TCL port
// (`openocd-tcl`). Its words are read for the reason of a failure (no probe,
// no permission on the USB device, a missing board configuration, a failed
// verify), so the user gets one clear line.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "aidi/inst/result.hpp"
#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/visa_resource.hpp"

namespace aidi::inst {

class Flasher {
 public:
  virtual ~Flasher() = default;
  // Writes `elf`, verifies it against the file and resets the target into it.
  [[nodiscard]] virtual Status program(const std::filesystem::path& elf) = 0;
};

struct OpenOcdConfig {
  std::string program = "openocd";
  std::vector<std::string> configFiles = {"board/st_nucleo_f4.cfg"};  // OpenOCD's script search path
  std::string adapterSerial;  // the probe's serial when several are attached
  std::vector<std::string> searchDirs;
  Millis timeout{120000};
  // Reset the board to run the new image (a user's `aidi flash`). A bench
  // flashing before a run leaves it halted instead: it must run nothing, nor
  // commit progress to its FRAM, while powered for flashing (flashBench).
  bool runAfterProgram = true;
  // openocd-tcl: the remote OpenOCD's TCL port (tcp:HOST:6666), and the
  // folder where that host sees the images (empty: the same path as here,
  // as on a shared build folder).
  std::optional<VisaResource> tclServer;
  std::filesystem::path remoteImageDir;
};

// OpenOCD's release, from `openocd --version` ("Open On-Chip Debugger 0.11.0...").
struct OpenOcdVersion {
  int major = 0, minor = 12;
  bool atLeast(int ma, int mi) const { return major > ma || (major == ma && minor >= mi); }
};
[[nodiscard]] std::optional<OpenOcdVersion> parseOpenOcdVersion(const std::string& versionOutput);

// A word of the image left erased for the flasher to write after
// programming (`aidi_run_nonce` in the NUCLEO firmware): a new value per
// flash tells the firmware a new run begins, so it discards the progress
// its FRAM holds from an earlier run of the same image.
struct RunNonce {
  std::uint32_t address = 0;
  std::uint32_t value = 0;
};

// The command line (argv) that programs, verifies, writes the run nonce when
// there is one, and resets (or leaves the core halted, as OpenOCD's `program`
// without `reset` does). The probe's
// serial is `adapter serial` from OpenOCD 0.12 on; before, ST-LINK's
// `hla_serial`, which exists only once the board's script chose the driver.
std::vector<std::string> openOcdArguments(const OpenOcdConfig& config, const std::filesystem::path& elf,
                                          OpenOcdVersion version = {}, std::optional<RunNonce> nonce = {});

// One line naming why OpenOCD failed, from its output.
std::string explainOpenOcdFailure(const std::string& output, int exitCode);

// The TCL script an OpenOCD server runs for `openocd-tcl`: program and
// verify the image at `remoteElf`, write the run nonce, reset or stay
// halted; its result is "ok" or "failed: REASON" (errors caught, so the
// server's reply says why).
std::string openOcdTclScript(const std::string& remoteElf, std::optional<RunNonce> nonce, bool runAfterProgram);

class OpenOcdTclFlasher final : public Flasher {
 public:
  explicit OpenOcdTclFlasher(OpenOcdConfig config) : m_config(std::move(config)) {}
  [[nodiscard]] Status program(const std::filesystem::path& elf) override;

 private:
  OpenOcdConfig m_config;
};

class OpenOcdFlasher final : public Flasher {
 public:
  explicit OpenOcdFlasher(OpenOcdConfig config) : m_config(std::move(config)) {}
  [[nodiscard]] Status program(const std::filesystem::path& elf) override;

 private:
  OpenOcdConfig m_config;
};

}  // namespace aidi::inst
