// Integration: the real QEMU board with the real firmware.
#include "aidi/inst/qemu_board.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "aidi/core/boot_demo.hpp"

using namespace aidi;
using namespace std::chrono_literals;

namespace {

aidi::inst::QemuBoardConfig boardConfig() {
  aidi::inst::QemuBoardConfig c;
  c.firmware = AIDI_FIRMWARE_ELF;
  return c;
}
core::BootDemoOptions demoOptions() {
  core::BootDemoOptions o;
  o.board.firmware = AIDI_FIRMWARE_ELF;
  return o;
}

// Holds a loopback port open for the life of the object.
struct PortHolder {
  int fd = -1;
  std::uint16_t port = 0;
  PortHolder() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 1);
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = ntohs(a.sin_port);
  }
  ~PortHolder() { ::close(fd); }
};
}  // namespace

TEST(QemuBoard, BootCounterRisesAcrossResetsWithColdSram) {
  auto hellos = core::runBootDemo(demoOptions());
  ASSERT_TRUE(hellos) << hellos.error().message;
  ASSERT_EQ(hellos->size(), 3u);
  for (std::size_t i = 0; i < hellos->size(); ++i) {
    EXPECT_EQ((*hellos)[i].boot, i + 1);
    EXPECT_TRUE((*hellos)[i].sramCold) << "boot " << i + 1;
    EXPECT_EQ((*hellos)[i].target, "mps2-an386");
    EXPECT_EQ((*hellos)[i].build.size(), 16u);
    EXPECT_EQ((*hellos)[i].build, (*hellos)[0].build);
  }
}

// Without the zeros loader SRAM survives system_reset: the firmware must see it
// (this is what proves the loader trick is what makes SRAM cold).
TEST(QemuBoard, WithoutTheZerosLoaderSramStaysWarm) {
  auto options = demoOptions();
  options.board.coldSram = false;
  options.boots = 2;
  auto hellos = core::runBootDemo(options);
  ASSERT_TRUE(hellos) << hellos.error().message;
  EXPECT_TRUE((*hellos)[0].sramCold);
  EXPECT_FALSE((*hellos)[1].sramCold);
  EXPECT_EQ((*hellos)[1].boot, 2u);
}

// A power cycle must not make QEMU translate the firmware again: its code
// sits in the PSRAM the bench writes once, not in memory QEMU reloads at
// every reset (which cost 10-20 ms a cycle, most of a small capacitor's).
TEST(QemuBoard, ResetsKeepTheFirmwaresTranslatedCode) {
  auto board = inst::QemuBoard::start(boardConfig());
  ASSERT_TRUE(board) << board.error().message;
  for (int cycle = 0; cycle < 5; ++cycle) {
    std::this_thread::sleep_for(20ms);  // let it run some code each cycle
    ASSERT_TRUE((*board)->pause());
    ASSERT_TRUE((*board)->reset());
    ASSERT_TRUE((*board)->resume());
  }
  auto invalidated = (*board)->invalidatedTranslations();
  ASSERT_TRUE(invalidated) << invalidated.error().message;
  EXPECT_EQ(*invalidated, 0u);
}

TEST(QemuBoard, QuitLeavesNoProcess) {
  auto board = inst::QemuBoard::start(boardConfig());
  ASSERT_TRUE(board) << board.error().message;
  const pid_t pid = (*board)->pid();
  ASSERT_TRUE((*board)->quit());
  board->reset();
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST(QemuBoard, MissingQemuIsAClearError) {
  auto options = demoOptions();
  options.board.qemuProgram = "/nonexistent/qemu-system-arm";
  auto hellos = core::runBootDemo(options);
  ASSERT_FALSE(hellos);
  EXPECT_EQ(hellos.error().code, inst::ErrorCode::NotFound);
  EXPECT_NE(hellos.error().message.find("/nonexistent/qemu-system-arm not found"), std::string::npos)
      << hellos.error().message;
}

TEST(QemuBoard, MissingFirmwareIsAClearError) {
  auto options = demoOptions();
  options.board.firmware = "/nonexistent/fw.elf";
  auto hellos = core::runBootDemo(options);
  ASSERT_FALSE(hellos);
  EXPECT_EQ(hellos.error().code, inst::ErrorCode::NotFound);
  EXPECT_EQ(hellos.error().message, "firmware image not found: /nonexistent/fw.elf");
}

TEST(QemuBoard, PortInUseIsAClearError) {
  PortHolder held;
  auto options = demoOptions();
  options.board.serialPort = held.port;
  auto hellos = core::runBootDemo(options);
  ASSERT_FALSE(hellos);
  EXPECT_EQ(hellos.error().code, inst::ErrorCode::InUse);
  EXPECT_NE(hellos.error().message.find(std::to_string(held.port) + " is already in use"), std::string::npos);
}

TEST(QemuBoard, FirmwareThatIsNotAnElfIsRefusedBeforeQemuStarts) {
  auto options = demoOptions();
  options.board.firmware = AIDI_SOURCE_DIR "/CMakeLists.txt";
  auto hellos = core::runBootDemo(options);
  ASSERT_FALSE(hellos);
  EXPECT_EQ(hellos.error().message, AIDI_SOURCE_DIR "/CMakeLists.txt: not an ELF file");
}

TEST(QemuBoard, FirmwareForAnotherMachineIsRefused) {
  auto options = demoOptions();
  options.board.firmware = AIDI_CLI_PATH;  // an x86-64 ELF
  auto hellos = core::runBootDemo(options);
  ASSERT_FALSE(hellos);
  EXPECT_NE(hellos.error().message.find("not a 32-bit little-endian ELF"), std::string::npos)
      << hellos.error().message;
}

TEST(QemuBoard, QemuDyingMidRunIsReportedWithItsReason) {
  auto board = inst::QemuBoard::start(boardConfig());
  ASSERT_TRUE(board) << board.error().message;
  EXPECT_EQ((*board)->exitDiagnosis(), "");
  ASSERT_EQ(::kill((*board)->pid(), SIGKILL), 0);
  std::byte buffer[256];
  inst::Result<std::size_t> n;
  do n = (*board)->telemetry().read(buffer, 2000ms);
  while (n && *n > 0);
  ASSERT_FALSE(n) << "the link must fail once QEMU is gone";
  EXPECT_EQ(n.error().code, inst::ErrorCode::Closed) << "the kernel closes a dead process's sockets";
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ((*board)->exitDiagnosis(), "QEMU was killed by signal 9");
}
