// Bench files: the example loads; every mistake a user can make in one is an
// error naming the file, the line and the key, before any instrument is touched.
#include "aidi/core/bench_file.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "aidi/inst/temp_dir.hpp"

namespace {

const std::filesystem::path kExample = std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/benches/nucleo-f412zg.toml";

std::string example() {
  std::ifstream in(kExample);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at == std::string::npos) ADD_FAILURE() << "not in the example: " << from;
  else s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST(BenchFile, ThePpk2ExampleNamesItsDriver) {
  auto b = aidi::core::loadBenchFile(std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/benches/nucleo-f412zg-ppk2.toml");
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_TRUE(b->supply);
  EXPECT_EQ(b->supply->driver, "ppk2");
  EXPECT_EQ(b->supply->resource.kind, aidi::inst::VisaResource::Kind::Serial);
  auto otii = aidi::core::loadBenchFile(std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/benches/nucleo-f412zg-otii.toml");
  ASSERT_TRUE(otii) << otii.error().message;
  EXPECT_EQ(otii->supply->driver, "otii");
}

TEST(BenchFile, TheCapacitorExampleNamesItsHarvesterModeAndMeter) {
  auto b = aidi::core::loadBenchFile(std::filesystem::path(AIDI_SOURCE_DIR) / "fixtures/benches/nucleo-f412zg-capacitor.toml");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->harvest.mode, "current-source");
  EXPECT_DOUBLE_EQ(b->harvest.stepS, 0.005);
  ASSERT_TRUE(b->meter);
  EXPECT_EQ(b->meter->driver, "ppk2");
  EXPECT_EQ(b->meter->resource.device, "/dev/ttyACM1");
  auto plain = aidi::core::loadBenchFile(kExample);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->harvest.mode, "switching") << "the default";
  EXPECT_FALSE(plain->meter);
}

TEST(BenchFile, TheExampleLoads) {
  auto b = aidi::core::loadBenchFile(kExample);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->target, "nucleo-f412zg");
  EXPECT_DOUBLE_EQ(b->limits.maxVolts, 3.6);
  EXPECT_DOUBLE_EQ(b->limits.maxAmps, 0.15);
  ASSERT_TRUE(b->supply && b->link && b->flasher);
  EXPECT_EQ(b->supply->resource.kind, aidi::inst::VisaResource::Kind::TcpSocket);
  EXPECT_EQ(b->supply->resource.port, 5025);
  EXPECT_EQ(b->link->resource.kind, aidi::inst::VisaResource::Kind::Serial);
  EXPECT_EQ(b->link->resource.device, "/dev/ttyACM0");
  EXPECT_EQ(b->flasher->configFiles, std::vector<std::string>{"board/st_nucleo_f4.cfg"});
  EXPECT_EQ(aidi::core::benchFirmware(*b, "mcunet-s", "aidi").filename(),
            "aidi-inference-mcunet-s-aidi-nucleo-f412zg.elf");
}

TEST(BenchFile, MistakesNameFileLineAndKey) {
  auto dir = aidi::inst::TempDir::create("aidi-bench-test-");
  ASSERT_TRUE(dir);
  const auto file = dir->path() / "bench.toml";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {replace(example(), "[limits]", "[limitz]"), ": limitz: unknown key"},
      {replace(example(), "max_voltage = 3.6", "max_voltage = -1"), ":10: limits.max_voltage: must be above 0"},
      // NaN compares false with everything: it must be refused, not pass.
      {replace(example(), "max_voltage = 3.6", "max_voltage = nan"), ":10: limits.max_voltage: must be above 0"},
      {replace(example(), "max_voltage = 3.6", "max_voltage = inf"), ":10: limits.max_voltage: must be above 0"},
      {replace(example(), "max_current = 0.15", "max_current = -nan"), ":11: limits.max_current: must be above 0"},
      {replace(example(), "max_current = 0.15", "max_current = 0"), ":11: limits.max_current: must be above 0"},
      {replace(example(), "max_current = 0.15", "max_current = 100"), ":11: limits.max_current: must be above 0 and at most"},
      {replace(example(), "TCPIP0::192.0.2.7::5025::SOCKET", "GPIB0::7::INSTR"), ":14: supply.resource:"},
      {replace(example(), "channel = 1", "channel = 9"), ":15: supply.channel: must be from 1 to 4 (got 9)"},
      {replace(example(), "channel = 1", "channel = 1.5"), ":15: supply.channel: must be a whole number"},
      {replace(example(), "channel = 1", "channel = \"one\""), ":15: supply.channel: must be a number"},
      {replace(example(), "target = \"nucleo-f412zg\"", "target = 5"), ":6: bench.target: must be a text in quotes"},
      {replace(example(), "target = \"nucleo-f412zg\"", "target = \"esp32\""), ":6: bench.target: unknown board \"esp32\""},
      // Found by the configuration fuzzer: a name longer than a file name may
      // be made the file system throw (ENAMETOOLONG) instead of an error.
      {replace(example(), "target = \"nucleo-f412zg\"", "target = \"" + std::string(300, 'x') + "\""),
       ":6: bench.target: unknown board \"xxxx"},
      {replace(example(), "target = \"nucleo-f412zg\"", "target = \"a\\u001b[2Jb\""),
       ":6: bench.target: unknown board \"a\\x1b[2Jb\""},
      {replace(example(), "kind = \"openocd\"", "kind = \"jlink\""), ":23: flasher.kind: unknown flasher"},
      {replace(example(), "kind = \"openocd\"", "kind = \"openocd-tcl\""),
       ": flasher.resource: openocd-tcl needs the OpenOCD's TCL port (resource = \"tcp:HOST:6666\")"},
      {replace(example(), "kind = \"openocd\"", "kind = \"openocd-tcl\"\nresource = \"serial:/dev/ttyACM0\""),
       ": flasher.resource: the TCL port is a TCP resource (tcp:HOST:6666)"},
      {replace(example(), "baud = 921600", "baud = 12"), ":20: link.baud: must be from 1200 to 4e+06 (got 12)"},
      {replace(example(), "[bench]", "[bench"), ": bad TOML"},
      {replace(example(), "[link]", "[harvester]\nmode = \"sine\"\n[link]"),
       ":19: harvester.mode: unknown harvester mode \"sine\" (switching, voltage-following, current-source)"},
      {replace(example(), "[link]", "[harvester]\nstep_s = 0\n[link]"), ":19: harvester.step_s: must be from"},
      {replace(example(), "[link]", "[meter]\nresource = \"ASRL/dev/ttyACM1::INSTR\"\n[link]"),
       ":18: meter.driver: needs a meter driver, one of ppk2, otii"},
      {replace(example(), "[link]", "[meter]\ndriver = \"keithley\"\nresource = \"ASRL/dev/ttyACM1::INSTR\"\n[link]"),
       ":19: meter.driver: needs a meter driver, one of ppk2, otii (not \"keithley\")"},
      {replace(example(), "[link]", "[meter]\ndriver = \"ppk2\"\n[link]"), ":18: meter.resource: needs a VISA resource"},
  };
  for (const auto& [text, expected] : cases) {
    std::ofstream(file) << text;
    auto b = aidi::core::loadBenchFile(file);
    ASSERT_FALSE(b) << expected;
    EXPECT_NE(b.error().message.find(file.string()), std::string::npos) << b.error().message;
    EXPECT_NE(b.error().message.find(expected), std::string::npos) << b.error().message;
  }
  auto missing = aidi::core::loadBenchFile(dir->path() / "absent.toml");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("absent.toml"), std::string::npos);
}

TEST(BenchFile, FlashingWithoutAFlasherOrAnImageIsRefused) {
  auto b = aidi::core::loadBenchFile(kExample);
  ASSERT_TRUE(b);
  const auto missing = aidi::core::flashBench(*b, "/nonexistent/firmware.elf");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("firmware image not found: /nonexistent/firmware.elf"), std::string::npos);
  b->flasher.reset();
  const auto none = aidi::core::flashBench(*b, "/nonexistent/firmware.elf");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("the bench has no flasher"), std::string::npos);
}
