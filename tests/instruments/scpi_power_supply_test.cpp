// The SCPI supply driver against the DP832 simulator over a real socket:
// identification, settings with the error queue read after each, safety
// limits enforced on the host, and output off on every failure.
#include "aidi/inst/scpi_power_supply.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "aidi/inst/qemu_board.hpp"
#include "aidi/inst/scpi_psu_simulator.hpp"

using namespace aidi::inst;
using namespace std::chrono_literals;

namespace {
std::string resourceOf(const ScpiPsuSimulator& sim) { return "TCPIP0::127.0.0.1::" + std::to_string(sim.port()) + "::SOCKET"; }
constexpr SafetyLimits kBench{3.6, 0.5};

template <class Predicate>
bool eventually(Predicate p) {
  for (int i = 0; i < 200 && !p(); ++i) std::this_thread::sleep_for(5ms);
  return p();
}
}  // namespace

TEST(VisaResource, ParsesSocketsAndSerialPorts) {
  auto tcp = parseVisaResource("TCPIP0::192.0.2.7::5025::SOCKET");
  ASSERT_TRUE(tcp);
  EXPECT_EQ(tcp->host, "192.0.2.7");
  EXPECT_EQ(tcp->port, 5025);
  auto defaultPort = parseVisaResource("TCPIP::lab-psu::SOCKET");
  ASSERT_TRUE(defaultPort);
  EXPECT_EQ(defaultPort->port, 5025);
  auto serial = parseVisaResource("ASRL/dev/ttyUSB0::INSTR");
  ASSERT_TRUE(serial);
  EXPECT_EQ(serial->kind, VisaResource::Kind::Serial);
  EXPECT_EQ(serial->device, "/dev/ttyUSB0");
  EXPECT_EQ(parseVisaResource("ASRL3::INSTR")->device, "/dev/ttyS2");
  // The short forms: a ser2net port on a lab host, a local serial port.
  auto remote = parseVisaResource("tcp:lab-host-2:3001");
  ASSERT_TRUE(remote);
  EXPECT_EQ(remote->kind, VisaResource::Kind::TcpSocket);
  EXPECT_EQ(remote->host, "lab-host-2");
  EXPECT_EQ(remote->port, 3001);
  EXPECT_EQ(parseVisaResource("tcp:[::1]:3001")->host, "::1");
  auto local = parseVisaResource("serial:/dev/ttyACM0");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->kind, VisaResource::Kind::Serial);
  EXPECT_EQ(local->device, "/dev/ttyACM0");
}

TEST(VisaResource, BadResourcesSayWhatIsWrong) {
  EXPECT_EQ(parseVisaResource("GPIB0::5::INSTR").error().message,
            "resource \"GPIB0::5::INSTR\": unknown interface (TCPIP...::SOCKET, ASRL...::INSTR, tcp:HOST:PORT and "
            "serial:DEVICE are supported)");
  EXPECT_EQ(parseVisaResource("tcp:host").error().message, "resource \"tcp:host\": expected tcp:HOST:PORT");
  EXPECT_EQ(parseVisaResource("tcp:host:0").error().message,
            "resource \"tcp:host:0\": port \"0\" is not a number from 1 to 65535");
  EXPECT_EQ(parseVisaResource("serial:").error().message, "resource \"serial:\": no serial device");
  EXPECT_EQ(parseVisaResource("TCPIP0::h::99999::SOCKET").error().message,
            "resource \"TCPIP0::h::99999::SOCKET\": port \"99999\" is not a number from 1 to 65535");
  EXPECT_EQ(parseVisaResource("TCPIP0::h::5025::INSTR").error().message,
            "resource \"TCPIP0::h::5025::INSTR\": expected TCPIP0::HOST::PORT::SOCKET (only raw SCPI sockets are supported)");
}

TEST(ScpiDialects, FamiliesDifferOnlyInData) {
  const auto find = [](const std::string& family) {
    for (const auto& d : scpiDialects())
      if (d.family == family) return d;
    ADD_FAILURE() << family;
    return scpiDialects().front();
  };
  EXPECT_EQ(formatScpi(find("rigol-dp800").setVoltage, 2, 3.3), ":SOUR2:VOLT 3.3000");
  EXPECT_EQ(formatScpi(find("keysight-e36300").setVoltage, 1, 3.3), "VOLT 3.3000,(@1)");
  EXPECT_EQ(formatScpi(find("siglent-spd3303x").outputOn, 2), "OUTP CH2,ON");
}

TEST(ScpiPowerSupply, IdentifiesSetsAndMeasures) {
  auto sim = ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench);
  ASSERT_TRUE(psu) << psu.error().message;
  auto id = (*psu)->identify();
  ASSERT_TRUE(id);
  EXPECT_EQ(id->family, "rigol-dp800");
  EXPECT_EQ(id->model, "DP832");
  ASSERT_TRUE((*psu)->setVoltage(1, 3.3));
  ASSERT_TRUE((*psu)->setCurrentLimit(1, 0.5));
  ASSERT_TRUE((*psu)->setOutput(1, true));
  auto reading = (*psu)->measure(1);
  ASSERT_TRUE(reading) << reading.error().message;
  EXPECT_NEAR(reading->volts, 3.3, 1e-9);
  EXPECT_NEAR(reading->amps, 0.033, 1e-9);
}

TEST(ScpiPowerSupply, SettingsAboveTheBenchLimitsAreRefusedOnTheHost) {
  auto sim = ScpiPsuSimulator::start();
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench);
  ASSERT_TRUE(psu);
  ASSERT_TRUE((*psu)->setVoltage(1, 3.0));
  ASSERT_TRUE((*psu)->setOutput(1, true));
  auto refused = (*psu)->setVoltage(1, 5.0);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::Limit);
  EXPECT_NE(refused.error().message.find("refused 5.000000 V on channel 1 (bench limit 3.600000 V"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE((*psu)->setCurrentLimit(1, 2.0));
  EXPECT_FALSE((*psu)->setVoltage(3, 3.0 + 2.5)) << "channel 3 is rated 5 V";
  EXPECT_FALSE((*psu)->setVoltage(4, 1.0)) << "a DP832 has three channels";
  EXPECT_TRUE(eventually([&] { return !(*sim)->channel(1).output; })) << "output off after a refusal";
  EXPECT_NEAR((*sim)->channel(1).volts, 3.0, 1e-9) << "the refused value never reached the supply";
}

// NaN compares false with everything: a limit of NaN once let any setting
// through. Non-finite, zero, negative limits and limits above the rating are
// refused before anything is sent; so are non-finite settings.
TEST(ScpiPowerSupply, LimitsAndSettingsMustBeFiniteAndInRange) {
  auto sim = ScpiPsuSimulator::start();
  ASSERT_TRUE(sim);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (const SafetyLimits bad : {SafetyLimits{nan, 0.5}, SafetyLimits{3.6, nan}, SafetyLimits{inf, 0.5},
                                 SafetyLimits{3.6, -inf}, SafetyLimits{0, 0.5}, SafetyLimits{-3, 0.5},
                                 SafetyLimits{45, 0.5}, SafetyLimits{3.6, 4}}) {
    const auto before = (*sim)->commandsReceived();
    auto psu = ScpiPowerSupply::open(resourceOf(**sim), bad);
    ASSERT_FALSE(psu) << bad.maxVolts << " V, " << bad.maxAmps << " A";
    EXPECT_EQ(psu.error().code, ErrorCode::Limit) << psu.error().message;
    EXPECT_NE(psu.error().message.find("safety limit"), std::string::npos) << psu.error().message;
    if (std::isfinite(bad.maxVolts) && bad.maxVolts > 0 && std::isfinite(bad.maxAmps) && bad.maxAmps > 0) continue;
    EXPECT_EQ((*sim)->commandsReceived(), before) << "refused before anything was sent";
  }
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench);
  ASSERT_TRUE(psu);
  for (const double bad : {nan, inf, -inf, -0.5}) {
    EXPECT_FALSE((*psu)->setVoltage(1, bad)) << bad;
    EXPECT_FALSE((*psu)->setCurrentLimit(1, bad)) << bad;
  }
  EXPECT_NEAR((*sim)->channel(1).volts, 0.0, 1e-9);
}

TEST(ScpiPowerSupply, AStaleErrorInTheQueueIsClearedAtOpen) {
  auto sim = ScpiPsuSimulator::start();
  ASSERT_TRUE(sim);
  (void)(*sim)->handle("NO:SUCH:COMMAND 1");  // leaves an error in the queue, as an earlier session might
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench);
  ASSERT_TRUE(psu);
  EXPECT_TRUE((*psu)->setVoltage(1, 3.0)) << "the earlier session's error is not this setting's";
}

TEST(ScpiPowerSupply, IdentifyOnlyNeedsNoLimitsAndSendsNoSetting) {
  auto sim = ScpiPsuSimulator::start();
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), {}, ScpiOptions{.identifyOnly = true});
  ASSERT_TRUE(psu) << psu.error().message;
  EXPECT_FALSE((*psu)->setVoltage(1, 1.0));
  EXPECT_FALSE((*psu)->setOutput(1, true));
  EXPECT_TRUE((*psu)->setOutput(1, false));
  EXPECT_FALSE((*sim)->channel(1).output);
}

TEST(ScpiPowerSupply, AnInstrumentErrorSwitchesTheOutputOff) {
  // Commands: *IDN?, VOLT, SYST:ERR?, OUTP ON, SYST:ERR? — the 5th reply is garbage.
  auto sim = ScpiPsuSimulator::start({.fault = ScpiFault::GarbleReply, .faultAfterCommands = 5});
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench);
  ASSERT_TRUE(psu);
  ASSERT_TRUE((*psu)->setVoltage(1, 3.0));
  auto failed = (*psu)->setOutput(1, true);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("the instrument reports"), std::string::npos) << failed.error().message;
  EXPECT_TRUE(eventually([&] { return !(*sim)->channel(1).output; }));
}

TEST(ScpiPowerSupply, AGarbledMeasurementIsAnErrorNotAZero) {
  auto sim = ScpiPsuSimulator::start({.fault = ScpiFault::GarbleReply, .faultAfterCommands = 2});
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench);
  ASSERT_TRUE(psu);
  auto reading = (*psu)->measure(1);
  ASSERT_FALSE(reading);
  EXPECT_EQ(reading.error().code, ErrorCode::Protocol);
  EXPECT_NE(reading.error().message.find("unparseable reply"), std::string::npos);
}

TEST(ScpiPowerSupply, ASupplyThatStopsAnsweringTimesOutNamingTheCommand) {
  auto sim = ScpiPsuSimulator::start({.fault = ScpiFault::Hang, .faultAfterCommands = 2});
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench, 300ms);
  ASSERT_TRUE(psu);
  auto failed = (*psu)->setVoltage(1, 1.0);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::Timeout);
  EXPECT_NE(failed.error().message.find("\":SYST:ERR?\""), std::string::npos) << failed.error().message;
}

// An instrument that drops the connection once (rebooted, network blip): the
// driver reopens it, sends the command again, and the setting lands.
TEST(ScpiPowerSupply, ADroppedConnectionIsReopenedOnce) {
  auto sim = ScpiPsuSimulator::start({.fault = ScpiFault::DropConnection, .faultAfterCommands = 2, .faultTimes = 1});
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench);
  ASSERT_TRUE(psu);
  ASSERT_TRUE((*psu)->setVoltage(1, 3.0));
  EXPECT_EQ((*psu)->reconnections(), 1);
  EXPECT_DOUBLE_EQ((*sim)->channel(1).volts, 3.0);
  auto reading = (*psu)->measure(1);
  EXPECT_TRUE(reading) << reading.error().message;
}

// One that keeps dropping it: after the reconnect, a clear error.
TEST(ScpiPowerSupply, ADroppedConnectionIsAClearError) {
  auto sim = ScpiPsuSimulator::start({.fault = ScpiFault::DropConnection, .faultAfterCommands = 2});
  ASSERT_TRUE(sim);
  auto psu = ScpiPowerSupply::open(resourceOf(**sim), kBench);
  ASSERT_TRUE(psu);
  auto reading = (*psu)->measure(1);
  ASSERT_FALSE(reading);
  EXPECT_EQ(reading.error().code, ErrorCode::Closed);
  EXPECT_NE(reading.error().message.find("rigol-dp800"), std::string::npos) << reading.error().message;
}

TEST(ScpiPowerSupply, NoSupplyAtTheAddressIsAClearError) {
  auto port = reserveLoopbackPort(0);
  ASSERT_TRUE(port);
  auto psu = ScpiPowerSupply::open("TCPIP0::127.0.0.1::" + std::to_string(*port) + "::SOCKET", kBench, 200ms);
  ASSERT_FALSE(psu);
  EXPECT_NE(psu.error().message.find("cannot connect"), std::string::npos) << psu.error().message;
}

// SCPI over a serial port goes through libserialport; without the port, a
// clear error naming it (libserialport cannot open pseudo-terminals, so the
// happy path is for a bench with a real USB-serial supply).
TEST(ScpiPowerSupply, AMissingSerialPortIsNamed) {
  auto psu = ScpiPowerSupply::open("ASRL/dev/ttyAIDI-missing::INSTR", kBench);
  ASSERT_FALSE(psu);
  EXPECT_EQ(psu.error().code, ErrorCode::NotFound);
  EXPECT_NE(psu.error().message.find("/dev/ttyAIDI-missing"), std::string::npos) << psu.error().message;
}
