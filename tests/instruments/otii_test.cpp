// The Otii Arc driver against the virtual Otii server on loopback TCP:
// version check, device and project, settings within the bench's limits,
// measurements, a recording fetched in chunks, server errors as messages,
// faults as clear errors, the output off when the driver goes.
#include <gtest/gtest.h>

#include <thread>

#include "aidi/inst/otii_simulator.hpp"
#include "aidi/inst/otii_supply.hpp"
#include "aidi/inst/registry.hpp"

using namespace aidi;
using namespace aidi::inst;

namespace {

std::string resourceOf(const OtiiSimulator& sim) { return "TCPIP0::127.0.0.1::" + std::to_string(sim.port()) + "::SOCKET"; }
SafetyLimits benchLimits() { return SafetyLimits{.maxVolts = 3.6, .maxAmps = 0.5}; }

template <class Pred>
bool eventually(Pred pred) {
  for (int k = 0; k < 200; ++k, std::this_thread::sleep_for(std::chrono::milliseconds(5)))
    if (pred()) return true;
  return pred();
}

}  // namespace

TEST(OtiiDriver, SuppliesWithinLimitsMeasuresAndRecords) {
  auto sim = OtiiSimulator::start({.loadOhms = 1500.0});
  ASSERT_TRUE(sim);
  {
    auto otii = OtiiSupply::open(resourceOf(**sim), benchLimits());
    ASSERT_TRUE(otii) << otii.error().message;
    EXPECT_EQ((*otii)->serverVersion(), "3.5.5");
    auto id = (*otii)->identify();
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->vendor, "Qoitech");
    EXPECT_EQ(id->serial, OtiiSimulator::kDeviceId);

    const auto before = (*sim)->state().requests;
    EXPECT_EQ((*otii)->setVoltage(1, 4.0).error().code, ErrorCode::Limit) << "above the bench's 3.6 V";
    EXPECT_EQ((*otii)->setCurrentLimit(1, 0.8).error().code, ErrorCode::Limit) << "above the bench's 0.5 A";
    EXPECT_EQ((*otii)->setVoltage(1, std::nan("")).error().code, ErrorCode::Limit);
    EXPECT_EQ((*otii)->setVoltage(2, 3.0).error().code, ErrorCode::Unsupported);
    EXPECT_EQ((*sim)->state().requests, before) << "nothing sent";

    ASSERT_TRUE((*otii)->setVoltage(1, 3.0));
    ASSERT_TRUE((*otii)->setCurrentLimit(1, 0.1));
    ASSERT_TRUE((*otii)->setOutput(1, true));
    EXPECT_TRUE((*sim)->state().mainOn);
    auto reading = (*otii)->measure(1);
    ASSERT_TRUE(reading) << reading.error().message;
    EXPECT_NEAR(reading->amps, 2e-3, 1e-9);
    EXPECT_NEAR(reading->volts, 3.0, 1e-9);

    ASSERT_TRUE((*otii)->startRecording());
    std::vector<double> amps, volts;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE((*otii)->fetch(amps, volts));
    const std::size_t first = amps.size();
    EXPECT_GT(first, 400u) << "4 kS/s for 0.3 s";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE((*otii)->fetch(amps, volts));
    EXPECT_GT(amps.size(), first) << "only what is new is fetched, after what was";
    EXPECT_EQ(amps.size(), volts.size());
    for (double a : amps) ASSERT_NEAR(a, 2e-3, 1e-9);
    ASSERT_TRUE((*otii)->stopRecording());
  }
  EXPECT_TRUE(eventually([&] { return !(*sim)->state().mainOn; })) << "the output goes off with the driver";
}

TEST(OtiiDriver, ServerErrorsNameTheRequestAndTheReason) {
  auto sim = OtiiSimulator::start();
  ASSERT_TRUE(sim);
  // The bench allows 5 V; the Arc's main output does not (0.5-4.55 V).
  auto otii = OtiiSupply::open(resourceOf(**sim), SafetyLimits{.maxVolts = 5.0, .maxAmps = 0.5});
  ASSERT_TRUE(otii) << otii.error().message;
  auto refused = (*otii)->setVoltage(1, 4.9);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("arc_set_main_voltage"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("0.5-4.55 V"), std::string::npos) << refused.error().message;
  EXPECT_FALSE((*sim)->state().mainOn);
}

TEST(OtiiDriver, FaultsAndAnOldServerAreClearErrors) {
  auto old = OtiiSimulator::start({.version = "2.8.4"});
  ASSERT_TRUE(old);
  auto tooOld = OtiiSupply::open(resourceOf(**old), benchLimits());
  ASSERT_FALSE(tooOld);
  EXPECT_EQ(tooOld.error().code, ErrorCode::Unsupported);
  EXPECT_NE(tooOld.error().message.find("2.8.4"), std::string::npos) << tooOld.error().message;

  auto dropping = OtiiSimulator::start({.fault = OtiiFault::DropConnection, .faultAfterRequests = 6});
  ASSERT_TRUE(dropping);
  auto otii = OtiiSupply::open(resourceOf(**dropping), benchLimits());
  ASSERT_TRUE(otii) << otii.error().message;
  Status status;
  for (int k = 0; k < 5 && status; ++k) status = (*otii)->setVoltage(1, 3.0);
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message.find("Otii"), std::string::npos) << status.error().message;

  auto garbling = OtiiSimulator::start({.fault = OtiiFault::GarbleReply, .faultAfterRequests = 6});
  ASSERT_TRUE(garbling);
  auto garbled = OtiiSupply::open(resourceOf(**garbling), benchLimits());
  ASSERT_TRUE(garbled) << garbled.error().message;
  status = {};
  for (int k = 0; k < 5 && status; ++k) status = (*garbled)->setVoltage(1, 3.0);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::Protocol) << status.error().message;

  auto silent = OtiiSimulator::start({.fault = OtiiFault::NoReply, .faultAfterRequests = 6});
  ASSERT_TRUE(silent);
  auto mute = OtiiSupply::open(resourceOf(**silent), benchLimits(), OtiiOptions{.timeout = Millis{300}});
  ASSERT_TRUE(mute) << mute.error().message;
  status = {};
  for (int k = 0; k < 5 && status; ++k) status = (*mute)->setVoltage(1, 3.0);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::Timeout) << status.error().message;

  auto nobody = OtiiSupply::open("TCPIP0::127.0.0.1::1::SOCKET", benchLimits(), OtiiOptions{.timeout = Millis{300}});
  ASSERT_FALSE(nobody);
  auto serial = OtiiSupply::open("ASRL/dev/ttyUSB0::INSTR", benchLimits());
  ASSERT_FALSE(serial);
  EXPECT_EQ(serial.error().code, ErrorCode::Unsupported);
}

TEST(OtiiDriver, TheRegistryOpensItByName) {
  auto sim = OtiiSimulator::start();
  ASSERT_TRUE(sim);
  auto psu = openPowerSupply(resourceOf(**sim), benchLimits(), SupplyOptions{.driver = "otii"});
  ASSERT_TRUE(psu) << psu.error().message;
  auto id = (*psu)->identify();
  ASSERT_TRUE(id);
  EXPECT_EQ(id->family, "otii");
}

// The server's messages, one at a time.
TEST(OtiiSimulatorMessages, RepliesCarryTheTransIdAndErrorsTheirReason) {
  auto sim = OtiiSimulator::start();
  ASSERT_TRUE(sim);
  const auto reply = nlohmann::json::parse((*sim)->handle(R"({"type":"request","cmd":"otii_get_devices","trans_id":"7"})"));
  EXPECT_EQ(reply["trans_id"], "7");
  EXPECT_EQ(reply["data"]["devices"][0]["type"], "Arc");
  const auto bad = nlohmann::json::parse((*sim)->handle("not json"));
  EXPECT_EQ(bad["type"], "error");
  const auto unknown = nlohmann::json::parse((*sim)->handle(R"({"type":"request","cmd":"arc_fly","trans_id":"8","data":{"device_id":"ARC-0042"}})"));
  EXPECT_EQ(unknown["errorcode"], "Unknown command");
}
