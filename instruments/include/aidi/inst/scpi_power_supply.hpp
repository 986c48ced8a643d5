// SCPI power supplies of several families through one code path: the
// differences (command syntax, channels, ranges, error-queue format) are data
// in a dialect table, chosen from the *IDN? reply (libsigrok's scpi-pps
// profiles work the same way). After every setting the driver reads the
// error queue; any error, timeout or garbled reply switches the output off.
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
};

// The known families: Rigol DP800, Keysight E36300, Siglent SPD3303X.
const std::vector<ScpiDialect>& scpiDialects();

class ScpiPowerSupply final : public PowerSupply {
 public:
  // Connects to `resource` (TCP socket resources) and identifies the supply.
  // Errors: the resource, the connection, or an *IDN? no dialect matches.
  [[nodiscard]] static Result<std::unique_ptr<ScpiPowerSupply>> open(const std::string& resource, SafetyLimits limits,
                                                                     Millis timeout = Millis{2000});
  ~ScpiPowerSupply() override;

  Result<Identity> identify() override { return m_identity; }
  Status setVoltage(int channel, double volts) override;
  Status setCurrentLimit(int channel, double amps) override;
  Status setOutput(int channel, bool on) override;
  Result<Reading> measure(int channel) override;
  const SafetyLimits& limits() const override { return m_limits; }
  const ScpiDialect& dialect() const { return *m_dialect; }

 private:
  ScpiPowerSupply(VisaResource resource, SafetyLimits limits, Millis timeout);
  [[nodiscard]] Result<std::string> query(const std::string& command);
  [[nodiscard]] Status send(const std::string& command);
  // Sends a setting, then reads the error queue; any failure turns outputs off.
  [[nodiscard]] Status set(const std::string& command);
  [[nodiscard]] Result<double> queryNumber(const std::string& command);
  [[nodiscard]] Status checkChannel(int channel) const;
  std::unexpected<Error> failSafe(Error error);
  std::string describe(const std::string& command) const;

  VisaResource m_resource;
  SafetyLimits m_limits;
  Millis m_timeout;
  TcpLink m_link;
  LineReader m_reader;
  const ScpiDialect* m_dialect = nullptr;
  std::regex m_noError;  // the dialect's noErrorRegex, compiled once
  Identity m_identity;
};

// "{ch}" and "{v}" substituted into a dialect template.
std::string formatScpi(const std::string& pattern, int channel, double value = 0);

}  // namespace aidi::inst
