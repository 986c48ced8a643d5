#include "aidi/inst/scpi_power_supply.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "aidi/inst/serial_link.hpp"

namespace aidi::inst {

const std::vector<ScpiDialect>& scpiDialects() {
  // Command syntax from each family's programming guide; ranges of the
  // three-channel models (DP832, E36313A, SPD3303X).
  static const std::vector<ScpiDialect> dialects = {
      {"rigol-dp800", "^RIGOL TECHNOLOGIES,DP8[0-9]{2}", 3, {30, 30, 5}, {3, 3, 3},
       ":SOUR{ch}:VOLT {v}", ":SOUR{ch}:CURR {v}", ":OUTP CH{ch},ON", ":OUTP CH{ch},OFF",
       ":MEAS:VOLT? CH{ch}", ":MEAS:CURR? CH{ch}", ":SYST:ERR?", "^\\+?0,", "*CLS"},
      {"keysight-e36300", "^(Keysight|Agilent) Technologies,E363[0-9]{2}", 3, {6, 25, 25}, {10, 1, 1},
       "VOLT {v},(@{ch})", "CURR {v},(@{ch})", "OUTP ON,(@{ch})", "OUTP OFF,(@{ch})", "MEAS:VOLT? (@{ch})",
       "MEAS:CURR? (@{ch})", "SYST:ERR?", "^\\+?0,", "*CLS"},
      // The SPD3303X rejects *RST/*CLS/*OPC? and formats its error queue as "0  No Error".
      {"siglent-spd3303x", "^Siglent Technologies,SPD3303X", 2, {32, 32, 0}, {3.2, 3.2, 0},
       "CH{ch}:VOLT {v}", "CH{ch}:CURR {v}", "OUTP CH{ch},ON", "OUTP CH{ch},OFF", "MEAS:VOLT? CH{ch}",
       "MEAS:CURR? CH{ch}", "SYST:ERR?", "^0\\s", ""},
  };
  return dialects;
}

std::string formatScpi(const std::string& pattern, int channel, double value) {
  char number[32];
  std::snprintf(number, sizeof number, "%.4f", value);
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.compare(i, 4, "{ch}") == 0) {
      out += std::to_string(channel);
      i += 3;
    } else if (pattern.compare(i, 3, "{v}") == 0) {
      out += number;
      i += 2;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

namespace {
std::unique_ptr<Link> linkFor(const VisaResource& r, const ScpiOptions& o) {
  if (r.kind == VisaResource::Kind::Serial) return std::make_unique<SerialLink>(r.device, o.baud);
  return std::make_unique<TcpLink>(r.host, r.port, o.timeout);
}
}  // namespace

ScpiPowerSupply::ScpiPowerSupply(VisaResource resource, SafetyLimits limits, ScpiOptions options)
    : m_resource(std::move(resource)),
      m_limits(limits),
      m_options(std::move(options)),
      m_timeout(m_options.timeout),
      m_link(linkFor(m_resource, m_options)),
      m_reader(*m_link) {}

// Closing the connection leaves the supply as it is: `aidi psu --output on`
// must stay on. Failures switch outputs off (failSafe); a campaign ends with
// an explicit output off.
ScpiPowerSupply::~ScpiPowerSupply() = default;

Result<std::unique_ptr<ScpiPowerSupply>> ScpiPowerSupply::open(const std::string& text, SafetyLimits limits,
                                                               ScpiOptions options) {
  // Limits are checked before anything is opened, let alone sent.
  if (options.identifyOnly) limits = {};
  else if (auto ok = checkSafetyLimits(limits); !ok) return fail(ok.error().code, text + ": " + ok.error().message);
  auto resource = parseVisaResource(text);
  if (!resource) return std::unexpected(resource.error());
  std::unique_ptr<ScpiPowerSupply> psu(new ScpiPowerSupply(*resource, limits, std::move(options)));
  if (auto ok = psu->m_link->open(); !ok) return std::unexpected(ok.error());
  auto idn = psu->query("*IDN?");
  if (!idn) return std::unexpected(idn.error());
  for (const auto& d : scpiDialects()) {
    const bool chosen = psu->m_options.family.empty() ? std::regex_search(*idn, std::regex(d.idnPattern, std::regex::icase))
                                                       : d.family == psu->m_options.family;
    if (chosen) {
      psu->m_dialect = &d;
      psu->m_noError = std::regex(d.noErrorRegex);
      break;
    }
  }
  if (!psu->m_dialect && !psu->m_options.family.empty())
    return fail(ErrorCode::Unsupported, text + ": unknown SCPI family \"" + psu->m_options.family + "\"");
  if (!psu->m_dialect)
    return fail(ErrorCode::Unsupported, text + ": unknown instrument \"" + *idn + "\" (no SCPI dialect matches its *IDN?)");
  std::vector<std::string> f;
  std::size_t start = 0;
  for (std::size_t at; (at = idn->find(',', start)) != std::string::npos; start = at + 1) f.push_back(idn->substr(start, at - start));
  f.push_back(idn->substr(start));
  f.resize(4);
  psu->m_identity = {f[0], f[1], f[2], f[3], psu->m_dialect->family};
  const auto& d = *psu->m_dialect;
  const double ratedVolts = *std::max_element(d.maxVolts, d.maxVolts + d.channels);
  const double ratedAmps = *std::max_element(d.maxAmps, d.maxAmps + d.channels);
  if (auto ok = psu->m_options.identifyOnly ? Status{} : checkSafetyLimits(limits, ratedVolts, ratedAmps); !ok)
    return fail(ok.error().code, text + " (" + psu->m_identity.model + "): " + ok.error().message);
  // A stale error left in the queue by an earlier session would fail the
  // first setting's error check: clear the status first, or drain the queue
  // where the family rejects *CLS.
  if (!d.clearStatus.empty()) {
    if (auto ok = psu->send(d.clearStatus); !ok)
      return fail(ok.error().code, psu->describe(d.clearStatus) + ": " + ok.error().message);
  } else if (!d.errorQuery.empty()) {
    constexpr int kMaxQueuedErrors = 32;
    for (int i = 0;; ++i) {
      auto reply = psu->query(d.errorQuery);
      if (!reply) return std::unexpected(reply.error());
      if (std::regex_search(*reply, psu->m_noError)) break;
      if (i == kMaxQueuedErrors)
        return fail(ErrorCode::Protocol, psu->describe(d.errorQuery) + ": the error queue does not empty");
    }
  }
  return psu;
}

std::string ScpiPowerSupply::describe(const std::string& command) const {
  return m_resource.text + " (" + (m_dialect ? m_dialect->family : std::string("unidentified")) + "): \"" + command + "\"";
}

Status ScpiPowerSupply::sendOnce(const std::string& command) {
  const std::string line = command + "\n";
  return m_link->write(std::as_bytes(std::span(line.data(), line.size())));
}

Status ScpiPowerSupply::reconnect() {
  m_link->close();
  m_reader.reset();
  ++m_reconnections;
  return m_link->open();
}

// A dropped TCP connection (instrument rebooted, network blip) is reopened
// and the command sent again; serial ports do not drop that way.
Status ScpiPowerSupply::send(const std::string& command) {
  auto ok = sendOnce(command);
  for (int i = 0; !ok && ok.error().code == ErrorCode::Io && i < m_options.reconnects &&
                  m_resource.kind == VisaResource::Kind::TcpSocket;
       ++i) {
    if (auto reopened = reconnect(); !reopened) return reopened;
    ok = sendOnce(command);
  }
  return ok;
}

Result<std::string> ScpiPowerSupply::query(const std::string& command) {
  for (int attempt = 0;; ++attempt) {
    if (auto ok = send(command); !ok) return fail(ok.error().code, describe(command) + ": " + ok.error().message);
    auto reply = m_reader.readLine(m_timeout);
    if (reply) return *reply;
    // The peer closed while we waited: reopen and ask again.
    const bool dropped = (reply.error().code == ErrorCode::Io || reply.error().code == ErrorCode::Closed) &&
                         m_resource.kind == VisaResource::Kind::TcpSocket;
    if (!dropped || attempt >= m_options.reconnects)
      return fail(reply.error().code, describe(command) + ": " + reply.error().message);
    if (auto reopened = reconnect(); !reopened)
      return fail(reopened.error().code, describe(command) + ": " + reopened.error().message);
  }
}

std::unexpected<Error> ScpiPowerSupply::failSafe(Error error) {
  if (m_dialect)
    for (int ch = 1; ch <= m_dialect->channels; ++ch) (void)send(formatScpi(m_dialect->outputOff, ch));
  return std::unexpected(std::move(error));
}

Status ScpiPowerSupply::set(const std::string& command) {
  if (auto ok = send(command); !ok) return failSafe({ok.error().code, describe(command) + ": " + ok.error().message});
  if (m_dialect->errorQuery.empty()) return {};
  const int before = m_reconnections;
  auto error = query(m_dialect->errorQuery);
  if (error && m_reconnections != before) {
    // The connection dropped after the setting was written: whether the
    // instrument executed it is unknown, so send it again on the new one.
    if (auto ok = send(command); !ok) return failSafe({ok.error().code, describe(command) + ": " + ok.error().message});
    error = query(m_dialect->errorQuery);
  }
  if (!error) return failSafe(error.error());
  if (!std::regex_search(*error, m_noError))
    return failSafe({ErrorCode::Protocol, describe(command) + ": the instrument reports " + *error});
  return {};
}

Result<double> ScpiPowerSupply::queryNumber(const std::string& command) {
  auto reply = query(command);
  if (!reply) return failSafe(reply.error());
  double value = 0;
  // NR3 replies may carry a sign ("+3.29900000E+00"); from_chars takes no '+'.
  const char* first = reply->data() + (!reply->empty() && reply->front() == '+' ? 1 : 0);
  const auto [p, ec] = std::from_chars(first, reply->data() + reply->size(), value);
  if (ec != std::errc{} || p != reply->data() + reply->size() || !std::isfinite(value))
    return failSafe({ErrorCode::Protocol, describe(command) + ": unparseable reply \"" + *reply + "\""});
  return value;
}

Status ScpiPowerSupply::checkChannel(int channel) const {
  if (channel < 1 || channel > m_dialect->channels)
    return fail(ErrorCode::Limit, m_resource.text + ": no channel " + std::to_string(channel) + " on a " + m_identity.model);
  return {};
}

// Refused on the host, before anything is sent, above the bench's limit or
// the channel's rating.
Status ScpiPowerSupply::setWithinLimits(int channel, double value, double benchLimit, const double* ratings,
                                        const char* unit, const std::string& pattern) {
  if (auto ok = checkChannel(channel); !ok) return ok;
  const double rated = ratings[channel - 1];
  if (m_options.identifyOnly)
    return fail(ErrorCode::Limit, m_resource.text + ": opened to identify only: no setting is sent");
  if (!withinLimit(value, benchLimit) || !withinLimit(value, rated))
    return failSafe({ErrorCode::Limit, m_resource.text + ": refused " + std::to_string(value) + " " + unit +
                                           " on channel " + std::to_string(channel) + " (bench limit " +
                                           std::to_string(benchLimit) + " " + unit + ", channel rated " +
                                           std::to_string(rated) + " " + unit + ")"});
  return set(formatScpi(pattern, channel, value));
}

Status ScpiPowerSupply::setVoltage(int channel, double volts) {
  return setWithinLimits(channel, volts, m_limits.maxVolts, m_dialect->maxVolts, "V", m_dialect->setVoltage);
}

Status ScpiPowerSupply::setCurrentLimit(int channel, double amps) {
  return setWithinLimits(channel, amps, m_limits.maxAmps, m_dialect->maxAmps, "A", m_dialect->setCurrent);
}

Status ScpiPowerSupply::setOutput(int channel, bool on) {
  if (auto ok = checkChannel(channel); !ok) return ok;
  if (on && m_options.identifyOnly)
    return fail(ErrorCode::Limit, m_resource.text + ": opened to identify only: the output stays off");
  return set(formatScpi(on ? m_dialect->outputOn : m_dialect->outputOff, channel));
}

Result<Reading> ScpiPowerSupply::measure(int channel) {
  if (auto ok = checkChannel(channel); !ok) return std::unexpected(ok.error());
  auto volts = queryNumber(formatScpi(m_dialect->measureVolts, channel));
  if (!volts) return std::unexpected(volts.error());
  auto amps = queryNumber(formatScpi(m_dialect->measureAmps, channel));
  if (!amps) return std::unexpected(amps.error());
  return Reading{*volts, *amps, std::chrono::steady_clock::now()};
}

}  // namespace aidi::inst
