#include "aidi/core/device_hello.hpp"

#include <gtest/gtest.h>

using aidi::core::parseDeviceHello;

TEST(DeviceHello, ParsesEveryField) {
  auto hello = parseDeviceHello("AIDI hello version=0.1.0 build=e363af7771aefe22 target=mps2-an386 boot=42 sram=cold");
  ASSERT_TRUE(hello) << hello.error().message;
  EXPECT_EQ(hello->version, "0.1.0");
  EXPECT_EQ(hello->build, "e363af7771aefe22");
  EXPECT_EQ(hello->target, "mps2-an386");
  EXPECT_EQ(hello->boot, 42u);
  EXPECT_TRUE(hello->sramCold);
}

TEST(DeviceHello, WarmSram) {
  auto hello = parseDeviceHello("AIDI hello version=1 build=x target=t boot=1 sram=warm");
  ASSERT_TRUE(hello);
  EXPECT_FALSE(hello->sramCold);
}

TEST(DeviceHello, RejectsMalformedLinesNamingTheProblem) {
  struct Case {
    const char* line;
    const char* mentions;
  } cases[] = {
      {"hello there", "not a hello line"},
      {"AIDI hello version=1 build=x target=t sram=cold", "missing field 'boot'"},
      {"AIDI hello version=1 build=x target=t boot=12x sram=cold", "boot is not a number"},
      {"AIDI hello version=1 build=x target=t boot=99999999999 sram=cold", "boot is not a number"},
      {"AIDI hello version=1 build=x target=t boot=1 sram=lukewarm", "sram must be cold or warm"},
      {"AIDI hello version=1 build target=t boot=1 sram=cold", "field without '='"},
  };
  for (const auto& c : cases) {
    auto hello = parseDeviceHello(c.line);
    ASSERT_FALSE(hello) << c.line;
    EXPECT_NE(hello.error().message.find(c.mentions), std::string::npos) << hello.error().message;
  }
}
