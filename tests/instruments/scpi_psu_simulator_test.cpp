#include "aidi/inst/scpi_psu_simulator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "aidi/inst/line_reader.hpp"
#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/tcp_link.hpp"

using namespace aidi::inst;
using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

namespace {
std::unique_ptr<ScpiPsuSimulator> startSim(ScpiPsuSimulatorOptions options = {}) {
  auto sim = ScpiPsuSimulator::start(options);
  EXPECT_TRUE(sim) << sim.error().message;
  return std::move(*sim);
}

// sigrok-cli exits as soon as it has written a setting; the simulator's
// connection thread may apply it a moment later.
template <class Predicate>
bool eventually(Predicate predicate) {
  for (int i = 0; i < 200 && !predicate(); ++i) std::this_thread::sleep_for(10ms);
  return predicate();
}

Status send(Link& link, const std::string& text) {
  return link.write(std::as_bytes(std::span(text.data(), text.size())));
}
}  // namespace

TEST(ScpiPsuSimulator, IdentifiesAsADp832) {
  auto sim = startSim();
  EXPECT_EQ(sim->handle("*IDN?"), Lines{"RIGOL TECHNOLOGIES,DP832,DP8C000000001,00.01.16"});
}

TEST(ScpiPsuSimulator, AcceptsShortAndLongFormsAndChannelSuffixes) {
  auto sim = startSim();
  EXPECT_TRUE(sim->handle(":SOURce2:VOLTage:LEVel:IMMediate 12.5").empty());
  EXPECT_EQ(sim->handle("SOUR2:VOLT?"), Lines{"12.500"});
  EXPECT_TRUE(sim->handle(":INSTrument:NSELect 3;:SOUR:CURR 0.25").empty());
  EXPECT_EQ(sim->handle("sour3:curr?;INST:NSEL?"), (Lines{"0.250", "3"}));
  EXPECT_TRUE(sim->handle(":APPL CH1,5,1").empty());
  EXPECT_EQ(sim->handle(":APPL? CH1"), Lines{"CH1:30V/3A,5.000,1.000"});
  EXPECT_EQ(sim->handle("SYST:ERR?"), Lines{"0,\"No error\""});
}

TEST(ScpiPsuSimulator, MeasuresAResistiveLoadWithCurrentLimiting) {
  auto sim = startSim({.loadOhms = 100.0});
  sim->handle(":APPL CH1,3.3,1;:OUTP CH1,ON");
  EXPECT_EQ(sim->handle(":MEAS:ALL? CH1"), Lines{"3.300,0.033,0.109"});
  EXPECT_EQ(sim->handle(":OUTP:MODE? CH1"), Lines{"CV"});
  sim->handle(":SOUR1:CURR 0.02");
  EXPECT_EQ(sim->handle(":MEAS:VOLT? CH1;:MEAS:CURR? CH1"), (Lines{"2.000", "0.020"}));
  EXPECT_EQ(sim->handle(":OUTP:MODE? CH1"), Lines{"CC"});
  sim->handle(":OUTP CH1,OFF");
  EXPECT_EQ(sim->handle(":MEAS? CH1"), Lines{"0.000"});
}

TEST(ScpiPsuSimulator, OutOfRangeAndUnknownCommandsGoToTheErrorQueue) {
  auto sim = startSim();
  sim->handle(":SOUR3:VOLT 6");  // channel 3 is 5 V
  EXPECT_EQ(sim->channel(3).volts, 0.0) << "a refused setting changes nothing";
  sim->handle(":FROB 1");
  sim->handle(":SOUR1:VOLT lots");
  EXPECT_EQ(sim->handle("SYST:ERR?"), Lines{"-222,\"Data out of range\""});
  EXPECT_EQ(sim->handle("SYST:ERR?"), Lines{"-113,\"Undefined header\""});
  EXPECT_EQ(sim->handle("SYST:ERR?"), Lines{"-224,\"Illegal parameter value\""});
  EXPECT_EQ(sim->handle("SYST:ERR?"), Lines{"0,\"No error\""});
}

TEST(ScpiPsuSimulator, ServesOverTcpOnLoopback) {
  auto sim = startSim();
  TcpLink link("127.0.0.1", sim->port());
  ASSERT_TRUE(link.open());
  LineReader reader(link);
  ASSERT_TRUE(send(link, "*IDN?\n"));
  auto line = reader.readLine(2s);
  ASSERT_TRUE(line) << line.error().message;
  EXPECT_EQ(*line, ScpiPsuSimulator::kIdentity);
}

TEST(ScpiPsuSimulator, InjectedFaultsLookLikeRealInstrumentFailures) {
  {
    auto sim = startSim({.fault = ScpiFault::DropConnection, .faultAfterCommands = 2});
    TcpLink link("127.0.0.1", sim->port());
    ASSERT_TRUE(link.open());
    LineReader reader(link);
    ASSERT_TRUE(send(link, "*IDN?\n"));
    ASSERT_TRUE(reader.readLine(2s));
    ASSERT_TRUE(send(link, "*IDN?\n"));
    auto dropped = reader.readLine(2s);
    ASSERT_FALSE(dropped);
    EXPECT_EQ(dropped.error().code, ErrorCode::Closed) << "the simulated instrument closes its side";
  }
  {
    auto sim = startSim({.fault = ScpiFault::Hang, .faultAfterCommands = 1});
    TcpLink link("127.0.0.1", sim->port());
    ASSERT_TRUE(link.open());
    LineReader reader(link);
    ASSERT_TRUE(send(link, "*IDN?\n"));
    auto hung = reader.readLine(200ms);
    ASSERT_FALSE(hung);
    EXPECT_EQ(hung.error().code, ErrorCode::Timeout);
  }
  {
    auto sim = startSim({.fault = ScpiFault::GarbleReply, .faultAfterCommands = 1});
    TcpLink link("127.0.0.1", sim->port());
    ASSERT_TRUE(link.open());
    LineReader reader(link);
    ASSERT_TRUE(send(link, "MEAS? CH1\n"));
    auto garbled = reader.readLine(2s);
    ASSERT_TRUE(garbled);
    EXPECT_NE(*garbled, "0.000");
  }
}

// A client nobody here wrote: sigrok-cli's scpi-pps driver must take the
// simulator for a Rigol DP832, set and read back channel 1, and acquire.
TEST(ScpiPsuSimulator, SigrokCliDrivesItAsADp832) {
  if (::system("command -v sigrok-cli >/dev/null 2>&1") != 0) GTEST_SKIP() << "sigrok-cli is not installed";
  auto sim = startSim({.loadOhms = 100.0});
  const std::string conn = "scpi-pps:conn=tcp-raw/127.0.0.1/" + std::to_string(sim->port());
  const auto sigrok = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"sigrok-cli", "-d", conn});
    auto child = Subprocess::spawn(args);
    EXPECT_TRUE(child);
    auto code = child->wait(30s);
    EXPECT_TRUE(code && *code == 0) << child->output();
    return child->output();
  };
  EXPECT_NE(sigrok({"--scan"}).find("Rigol DP832"), std::string::npos);
  sigrok({"--channel-group", "1", "--config", "voltage_target=3.3", "--set"});
  EXPECT_TRUE(eventually([&] { return std::abs(sim->channel(1).volts - 3.3) < 1e-9; }));
  EXPECT_NE(sigrok({"--channel-group", "1", "--get", "voltage_target"}).find("3.29999"), std::string::npos);
  sigrok({"--channel-group", "1", "--config", "current_limit=1", "--set"});
  EXPECT_TRUE(eventually([&] { return std::abs(sim->channel(1).amps - 1.0) < 1e-9; }));
  sigrok({"--channel-group", "1", "--config", "enabled=on", "--set"});
  EXPECT_TRUE(eventually([&] { return sim->channel(1).output; }));
  EXPECT_NE(sigrok({"--channel-group", "1", "--get", "enabled"}).find("true"), std::string::npos);
  const std::string samples = sigrok({"--samples", "3", "-O", "csv"});
  EXPECT_NE(samples.find("3.3,0.033"), std::string::npos) << samples;
}
