// Driver for a Qoitech Otii Arc through the Otii automation server (TCP,
// JSON lines, TCPIP0::HOST::PORT::SOCKET): the bench's supply (one channel,
// 1: the Arc's main output) and a meter whose main current and voltage are
// recorded and fetched in chunks. Written from the request names Qoitech's
// public clients send. The server's version is checked on connect (3 and
// newer: the clients dropped Otii 2). Every setting is checked against the
// bench's limits before anything is sent; server errors become messages
// naming the request and the server's reason; on any error, and when the
// driver goes, the main output is switched off.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aidi/inst/line_reader.hpp"
#include "aidi/inst/link.hpp"
#include "aidi/inst/power_supply.hpp"

namespace aidi::inst {

class Meter;

struct OtiiOptions {
  Millis timeout{3000};
  bool identifyOnly = false;
};

class OtiiSupply final : public PowerSupply {
 public:
  [[nodiscard]] static Result<std::unique_ptr<OtiiSupply>> open(const std::string& resource, const SafetyLimits& limits,
                                                                const OtiiOptions& options = {});
  ~OtiiSupply() override;

  [[nodiscard]] Result<Identity> identify() override;
  [[nodiscard]] Status setVoltage(int channel, double volts) override;
  [[nodiscard]] Status setCurrentLimit(int channel, double amps) override;
  [[nodiscard]] Status setOutput(int channel, bool on) override;
  [[nodiscard]] Result<Reading> measure(int channel) override;
  const SafetyLimits& limits() const override { return m_limits; }
  // The Arc's max current from 1 mA (an assumption: Qoitech's public
  // clients do not state the range; the server refuses what it cannot do).
  double minCurrentLimit() const override { return 1e-3; }

  const std::string& serverVersion() const { return m_version; }
  // Seconds between the recording's samples, as its data says (0 before any).
  double sampleIntervalS() const { return m_intervalS; }

  // A recording of the main current and voltage: start, then fetch() the
  // samples recorded since the last fetch (amps and volts, same length), stop.
  [[nodiscard]] Status startRecording();
  [[nodiscard]] Status fetch(std::vector<double>& amps, std::vector<double>& volts);
  [[nodiscard]] Status stopRecording();

 private:
  OtiiSupply(std::unique_ptr<Link> link, const SafetyLimits& limits, const OtiiOptions& options);
  // One request and its response (information and progress messages
  // skipped); a server error is an Error naming `cmd` and its reason.
  [[nodiscard]] Result<nlohmann::json> request(const std::string& cmd, nlohmann::json data = nlohmann::json::object());
  [[nodiscard]] Status checkChannel(int channel) const;
  std::unexpected<Error> failSafe(Error error);

  std::unique_ptr<Link> m_link;
  LineReader m_reader;
  SafetyLimits m_limits;
  OtiiOptions m_options;
  std::string m_version, m_deviceId, m_deviceName;
  int m_projectId = -1, m_recordingId = -1;
  std::size_t m_fetched = 0;
  std::uint64_t m_transId = 0;
  bool m_mainOn = false;
  double m_intervalS = 0;
};

// The Otii as a meter: a second connection to its server that records the
// main current and voltage and fetches them, and never changes a setting
// (the Arc powering the board is the bench's supply, or another supply
// feeds it through the Arc as Qoitech's wiring guide shows).
[[nodiscard]] Result<std::unique_ptr<Meter>> openOtiiMeter(const std::string& resource, const SafetyLimits& limits);

}  // namespace aidi::inst
