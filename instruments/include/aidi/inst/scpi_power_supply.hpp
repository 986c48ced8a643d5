// SCPI power supplies of several families through one code path: the
// differences (command syntax, channels, ranges, error-queue format) are data
// in a dialect table, chosen from the *IDN? reply (libsigrok's scpi-pps
// profiles work the same way) or named by the bench file. Over a raw TCP
// socket (port 5025) or a serial port, line-terminated. After every setting
// the driver reads the error queue; any error, timeout or garbled reply
// switches the output off. A dropped TCP connection is reopened once and the
// command sent again (settings are idempotent) before that counts as a failure.
#pragma once

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "aidi/inst/line_reader.hpp"
#include "aidi/inst/power_supply.hpp"
#include "aidi/inst/tcp_link.hpp"
#include "aidi/inst/visa_resource.hpp"

namespace aidi::inst {

// One family's commands; "{ch}" is the channel number, "{v}" the value.
struct ScpiDialect {
  std::string family;
  std::string idnPattern;  // ECMAScript regex over "vendor,model"
  int channels;
  double maxVolts[3];
  double maxAmps[3];
  std::string setVoltage, setCurrent, outputOn, outputOff, measureVolts, measureAmps;
  std::string errorQuery;    // empty: the family has no error queue worth reading
  std::string noErrorRegex;  // a reply that means "no error"
  // Clears a stale error queue at session start; empty: the family rejects
  // *CLS, so the queue is read until it says "no error" instead.
  std::string clearStatus;
};

// The known families: Rigol DP800, Keysight E36300, Siglent SPD3303X.
const std::vector<ScpiDialect>& scpiDialects();

struct ScpiOptions {
  Millis timeout{2000};
  std::string family;  // a dialect's family to use whatever *IDN? says; empty: chosen from *IDN?
  int baud = 9600;     // serial resources
  int reconnects = 1;  // times a dropped TCP connection is reopened per command
  // Identify and measure only (`aidi instruments probe`): no limits are
  // needed, and every setting but output off is refused.
  bool identifyOnly = false;
};

class ScpiPowerSupply final : public PowerSupply {
 public:
  // Connects to `resource` (TCPIP0::HOST::PORT::SOCKET or ASRL/dev/...::INSTR)
  // and identifies the supply. Errors: the resource, the connection, or an
  // *IDN? no dialect matches (or an unknown forced family).
  [[nodiscard]] static Result<std::unique_ptr<ScpiPowerSupply>> open(const std::string& resource, SafetyLimits limits,
                                                                     ScpiOptions options = {});
  [[nodiscard]] static Result<std::unique_ptr<ScpiPowerSupply>> open(const std::string& resource, SafetyLimits limits,
                                                                     Millis timeout) {
    return open(resource, limits, ScpiOptions{.timeout = timeout});
  }
  ~ScpiPowerSupply() override;

  Result<Identity> identify() override { return m_identity; }
  Status setVoltage(int channel, double volts) override;
  Status setCurrentLimit(int channel, double amps) override;
  Status setOutput(int channel, bool on) override;
  Result<Reading> measure(int channel) override;
  const SafetyLimits& limits() const override { return m_limits; }
  const ScpiDialect& dialect() const { return *m_dialect; }
  int reconnections() const { return m_reconnections; }

 private:
  ScpiPowerSupply(VisaResource resource, SafetyLimits limits, ScpiOptions options);
  [[nodiscard]] Result<std::string> query(const std::string& command);
  [[nodiscard]] Status send(const std::string& command);
  [[nodiscard]] Status sendOnce(const std::string& command);
  [[nodiscard]] Status reconnect();
  // Sends a setting, then reads the error queue; any failure turns outputs off.
  [[nodiscard]] Status set(const std::string& command);
  [[nodiscard]] Result<double> queryNumber(const std::string& command);
  [[nodiscard]] Status checkChannel(int channel) const;
  [[nodiscard]] Status setWithinLimits(int channel, double value, double benchLimit, const double* ratings,
                                       const char* unit, const std::string& pattern);
  std::unexpected<Error> failSafe(Error error);
  std::string describe(const std::string& command) const;

  VisaResource m_resource;
  SafetyLimits m_limits;
  ScpiOptions m_options;
  Millis m_timeout;
  std::unique_ptr<Link> m_link;
  LineReader m_reader;
  int m_reconnections = 0;
  const ScpiDialect* m_dialect = nullptr;
  std::regex m_noError;  // the dialect's noErrorRegex, compiled once
  Identity m_identity;
};

// "{ch}" and "{v}" substituted into a dialect template.
std::string formatScpi(const std::string& pattern, int channel, double value = 0);

}  // namespace aidi::inst
