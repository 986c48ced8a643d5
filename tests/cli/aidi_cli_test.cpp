// The `aidi` program as a user runs it: exit codes, output, and cleanup of the
// QEMU child on success, error, Ctrl-C and kill -9.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "aidi/db/database.hpp"
#include "aidi/inst/ppk2_simulator.hpp"
#include "aidi/inst/qemu_board.hpp"
#include "aidi/inst/scpi_psu_simulator.hpp"
#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "../support/cli_run.hpp"
#include "../support/loopback_listener.hpp"
#include "aidi/proto/policies.hpp"

using namespace aidi::inst;
using namespace std::chrono_literals;

namespace {

aidi::inst::QemuBoardConfig boardConfig() {
  aidi::inst::QemuBoardConfig c;
  c.firmware = AIDI_FIRMWARE_ELF;
  return c;
}

using aidi::test::CliRun;
using aidi::test::jsonLines;
using aidi::test::runAidi;

int countLines(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) ++n;
  return n;
}

// PIDs of live QEMU processes whose serial port is `port`.
std::vector<pid_t> qemuOnPort(std::uint16_t port) {
  std::vector<pid_t> found;
  const std::string needle = "tcp:127.0.0.1:" + std::to_string(port) + ",";
  DIR* proc = opendir("/proc");
  while (dirent* entry = readdir(proc)) {
    const pid_t pid = std::atoi(entry->d_name);
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(entry->d_name) + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
    std::string statLine((std::istreambuf_iterator<char>(stat)), {});
    const bool zombie = statLine.find(") Z ") != std::string::npos;
    if (!zombie && cmdline.find(needle) != std::string::npos) found.push_back(pid);
  }
  closedir(proc);
  return found;
}

bool waitUntilNoQemu(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!qemuOnPort(port).empty()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// Starts `aidi demo` on a known port with many boots and waits until QEMU runs.
Subprocess startLongDemo(std::uint16_t port) {
  auto child = Subprocess::spawn({AIDI_CLI_PATH, "demo", "--port", std::to_string(port), "--boots", "100000"});
  EXPECT_TRUE(child);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (child->output().find("boot 2:") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(qemuOnPort(port).empty()) << child->output();
  return std::move(*child);
}

}  // namespace

TEST(AidiCli, Version) {
  const CliRun r = runAidi({"version"});
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.output, "aidi 0.1.0\n");
}

TEST(AidiCli, UnknownCommandIsAUsageError) {
  const CliRun r = runAidi({"frobnicate"});
  EXPECT_EQ(r.exitCode, 2) << r.output;
}

// A near miss gets a suggestion; `aidi help CMD` is CMD's help, with the
// program's name (not the build path) in its usage line.
TEST(AidiCli, ANearMissSuggestsTheCommandAndHelpNamesIt) {
  CliRun r = runAidi({"rnu"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("unknown command \"rnu\" (did you mean \"run\"?)"), std::string::npos) << r.output;
  r = runAidi({"resmue", "x"});
  EXPECT_NE(r.output.find("did you mean \"resume\"?"), std::string::npos) << r.output;
  r = runAidi({"help", "sim"});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("Usage: aidi sim"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--board"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("/build/"), std::string::npos) << "no build path in the usage line";
}

TEST(AidiCli, DemoPrintsTheBootCounterRising) {
  const CliRun r = runAidi({"demo"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("boot 1:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("boot 2:"), std::string::npos);
  EXPECT_NE(r.output.find("boot 3:"), std::string::npos);
  EXPECT_EQ(r.output.find("boot 4:"), std::string::npos);
  EXPECT_EQ(countLines(r.output, "  boot "), 3);
  EXPECT_EQ(r.output.find("WARM"), std::string::npos);
}

TEST(AidiCli, DemoJsonIsOneObjectPerBoot) {
  const CliRun r = runAidi({"demo", "--json"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(countLines(r.output, "{\"boot\":1,"), 1) << r.output;
  EXPECT_EQ(countLines(r.output, "{\"boot\":2,"), 1);
  EXPECT_EQ(countLines(r.output, "{\"boot\":3,"), 1);
}

TEST(AidiCli, MissingQemuIsOneLineAndExitOne) {
  const CliRun r = runAidi({"demo", "--qemu", "/nonexistent/qemu-system-arm"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(countLines(r.output, "aidi: error: "), 1) << r.output;
  EXPECT_NE(r.output.find("aidi: error: /nonexistent/qemu-system-arm not found (install the qemu-system-arm package)\n"),
            std::string::npos)
      << r.output;
}

TEST(AidiCli, MissingFirmwareIsOneLineAndExitOne) {
  const CliRun r = runAidi({"demo", "--firmware", "/nonexistent/fw.elf"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("aidi: error: firmware image not found: /nonexistent/fw.elf\n"), std::string::npos)
      << r.output;
}

TEST(AidiCli, PortInUseIsOneLineAndExitOne) {
  // Keep the port bound by a second board for the duration.
  auto holder = QemuBoard::start(boardConfig());
  ASSERT_TRUE(holder) << holder.error().message;
  const CliRun r = runAidi({"demo", "--port", std::to_string((*holder)->serialPort())});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("is already in use"), std::string::npos) << r.output;
  EXPECT_EQ(countLines(r.output, "aidi: error: "), 1);
}

TEST(AidiCli, CtrlCQuitsQemuAndExits130) {
  auto port = reserveLoopbackPort(0);
  ASSERT_TRUE(port);
  Subprocess demo = startLongDemo(*port);
  demo.signal(SIGINT);
  auto code = demo.wait(10000ms);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 130) << demo.output();
  EXPECT_TRUE(waitUntilNoQemu(*port, 2000ms)) << "QEMU left running after Ctrl-C";
}

TEST(AidiCli, KillNineOfAidiTakesQemuWithIt) {
  auto port = reserveLoopbackPort(0);
  ASSERT_TRUE(port);
  Subprocess demo = startLongDemo(*port);
  demo.signal(SIGKILL);
  ASSERT_TRUE(demo.wait(5000ms));
  EXPECT_TRUE(waitUntilNoQemu(*port, 3000ms)) << "QEMU left running after kill -9";
}

TEST(AidiCliDecode, PrintsEveryFrameThenTheCounters) {
  const CliRun r = runAidi({"decode", AIDI_SOURCE_DIR "/fixtures/protocol/capture.bin"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  std::istringstream in(r.output);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_FALSE(lines.empty());
  const auto counters = lines.back()["counters"];
  EXPECT_EQ(counters["frames"].get<std::size_t>(), lines.size() - 1);
  EXPECT_EQ(lines.front()["type"], "hello");
  EXPECT_EQ(lines.front()["fields"]["target"], "mps2-an386");
  EXPECT_EQ(counters["bad_crc"], 3);
  EXPECT_EQ(counters["oversize"], 1);
  EXPECT_EQ(counters["bad_version"], 1);
}

// Plays the fixture capture into a pseudo-terminal's master, again every
// 200 ms, until `decoder` has printed the hello: bytes written before it
// opened the port are lost, as on a wire. False after 5 s.
bool feedUntilHello(int master, Subprocess& decoder) {
  std::ifstream capture(AIDI_SOURCE_DIR "/fixtures/protocol/capture.bin", std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(capture), {}};
  for (int k = 0; k < 500; ++k) {
    if (k % 20 == 0 && ::write(master, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) return false;
    std::this_thread::sleep_for(10ms);
    if (decoder.output().find("\"hello\"") != std::string::npos) return true;
  }
  return false;
}

// The board's serial port live, through a pseudo-terminal (the termios path
// a ser2net-less bench uses): every frame written to it is printed as it
// arrives, and Ctrl-C ends the capture with the counters (exit 130).
TEST(AidiCliDecode, ReadsASerialPortLiveUntilCtrlC) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const std::string device = ::ptsname(master);
  auto child = Subprocess::spawn({AIDI_CLI_PATH, "decode", "serial:" + device + "@921600"});
  ASSERT_TRUE(child) << child.error().message;
  EXPECT_TRUE(feedUntilHello(master, *child)) << child->output();
  child->signal(SIGINT);
  auto code = child->wait(10000ms);
  ::close(master);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 130) << "interrupted, as every command reports Ctrl-C: " << child->output();
  EXPECT_NE(child->output().find("\"counters\""), std::string::npos) << child->output();
  const CliRun bad = runAidi({"decode", "serial:" + device + "@12"});
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.output.find("serial:DEVICE[@BAUD]"), std::string::npos) << bad.output;
}

// A remote serial link: real ser2net serves a pseudo-terminal (the board's
// port on a lab host) on a loopback TCP port; `aidi decode tcp:HOST:PORT`
// reads the board's frames through it, and a bench file whose link is that
// `tcp:` resource is probed through it too.
TEST(AidiCliDecode, ReadsABoardThroughSer2net) {
  if (std::system("command -v ser2net > /dev/null 2>&1") != 0) GTEST_SKIP() << "ser2net is not installed";
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const std::string device = ::ptsname(master);
  const std::string port = std::to_string(aidi::test::freeLoopbackPort());
  auto server = Subprocess::spawn({"ser2net", "-n", "-u", "-Y", "connection: &board", "-Y",
                                   "  accepter: tcp,127.0.0.1," + port, "-Y",
                                   "  connector: serialdev," + device + ",921600n81,local", "-Y",
                                   "  options:", "-Y", "    kickolduser: true"});
  ASSERT_TRUE(server) << server.error().message;
  ASSERT_TRUE(aidi::test::waitUntilListening(static_cast<std::uint16_t>(std::stoi(port)))) << server->output();

  auto child = Subprocess::spawn({AIDI_CLI_PATH, "decode", "tcp:127.0.0.1:" + port});
  ASSERT_TRUE(child) << child.error().message;
  EXPECT_TRUE(feedUntilHello(master, *child)) << child->output() << server->output();
  child->signal(SIGINT);
  ASSERT_TRUE(child->wait(10000ms));
  EXPECT_NE(child->output().find("\"checkpoint\""), std::string::npos) << "frames past the hello arrive too";

  auto dir = TempDir::create("aidi-cli-ser2net-");
  ASSERT_TRUE(dir);
  auto psu = ScpiPsuSimulator::start({});
  ASSERT_TRUE(psu);
  const auto bench = dir->path() / "remote.toml";
  std::ofstream(bench) << "[bench]\nname = \"remote\"\ntarget = \"nucleo-f412zg\"\n[limits]\nmax_voltage = 3.6\n"
                          "max_current = 0.1\n[supply]\nresource = \"tcp:127.0.0.1:" << (*psu)->port()
                       << "\"\n[link]\nresource = \"tcp:127.0.0.1:" << port << "\"\n";
  const CliRun probed = runAidi({"instruments", "probe", bench.string()});
  EXPECT_EQ(probed.exitCode, 0) << probed.output;
  EXPECT_NE(probed.output.find("link: 127.0.0.1:" + port), std::string::npos) << probed.output;
  server->terminate();
  ::close(master);
}

TEST(AidiCliDecode, MissingCaptureIsOneLineAndExitOne) {
  const CliRun r = runAidi({"decode", "/nonexistent/capture.bin"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.output, "aidi: error: cannot open capture /nonexistent/capture.bin: No such file or directory\n");
}

// A capture cut off inside a frame counts that frame as truncated (it once
// showed all-zero counters).
TEST(AidiCliDecode, ACaptureEndingMidFrameCountsTheTruncatedFrame) {
  auto dir = TempDir::create("aidi-cli-decode-");
  ASSERT_TRUE(dir);
  std::ifstream in(AIDI_SOURCE_DIR "/fixtures/protocol/capture.bin", std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  const auto firstFrameEnd = bytes.find('\0', 1);
  ASSERT_NE(firstFrameEnd, std::string::npos);
  const auto cut = dir->path() / "cut.bin";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, firstFrameEnd - 3);
  const CliRun r = runAidi({"decode", cut.string()});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto counters = nlohmann::json::parse(r.output.substr(r.output.rfind("{\"counters\"")))["counters"];
  EXPECT_EQ(counters["truncated"], 1) << r.output;
  EXPECT_GT(counters["bytes"].get<int>(), 0);
}

// tcp: a peer that resets the connection is an error (the capture may be
// incomplete), one that closes it in order ends the capture.
TEST(AidiCliDecode, AResetConnectionIsAnErrorAnOrderlyCloseIsTheEnd) {
  for (const bool reset : {true, false}) {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    std::thread peer([&] {
      const int fd = ::accept(listener, nullptr, nullptr);
      const char resync = 0;
      (void)!::write(fd, &resync, 1);
      std::this_thread::sleep_for(200ms);
      if (reset) {
        linger l{1, 0};  // close with RST
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
      ::close(fd);
    });
    const CliRun r = runAidi({"decode", "tcp:127.0.0.1:" + std::to_string(ntohs(a.sin_port))});
    peer.join();
    ::close(listener);
    if (reset) {
      EXPECT_EQ(r.exitCode, 1) << r.output;
      EXPECT_NE(r.output.find("reset"), std::string::npos) << r.output;
    } else {
      EXPECT_EQ(r.exitCode, 0) << r.output;
    }
  }
}

TEST(AidiCliDecode, BadTcpAddressIsAClearError) {
  const CliRun r = runAidi({"decode", "tcp:localhost"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("expected tcp:HOST:PORT"), std::string::npos) << r.output;
}

// Several processes opening a new database at once: each migration runs once,
// in a transaction that re-reads the version under the lock (the second of two
// `aidi run` once failed inside migration 0001).
TEST(AidiCliDb, ConcurrentFirstOpensMigrateOnce) {
  for (int round = 0; round < 3; ++round) {
    auto dir = TempDir::create("aidi-cli-db-");
    ASSERT_TRUE(dir);
    const std::string db = (dir->path() / "new.db").string();
    std::vector<Subprocess> children;
    for (int i = 0; i < 4; ++i) {
      auto child = Subprocess::spawn({AIDI_CLI_PATH, "db", "migrate", "--db", db});
      ASSERT_TRUE(child) << child.error().message;
      children.push_back(std::move(*child));
    }
    for (auto& child : children) {
      auto code = child.wait(60000ms);
      ASSERT_TRUE(code);
      EXPECT_EQ(*code, 0) << child.output();
    }
    const CliRun check = runAidi({"db", "check", "--db", db});
    EXPECT_EQ(check.exitCode, 0) << check.output;
    EXPECT_NE(check.output.find("integrity ok"), std::string::npos) << check.output;
  }
}

TEST(AidiCliDb, MigrateCheckExport) {
  auto dir = TempDir::create("aidi-cli-db-");
  ASSERT_TRUE(dir);
  const std::string db = (dir->path() / "runs.db").string();
  CliRun r = runAidi({"db", "migrate", "--db", db});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const std::string latest = std::to_string(aidi::db::Database::latestSchemaVersion());
  EXPECT_EQ(r.output, db + ": schema version " + latest + " (latest " + latest + ")\n");
  r = runAidi({"db", "check", "--db", db});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, db + ": schema version " + latest + ", integrity ok\n");
  r = runAidi({"db", "export", "--db", db, "--table", "campaigns", "--format", "json", "--out", "-"});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_EQ(r.output, "[]\n");
  r = runAidi({"db", "export", "--db", db, "--out", (dir->path() / "csv").string()});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir->path() / "csv" / "inferences.csv"));
}

TEST(AidiCliDb, RefusesWhatIsNotADatabase) {
  CliRun r = runAidi({"db", "check", "--db", AIDI_SOURCE_DIR "/README.md"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.output, "aidi: error: " AIDI_SOURCE_DIR "/README.md: not an SQLite database (left untouched)\n");
  r = runAidi({"db", "export", "--db", "x.db", "--table", "sqlite_master"});
  EXPECT_EQ(r.exitCode, 2) << r.output;
}

// The shell completion, written from the command definitions, completes
// commands, nested commands, options and an option's listed values, in a
// real bash; the zsh one is valid zsh; the manual page formats cleanly and
// documents every command.
TEST(AidiCliReference, CompletionsAndManualPageComeFromTheCommands) {
  auto dir = TempDir::create("aidi-cli-reference-");
  ASSERT_TRUE(dir);
  const auto bash = dir->path() / "aidi.bash", zsh = dir->path() / "_aidi", man = dir->path() / "aidi.1";
  for (const auto& [kind, file] : {std::pair{"bash", bash}, {"zsh", zsh}, {"man", man}})
    ASSERT_EQ(runAidi({"reference", kind, "--out", file.string()}).exitCode, 0) << kind;
  const std::string script = "source '" + bash.string() + "'\n" + R"(
ask() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _aidi; echo "[${COMPREPLY[*]}]"; }
ask aidi ru
ask aidi db ''
ask aidi report demo --format ''
ask aidi sim --pol
ask aidi help ru
ask aidi sim --policy ai
)";
  auto child = Subprocess::spawn({"/bin/bash", "-c", script});
  ASSERT_TRUE(child);
  ASSERT_EQ(child->wait(30000ms).value_or(-1), 0) << child->output();
  const std::string out = child->output();
  for (const char* expected : {"[run]", "[migrate check vacuum export]", "[html csv json]", "[--policy]", "[aidi]"})
    EXPECT_NE(out.find(expected), std::string::npos) << expected << " in\n" << out;
  EXPECT_EQ(countLines(out, "[run]"), 2) << "after `help` too:\n" << out;

  if (std::system("command -v zsh > /dev/null 2>&1") == 0) {
    auto check = Subprocess::spawn({"zsh", "-n", zsh.string()});
    ASSERT_TRUE(check);
    EXPECT_EQ(check->wait(30000ms).value_or(-1), 0) << check->output();
  }
  std::ifstream in(man);
  const std::string page{std::istreambuf_iterator<char>(in), {}};
  for (const char* command : {"run", "resume", "list", "report", "sim", "db export", "instruments probe", "reference"})
    EXPECT_NE(page.find(std::string(".SS \"aidi ") + command), std::string::npos) << command;
  EXPECT_NE(page.find("AIDI_DB"), std::string::npos);
  if (std::system("command -v groff > /dev/null 2>&1") == 0) {
    auto format = Subprocess::spawn({"groff", "-man", "-Tutf8", "-ww", "-z", man.string()});
    ASSERT_TRUE(format);
    EXPECT_EQ(format->wait(30000ms).value_or(-1), 0);
    EXPECT_EQ(format->output(), "") << "groff warnings";
  }
}

// A mistyped option or value is named with the nearest the command has.
TEST(AidiCliReference, MistypedOptionsAndValuesGetTheNearestSuggested) {
  CliRun r = runAidi({"sim", "--polcy", "aidi"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("`aidi sim` does not take the option \"--polcy\" (did you mean \"--policy\"?)"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("\"aidi\""), std::string::npos) << "the option's value is not named apart: " << r.output;
  r = runAidi({"sim", "--policy", "aidl"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("\"aidl\" is not a policy (did you mean \"aidi\"?)"), std::string::npos) << r.output;
  r = runAidi({"db", "export", "--format", "xml"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("\"xml\" is not an export format"), std::string::npos) << r.output;
  r = runAidi({"report", "demo", "--format", "htm"});
  EXPECT_NE(r.output.find("(did you mean \"html\"?)"), std::string::npos) << r.output;
}

TEST(AidiCliModels, ListsTheZooAsTableAndJson) {
  CliRun r = runAidi({"models"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_TRUE(r.output.starts_with("model "));
  EXPECT_NE(r.output.find("inas-tiny"), std::string::npos);
  r = runAidi({"models", "--json"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto models = jsonLines(r.output);
  ASSERT_GE(models.size(), 3u) << "one JSON object per line: " << r.output;
  EXPECT_GT(models[0]["macs"].get<int>(), 0);
  EXPECT_GT(models[0]["int8_accuracy"].get<double>(), 0.5);
}

TEST(AidiCliModels, ADamagedModelIsNamedWithItsReason) {
  auto dir = TempDir::create("aidi-cli-models-");
  ASSERT_TRUE(dir);
  const auto model = dir->path() / "broken";
  std::filesystem::create_directories(model);
  std::filesystem::copy(AIDI_SOURCE_DIR "/fixtures/models/inas-tiny/manifest.json", model / "manifest.json");
  std::ofstream(model / "model.aidi", std::ios::binary) << "AIDIMDL";
  const CliRun r = runAidi({"models", "--dir", dir->path().string()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.output, "aidi: error: " + (model / "model.aidi").string() + ": file shorter than its header\n");
}

TEST(AidiCliCrashTest, SweepsEveryPolicyWithoutDivergence) {
  const CliRun r = runAidi({"crashtest", "--model", "inas-tiny", "--json"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  std::istringstream in(r.output);
  int lines = 0;
  std::set<std::string> aidiSweeps;
  for (std::string line; std::getline(in, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["divergences"], 0);
    if (j["sweep"] == "writes") EXPECT_GT(j["failure_points"].get<int>(), j["jobs"].get<int>()) << line;
    else EXPECT_GT(j["failure_points"].get<int>(), 0) << line;
    if (j["policy"] == "aidi") aidiSweeps.insert(j["sweep"].get<std::string>());
  }
  EXPECT_EQ(lines, static_cast<int>(aidi::proto::kPolicyCount) + 2) << "one line per policy, two more for aidi";
  EXPECT_EQ(aidiSweeps, (std::set<std::string>{"writes", "steps", "sleeps"}));
}

TEST(AidiCliCrashTest, BadArgumentsAreClearErrors) {
  EXPECT_EQ(runAidi({"crashtest", "--model", "inas-tiny", "--policy", "bogus"}).exitCode, 2);
  const CliRun r = runAidi({"crashtest", "--model", "no-such-model"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("model file not found"), std::string::npos) << r.output;
}

TEST(AidiCliPsu, SetsMeasuresAndRefusesAboveTheLimit) {
  auto sim = ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  const std::string resource = "TCPIP0::127.0.0.1::" + std::to_string((*sim)->port()) + "::SOCKET";
  CliRun r = runAidi({"psu", "--resource", resource, "--voltage", "3.3", "--current-limit", "0.1", "--output", "on",
                      "--measure", "--max-voltage", "3.6", "--max-current", "0.2", "--json"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["model"], "DP832");
  EXPECT_NEAR(j["measured"]["volts"].get<double>(), 3.3, 1e-9);
  EXPECT_NEAR(j["measured"]["amps"].get<double>(), 0.033, 1e-9);
  EXPECT_TRUE((*sim)->channel(1).output) << "a manual 'on' stays on after aidi exits";

  r = runAidi({"psu", "--resource", resource, "--voltage", "12", "--max-voltage", "3.6", "--max-current", "0.2"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("refused 12.000000 V on channel 1"), std::string::npos) << r.output;
  EXPECT_NEAR((*sim)->channel(1).volts, 3.3, 1e-9) << "the refused value never reached the supply";

  r = runAidi({"psu", "--resource", "GPIB0::5::INSTR", "--max-voltage", "3.6", "--max-current", "0.2"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("unknown interface"), std::string::npos) << r.output;
}

// Every limit and setting from the command line is finite and in range: NaN
// once bypassed the limit (29 V applied under a NaN limit).
TEST(AidiCliPsu, NonFiniteOrOutOfRangeLimitsAndSettingsAreRefused) {
  auto sim = ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  const std::string resource = "TCPIP0::127.0.0.1::" + std::to_string((*sim)->port()) + "::SOCKET";
  for (const std::vector<std::string>& limits :
       {std::vector<std::string>{"--max-voltage", "nan", "--max-current", "0.2"},
        {"--max-voltage", "3.6", "--max-current", "nan"}, {"--max-voltage", "inf", "--max-current", "0.2"},
        {"--max-voltage", "-1", "--max-current", "0.2"}, {"--max-voltage", "0", "--max-current", "0.2"},
        {"--max-voltage", "3.6", "--max-current", "1e400"}, {"--max-voltage", "3.6x", "--max-current", "0.2"}}) {
    std::vector<std::string> args{"psu", "--resource", resource, "--voltage", "29", "--output", "on"};
    args.insert(args.end(), limits.begin(), limits.end());
    const CliRun r = runAidi(args);
    EXPECT_EQ(r.exitCode, 2) << limits[1] << " " << limits[3] << ": " << r.output;
  }
  for (const char* bad : {"nan", "inf", "-0.1"}) {
    const CliRun r = runAidi({"psu", "--resource", resource, "--voltage", bad, "--max-voltage", "3.6",
                              "--max-current", "0.2"});
    EXPECT_EQ(r.exitCode, 2) << bad << ": " << r.output;
  }
  // Within the CLI's range but above this supply's rating (DP832: 30 V).
  const CliRun above = runAidi({"psu", "--resource", resource, "--voltage", "29", "--output", "on", "--max-voltage",
                                "45", "--max-current", "0.2"});
  EXPECT_EQ(above.exitCode, 1) << above.output;
  EXPECT_NE(above.output.find("above the instrument's rating"), std::string::npos) << above.output;
  EXPECT_NEAR((*sim)->channel(1).volts, 0.0, 1e-9) << "nothing was ever applied";
  EXPECT_FALSE((*sim)->channel(1).output);
  EXPECT_EQ(runAidi({"virtual-psu", "--load", "nan"}).exitCode, 2);
  EXPECT_EQ(runAidi({"sim", "--cap", "inf"}).exitCode, 2);
  EXPECT_EQ(runAidi({"sim", "--constant", "nan"}).exitCode, 2);
  EXPECT_EQ(runAidi({"sim", "--sample", "-1"}).exitCode, 2) << "not wrapped to 2^64 - 1";
  EXPECT_EQ(runAidi({"crashtest", "--model", "inas-tiny", "--sample", "1000"}).exitCode, 2);
}

// An inference that did not finish has no latency and no ratio (it once
// printed a ratio as if finished).
TEST(AidiCliSim, AnUnfinishedRunHasNoLatencyRatio) {
  const CliRun r = runAidi({"sim", "--model", "mcunet-s", "--policy", "layer", "--cap", "100", "--trace",
                            AIDI_SOURCE_DIR "/fixtures/traces/indoor-weak.csv", "--json"});
  EXPECT_EQ(r.exitCode, 1) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_FALSE(j["finished"].get<bool>());
  EXPECT_TRUE(j["latency_ratio"].is_null()) << r.output;
  EXPECT_TRUE(j["latency_s"].is_null()) << r.output;
  EXPECT_GT(j["energy_bound_s"].get<double>(), 0) << "the limit is still known";
  // Where its energy went, cycle by cycle and layer by layer: the cycles add
  // up to the board's energy, none finished, and brown-outs lost work.
  const auto& cycles = j["cycle_energy"];
  ASSERT_EQ(cycles.size(), j["power_cycles"].get<std::size_t>());
  double sum = 0, lost = 0;
  for (const auto& c : cycles) {
    sum += c["energy_uj"].get<double>();
    lost += c["reexecuted_uj"].get<double>();
    EXPECT_FALSE(c["finished"].get<bool>());
  }
  EXPECT_NEAR(sum, j["energy_uj"].get<double>(), 1e-6 * sum);
  EXPECT_NEAR(lost, j["energy_split_uj"]["reexecuted"].get<double>(), 1e-6 * sum);
  EXPECT_GT(lost, 0.0) << "a layer larger than a power cycle is lost at every brown-out";
  EXPECT_FALSE(j["layer_energy"].empty());
}

TEST(AidiCliPorts, ListsSerialPortsAsJson) {
  const CliRun r = runAidi({"ports", "--json"});
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_FALSE(r.output.starts_with("[")) << "JSON lines, not an array: " << r.output;
  const auto ports = jsonLines(r.output);
  for (const auto& p : ports) {
    EXPECT_TRUE(p["name"].get<std::string>().starts_with("/dev/"));
    EXPECT_TRUE(p["transport"] == "usb" || p["transport"] == "native" || p["transport"] == "bluetooth");
  }
}

// The board is powered from the bench's (simulated) supply while it is
// flashed, and off after; OpenOCD is told to use only a probe no one has, so
// a plugged-in board is never programmed, and it fails as without a probe.
TEST(AidiCliFlash, PowersTheBoardToFlashItAndSaysWhenNoProbeAnswers) {
  if (std::system("command -v openocd > /dev/null 2>&1") != 0) GTEST_SKIP() << "openocd is not installed";
  auto sim = ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  auto dir = TempDir::create("aidi-flash-");
  ASSERT_TRUE(dir);
  const auto bench = dir->path() / "bench.toml";
  const auto write = [&](int port) {
    std::ofstream(bench) << "[bench]\nname = \"desk\"\ntarget = \"nucleo-f412zg\"\n[limits]\nmax_voltage = 3.6\n"
                            "max_current = 0.1\n[supply]\nresource = \"TCPIP0::127.0.0.1::"
                         << port << "::SOCKET\"\n[flasher]\nkind = \"openocd\"\nconfig = [\"board/st_nucleo_f4.cfg\"]\n"
                                    "adapter_serial = \"AIDI-TEST-NO-SUCH-PROBE\"\n";
  };
  write((*sim)->port());
  const CliRun r = runAidi({"flash", "--bench", bench.string(), "--model", "inas-tiny", "--policy", "aidi"});
  EXPECT_EQ(r.exitCode, 1) << r.output;
  EXPECT_NE(r.output.find("aidi: error: flashing aidi-inference-inas-tiny-aidi-nucleo-f412zg.elf failed: no debug probe found"),
            std::string::npos)
      << r.output;
  EXPECT_NEAR((*sim)->channel(1).volts, 3.3, 1e-9) << "powered at the device voltage to be flashed";
  EXPECT_FALSE((*sim)->channel(1).output) << "and off after";
  write(1);  // no supply there: nothing is flashed, the error names it
  const CliRun noSupply = runAidi({"flash", "--bench", bench.string(), "--model", "inas-tiny", "--policy", "aidi"});
  EXPECT_EQ(noSupply.exitCode, 1) << noSupply.output;
  EXPECT_NE(noSupply.output.find("127.0.0.1"), std::string::npos) << noSupply.output;
  const CliRun missing = runAidi({"flash", "--bench", "/nonexistent/bench.toml"});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_NE(missing.output.find("/nonexistent/bench.toml"), std::string::npos) << missing.output;
}

TEST(AidiCliProbe, IdentifiesTheSupplyAndReportsAMissingLink) {
  auto sim = ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  auto dir = TempDir::create("aidi-probe-");
  ASSERT_TRUE(dir);
  const auto bench = dir->path() / "bench.toml";
  std::ofstream(bench) << "[bench]\nname = \"desk\"\ntarget = \"nucleo-f412zg\"\n[limits]\nmax_voltage = 3.6\n"
                          "max_current = 0.1\n[supply]\nresource = \"TCPIP0::127.0.0.1::"
                       << (*sim)->port() << "::SOCKET\"\n[link]\nresource = \"ASRL/dev/ttyAIDI-none::INSTR\"\n";
  const CliRun r = runAidi({"instruments", "probe", bench.string(), "--json"});
  EXPECT_EQ(r.exitCode, 1) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(0, r.output.find('\n')));
  EXPECT_EQ(j["supply"]["model"], "DP832");
  EXPECT_EQ(j["supply"]["family"], "rigol-dp800");
  EXPECT_EQ(j["link"]["ok"], false);
  EXPECT_FALSE((*sim)->channel(1).output) << "probing switches nothing";

  const CliRun psu = runAidi({"instruments", "probe", "--psu", "TCPIP0::127.0.0.1::" + std::to_string((*sim)->port()) + "::SOCKET"});
  EXPECT_EQ(psu.exitCode, 0) << psu.output;
  EXPECT_NE(psu.output.find("RIGOL TECHNOLOGIES DP832"), std::string::npos) << psu.output;
  const CliRun none = runAidi({"instruments", "probe", "--psu", "TCPIP0::127.0.0.1::1::SOCKET"});
  EXPECT_EQ(none.exitCode, 1) << none.output;
  EXPECT_NE(none.output.find("127.0.0.1"), std::string::npos) << none.output;
}

// A PPK2 (the simulated kit on a pseudo-terminal) probed by its driver; a
// driver name that does not exist is a usage error naming the known ones.
TEST(AidiCliProbe, IdentifiesAPpk2ByItsDriver) {
  auto kit = aidi::inst::Ppk2Simulator::start();
  ASSERT_TRUE(kit) << kit.error().message;
  const std::string resource = "ASRL" + (*kit)->devicePath() + "::INSTR";
  const CliRun r = runAidi({"instruments", "probe", "--psu", resource, "--driver", "ppk2", "--json"});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(0, r.output.find('\n')));
  EXPECT_EQ(j["supply"]["model"], "PPK2");
  EXPECT_EQ(j["supply"]["family"], "ppk2");
  EXPECT_FALSE((*kit)->state().dutPowered) << "probing switches nothing";
  const CliRun unknown = runAidi({"instruments", "probe", "--psu", resource, "--driver", "ppk9"});
  EXPECT_NE(unknown.exitCode, 0);
  EXPECT_NE(unknown.output.find("ppk2"), std::string::npos) << unknown.output;
}

// A bench with a PPK2 as its meter beside the SCPI supply: the probe names
// the harvester mode and identifies the meter; a meter that does not answer
// fails the probe naming it.
TEST(AidiCliProbe, IdentifiesTheMeterBesideTheSupply) {
  auto sim = ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  auto kit = aidi::inst::Ppk2Simulator::start();
  ASSERT_TRUE(kit) << kit.error().message;
  auto dir = TempDir::create("aidi-probe-");
  ASSERT_TRUE(dir);
  const auto bench = dir->path() / "bench.toml";
  const std::string head = "[bench]\nname = \"desk\"\ntarget = \"nucleo-f412zg\"\n[limits]\nmax_voltage = 3.6\n"
                           "max_current = 0.1\n[supply]\nresource = \"TCPIP0::127.0.0.1::" +
                           std::to_string((*sim)->port()) + "::SOCKET\"\n[harvester]\nmode = \"current-source\"\n";
  std::ofstream(bench) << head << "[meter]\ndriver = \"ppk2\"\nresource = \"ASRL" << (*kit)->devicePath() << "::INSTR\"\n";
  const CliRun r = runAidi({"instruments", "probe", bench.string(), "--json"});
  EXPECT_EQ(r.exitCode, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(0, r.output.find('\n')));
  EXPECT_EQ(j["harvester"], "current-source");
  EXPECT_EQ(j["meter"]["model"], "PPK2");
  EXPECT_EQ(j["meter"]["driver"], "ppk2");
  EXPECT_FALSE((*kit)->state().dutPowered) << "probing switches nothing";
  std::ofstream(bench) << head << "[meter]\ndriver = \"ppk2\"\nresource = \"ASRL/dev/ttyAIDI-none::INSTR\"\n";
  const CliRun gone = runAidi({"instruments", "probe", bench.string()});
  EXPECT_EQ(gone.exitCode, 1) << gone.output;
  EXPECT_NE(gone.output.find("meter: "), std::string::npos) << gone.output;
  EXPECT_NE(gone.output.find("ttyAIDI-none"), std::string::npos) << gone.output;
}
