// The OpenOCD flashers: the command line for the NUCLEO-F412ZG and the real
// OpenOCD binary failing without a probe, reported in one clear line; and a
// running OpenOCD driven over its TCL port.
#include "aidi/inst/flasher.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "../support/loopback_listener.hpp"
#include "aidi/inst/temp_dir.hpp"

using namespace aidi::inst;
using namespace std::chrono_literals;

namespace {
const std::filesystem::path kNucleoElf =
    std::filesystem::path(AIDI_FIRMWARE_DIR) / "targets/nucleo-f412zg/aidi-inference-inas-tiny-aidi-nucleo-f412zg.elf";
}

TEST(OpenOcdFlasher, CommandLineForTheNucleoBoard) {
  OpenOcdConfig config;  // defaults: board/st_nucleo_f4.cfg
  const auto argv = openOcdArguments(config, "/fw/my image.elf");
  const std::vector<std::string> expected = {"openocd", "-f", "board/st_nucleo_f4.cfg", "-c",
                                             "program {/fw/my image.elf} verify reset exit"};
  EXPECT_EQ(argv, expected);
}

// A bench flashes a board its supply powers: the core stays halted (no
// `reset`), so it runs nothing and writes no progress until its first
// power-on under the harvest.
TEST(OpenOcdFlasher, ABenchLeavesTheBoardHaltedAfterProgramming) {
  OpenOcdConfig config;
  config.runAfterProgram = false;
  const auto argv = openOcdArguments(config, "/fw/a.elf");
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.back(), "program {/fw/a.elf} verify exit");
}

// An image with a run nonce: programmed and verified, the nonce written
// into its erased word, then reset (or left halted for a bench), then
// OpenOCD shut down; every step a command of its own, so a failure stops it.
TEST(OpenOcdFlasher, WritesTheRunNonceAfterProgramming) {
  OpenOcdConfig config;
  const auto argv = openOcdArguments(config, "/fw/a.elf", {}, RunNonce{0x08012340, 0xC0FFEE01});
  const std::vector<std::string> expected = {"openocd", "-f", "board/st_nucleo_f4.cfg", "-c", "program {/fw/a.elf} verify",
                                             "-c", "flash fillw 0x08012340 0xc0ffee01 1", "-c", "reset run",
                                             "-c", "shutdown"};
  EXPECT_EQ(argv, expected);
  config.runAfterProgram = false;
  const auto halted = openOcdArguments(config, "/fw/a.elf", {}, RunNonce{0x08012340, 0xC0FFEE01});
  EXPECT_EQ(std::count(halted.begin(), halted.end(), "reset run"), 0);
  EXPECT_EQ(halted.back(), "shutdown");
}

TEST(OpenOcdFlasher, SelectsOneProbeAmongSeveral) {
  OpenOcdConfig config;
  config.adapterSerial = "066BFF485051";
  config.searchDirs = {"/opt/openocd/scripts"};
  const auto argv = openOcdArguments(config, "/fw/a.elf");
  const std::vector<std::string> expected = {"openocd", "-s", "/opt/openocd/scripts", "-c", "adapter serial {066BFF485051}",
                                             "-f", "board/st_nucleo_f4.cfg", "-c", "program {/fw/a.elf} verify reset exit"};
  EXPECT_EQ(argv, expected);
}

// OpenOCD before 0.12 has no `adapter serial`: ST-LINK's hla_serial, after
// the board's script has chosen the driver that defines it.
TEST(OpenOcdFlasher, AnOlderOpenOcdSelectsTheProbeWithHlaSerial) {
  OpenOcdConfig config;
  config.adapterSerial = "066BFF485051";
  const auto argv = openOcdArguments(config, "/fw/a.elf", {0, 11});
  const std::vector<std::string> expected = {"openocd", "-f", "board/st_nucleo_f4.cfg", "-c", "hla_serial {066BFF485051}",
                                             "-c", "program {/fw/a.elf} verify reset exit"};
  EXPECT_EQ(argv, expected);
  const auto v11 = parseOpenOcdVersion("Open On-Chip Debugger 0.11.0+dev-00001-g1234 (2021-03-07)\nLicensed under GNU GPL v2\n");
  ASSERT_TRUE(v11);
  EXPECT_FALSE(v11->atLeast(0, 12));
  const auto v12 = parseOpenOcdVersion("xPack Open On-Chip Debugger 0.12.0-01004-g9ea7f3d64-dirty\n");
  ASSERT_TRUE(v12);
  EXPECT_TRUE(v12->atLeast(0, 12));
  EXPECT_FALSE(parseOpenOcdVersion("bash: openocd: command not found"));
  EXPECT_FALSE(parseOpenOcdVersion("Open On-Chip Debugger x.y"));
}

TEST(OpenOcdFlasher, WithoutAProbeTheRealOpenOcdFailsClearly) {
  OpenOcdFlasher flasher(OpenOcdConfig{.timeout = 60s});
  const auto r = flasher.program(kNucleoElf);
  ASSERT_FALSE(r) << "no debug probe is attached to the CI machine";
  EXPECT_EQ(r.error().code, ErrorCode::NotFound) << r.error().message;
  EXPECT_NE(r.error().message.find("no debug probe found"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("aidi-inference-inas-tiny-aidi-nucleo-f412zg.elf"), std::string::npos);
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << "one line";
}

TEST(OpenOcdFlasher, AMissingBoardConfigurationIsNamed) {
  OpenOcdFlasher flasher(OpenOcdConfig{.configFiles = {"board/no_such_board.cfg"}, .timeout = 60s});
  const auto r = flasher.program(kNucleoElf);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot find a configuration file"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("no_such_board.cfg"), std::string::npos) << r.error().message;
}

TEST(OpenOcdFlasher, MissingOpenOcdOrImageAreErrorsBeforeAnything) {
  OpenOcdFlasher missingProgram(OpenOcdConfig{.program = "openocd-not-installed"});
  const auto r = missingProgram.program(kNucleoElf);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::NotFound);
  EXPECT_NE(r.error().message.find("openocd-not-installed"), std::string::npos) << r.error().message;

  auto dir = TempDir::create("aidi-flash-test-");
  ASSERT_TRUE(dir);
  std::ofstream(dir->path() / "notes.txt") << "not an image";
  OpenOcdFlasher flasher(OpenOcdConfig{});
  const auto notElf = flasher.program(dir->path() / "notes.txt");
  ASSERT_FALSE(notElf);
  EXPECT_NE(notElf.error().message.find("notes.txt"), std::string::npos) << notElf.error().message;
}

TEST(OpenOcdFlasher, ExplainsKnownFailures) {
  EXPECT_NE(explainOpenOcdFailure("Error: libusb_open() failed with LIBUSB_ERROR_ACCESS\n", 1).find("udev"),
            std::string::npos);
  EXPECT_NE(explainOpenOcdFailure("** Verify Failed **\n", 1).find("verify failed"), std::string::npos);
  EXPECT_NE(explainOpenOcdFailure("Info : x\nError: something odd\n", 1).find("\"Error: something odd\""),
            std::string::npos);
}

// openocd-tcl: the script sent to a running OpenOCD catches its errors, so
// the reply says why; the run nonce and the reset are steps of it.
TEST(OpenOcdTclFlasher, TheScriptProgramsWritesTheNonceAndSaysWhatFailed) {
  EXPECT_EQ(openOcdTclScript("/srv/aidi/a.elf", RunNonce{0x08012340, 0xC0FFEE01}, true),
            "if {[catch {program {/srv/aidi/a.elf} verify; flash fillw 0x08012340 0xc0ffee01 1; reset run} aidi_error]} "
            "{set aidi_result \"failed: $aidi_error\"} else {set aidi_result ok}");
  EXPECT_EQ(openOcdTclScript("/srv/a.elf", std::nullopt, false),
            "if {[catch {program {/srv/a.elf} verify} aidi_error]} {set aidi_result \"failed: $aidi_error\"} else "
            "{set aidi_result ok}");
}

// A real OpenOCD (its dummy adapter: no probe, no target) serving its TCL
// port on loopback: the flasher reaches it, the failure comes back named,
// the server stays up for the next image; no server at all is named too.
TEST(OpenOcdTclFlasher, ARunningOpenOcdIsDrivenOverItsTclPort) {
  if (std::system("command -v openocd > /dev/null 2>&1") != 0) GTEST_SKIP() << "openocd is not installed";
  const std::uint16_t port = aidi::test::freeLoopbackPort();
  auto server = Subprocess::spawn({"openocd", "-c", "adapter driver dummy", "-c", "transport select jtag", "-c",
                                   "bindto 127.0.0.1", "-c", "tcl_port " + std::to_string(port), "-c",
                                   "gdb_port disabled", "-c", "telnet_port disabled", "-c", "init"});
  ASSERT_TRUE(server) << server.error().message;
  ASSERT_TRUE(aidi::test::waitUntilListening(port)) << server->output();

  OpenOcdConfig config;
  config.tclServer = *parseVisaResource("tcp:127.0.0.1:" + std::to_string(port));
  config.timeout = 30s;
  OpenOcdTclFlasher flasher(config);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto ok = flasher.program(kNucleoElf);
    ASSERT_FALSE(ok) << "the dummy adapter has no target to program";
    EXPECT_NE(ok.error().message.find("through OpenOCD at 127.0.0.1:" + std::to_string(port) + " failed"),
              std::string::npos)
        << ok.error().message;
    EXPECT_NE(ok.error().message.find("Unable to reset target"), std::string::npos) << ok.error().message;
  }
  EXPECT_FALSE(server->exitCode()) << "the server stays up for the next image";
  server->terminate();

  config.tclServer = *parseVisaResource("tcp:127.0.0.1:1");
  auto none = OpenOcdTclFlasher(config).program(kNucleoElf);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no OpenOCD TCL server at 127.0.0.1:1"), std::string::npos) << none.error().message;
}
