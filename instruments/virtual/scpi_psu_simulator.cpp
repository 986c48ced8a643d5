#include "aidi/inst/scpi_psu_simulator.hpp"

#include "loopback_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>


namespace aidi::inst {
namespace {

// SCPI long forms to the short forms the dispatcher uses.
const std::map<std::string, std::string>& longForms() {
  static const std::map<std::string, std::string> m = {
      {"MEASURE", "MEAS"},  {"VOLTAGE", "VOLT"},     {"CURRENT", "CURR"},   {"SOURCE", "SOUR"},
      {"OUTPUT", "OUTP"},   {"INSTRUMENT", "INST"},  {"SYSTEM", "SYST"},    {"ERROR", "ERR"},
      {"POWER", "POWE"},    {"APPLY", "APPL"},       {"STATE", "STAT"},     {"NSELECT", "NSEL"},
      {"SELECT", "SEL"},    {"LEVEL", "LEV"},        {"IMMEDIATE", "IMM"},  {"AMPLITUDE", "AMPL"},
      {"PROTECTION", "PROT"}, {"QUESTION", "QUES"},  {"VALUE", "VAL"},      {"REMOTE", "REM"},
      {"LOCAL", "LOC"},     {"BEEPER", "BEEP"},      {"VERSION", "VERS"},   {"SCALAR", "SCAL"},
  };
  return m;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      parts.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(trim(cur));
  return parts;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

bool parseDouble(const std::string& s, double& v) {
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc{} && p == s.data() + s.size() && std::isfinite(v);
}

// A parsed header: short-form nodes without optional ones, and the channel
// from a numeric suffix (SOUR2) if any.
struct Header {
  std::string path;
  int channel = 0;
  bool query = false;
};

Header parseHeader(std::string text) {
  Header h;
  if (!text.empty() && text.back() == '?') {
    h.query = true;
    text.pop_back();
  }
  if (!text.empty() && text.front() == ':') text.erase(0, 1);
  std::string path;
  for (std::string node : split(upper(text), ':')) {
    std::size_t digits = node.size();
    while (digits > 0 && std::isdigit(static_cast<unsigned char>(node[digits - 1]))) --digits;
    if (digits < node.size() && node[0] != '*') {
      h.channel = std::atoi(node.c_str() + digits);
      node.resize(digits);
    }
    if (auto it = longForms().find(node); it != longForms().end()) node = it->second;
    if (node == "LEV" || node == "IMM" || node == "AMPL" || node == "DC") continue;
    path += (path.empty() ? "" : ":") + node;
  }
  h.path = path;
  return h;
}

}  // namespace

ScpiPsuSimulator::ScpiPsuSimulator(ScpiPsuSimulatorOptions options) : m_options(options) {
  m_channels = {{30.0, 3.0, 0, 0, false, 33.0, 3.3}, {30.0, 3.0, 0, 0, false, 33.0, 3.3},
                {5.0, 3.0, 0, 0, false, 5.5, 3.3}};
  if (options.capacitorF > 0)
    m_capacitor.emplace(SimulatedCapacitorOptions{options.capacitorF, options.capacitorVolts, options.loadOhms,
                                                  options.boardOnVolts, options.boardOffVolts});
}

Result<std::unique_ptr<ScpiPsuSimulator>> ScpiPsuSimulator::start(ScpiPsuSimulatorOptions options) {
  std::unique_ptr<ScpiPsuSimulator> sim(new ScpiPsuSimulator(options));
  auto listener = listenOnLoopback(options.port, "virtual PSU");
  if (!listener) return std::unexpected(listener.error());
  sim->m_listenFd = listener->fd;
  sim->m_port = listener->port;
  sim->m_thread = std::thread([s = sim.get()] { s->serve(); });
  return sim;
}

ScpiPsuSimulator::~ScpiPsuSimulator() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
  if (m_listenFd >= 0) ::close(m_listenFd);
}

ScpiPsuSimulator::Channel ScpiPsuSimulator::channel(int index) const {
  std::lock_guard lock(m_mutex);
  return m_channels.at(static_cast<std::size_t>(index - 1));
}

void ScpiPsuSimulator::serve() {
  acceptClients(m_listenFd, m_stop, [this](int fd) { serveClient(fd); });
}

void ScpiPsuSimulator::serveClient(int fd) {
  std::string pending;
  bool hung = false;
  while (!m_stop) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buffer[1024];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, eol);
      pending.erase(0, eol + 1);
      const std::size_t count = ++m_commands;
      const bool faulty = m_options.fault != ScpiFault::None && m_options.faultAfterCommands > 0 &&
                          count >= static_cast<std::size_t>(m_options.faultAfterCommands) &&
                          (m_options.faultTimes == 0 ||
                           count < static_cast<std::size_t>(m_options.faultAfterCommands + m_options.faultTimes));
      if (faulty && m_options.fault == ScpiFault::DropConnection) {
        ::close(fd);
        return;
      }
      if (faulty && m_options.fault == ScpiFault::Hang) hung = true;
      const auto replies = handle(line);
      if (hung) continue;
      for (const auto& reply : replies) {
        const std::string out = faulty && m_options.fault == ScpiFault::GarbleReply ? "\x7f\xfe#?@\n" : reply + "\n";
        (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
      }
    }
  }
  ::close(fd);
}

void ScpiPsuSimulator::pushError(int code, const std::string& message) {
  if (m_errors.size() >= 16) return;  // the DP800 queue holds a few entries; overflow drops the newest
  m_errors.emplace_back(code, message);
}

ScpiPsuSimulator::Capacitor ScpiPsuSimulator::capacitor() {
  std::lock_guard lock(m_mutex);
  if (!m_capacitor) return {};
  const Channel& c = m_channels[0];
  return m_capacitor->advance(c.output, c.volts, c.amps);
}

std::vector<std::string> ScpiPsuSimulator::handle(const std::string& line) {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> replies;
  for (const std::string& command : split(line, ';')) {
    if (command.empty()) continue;
    bool query = false;
    std::string reply = execute(command, query);
    if (query) replies.push_back(reply);
  }
  return replies;
}

std::string ScpiPsuSimulator::execute(const std::string& command, bool& isQuery) {
  const auto space = command.find_first_of(" \t");
  Header h = parseHeader(command.substr(0, space));
  isQuery = h.query;
  std::vector<std::string> args;
  if (space != std::string::npos) args = split(upper(trim(command.substr(space + 1))), ',');
  // "CHn" as the first argument selects a channel without changing the selection.
  int ch = h.channel ? h.channel : m_selected;
  if (!args.empty() && args[0].size() == 3 && args[0].starts_with("CH") && std::isdigit(static_cast<unsigned char>(args[0][2]))) {
    ch = args[0][2] - '0';
    args.erase(args.begin());
  }
  if (ch < 1 || ch > static_cast<int>(m_channels.size())) {
    pushError(-222, "Data out of range");
    return "";
  }
  Channel& c = m_channels[static_cast<std::size_t>(ch - 1)];
  const auto value = [&](double lo, double hi, double& out) {
    double v = 0;
    if (args.empty() || !parseDouble(args[0], v)) {
      pushError(-224, "Illegal parameter value");
      return false;
    }
    if (v < lo || v > hi) {
      pushError(-222, "Data out of range");
      return false;
    }
    out = v;
    return true;
  };
  const auto onOff = [&](bool& out) {
    if (args.empty()) return pushError(-224, "Illegal parameter value"), false;
    if (args[0] == "ON" || args[0] == "1") return out = true, true;
    if (args[0] == "OFF" || args[0] == "0") return out = false, true;
    pushError(-224, "Illegal parameter value");
    return false;
  };
  // The load: a resistor; the supply regulates voltage until the current
  // limit. Channel 1 with a capacitor: what the capacitor shows.
  const double loadAmps = c.output ? c.volts / m_options.loadOhms : 0.0;
  const bool constantCurrent = c.output && loadAmps > c.amps;
  double measAmps = constantCurrent ? c.amps : loadAmps;
  double measVolts = c.output ? (constantCurrent ? c.amps * m_options.loadOhms : c.volts) : 0.0;
  if (m_capacitor && ch == 1) {
    const Channel& c1 = m_channels[0];
    const auto& cap = m_capacitor->advance(c1.output, c1.volts, c1.amps);
    measVolts = cap.volts;
    measAmps = cap.sourceAmps;
  }
  const std::string& p = h.path;

  if (p == "*IDN" && h.query) return kIdentity;
  if (p == "*RST") {
    for (auto& each : m_channels) each.volts = each.amps = 0, each.output = false, each.ovpOn = each.ocpOn = false;
    m_selected = 1;
    return "";
  }
  if (p == "*CLS") return m_errors.clear(), "";
  if (p == "*OPC" && h.query) return "1";
  if ((p == "*ESR" || p == "*STB") && h.query) return "0";
  if ((p == "SYST:ERR" || p == "SYST:ERR:NEXT") && h.query) {
    if (m_errors.empty()) return "0,\"No error\"";
    const auto [code, message] = m_errors.front();
    m_errors.pop_front();
    return std::to_string(code) + ",\"" + message + "\"";
  }
  if (p == "SYST:VERS" && h.query) return "1999.0";
  if (p == "SYST:REM" || p == "SYST:LOC") return "";
  if (p == "SYST:BEEP:STAT") return h.query ? "OFF" : "";
  if (p == "SYST:OTP" && h.query) return "OFF";
  if (p == "INST:NSEL" || p == "INST" || p == "INST:SEL") {
    if (h.query) return p == "INST:NSEL" ? std::to_string(m_selected) : "CH" + std::to_string(m_selected);
    if (p == "INST:NSEL") {
      double n = 0;
      if (value(1, static_cast<double>(m_channels.size()), n)) m_selected = static_cast<int>(n);
    } else {
      m_selected = ch;  // "INST CH2" was consumed as the channel argument
    }
    return "";
  }
  if (p == "SOUR:VOLT" || p == "VOLT") {
    if (h.query) return number(c.volts);
    value(0, c.maxVolts, c.volts);
    return "";
  }
  if (p == "SOUR:CURR" || p == "CURR") {
    if (h.query) return number(c.amps);
    value(0, c.maxAmps, c.amps);
    return "";
  }
  if (p == "APPL") {
    if (h.query) return "CH" + std::to_string(ch) + ":" + std::to_string(static_cast<int>(c.maxVolts)) + "V/" +
                        std::to_string(static_cast<int>(c.maxAmps)) + "A," + number(c.volts) + "," + number(c.amps);
    if (!value(0, c.maxVolts, c.volts)) return "";
    if (args.size() > 1) {
      args.erase(args.begin());
      value(0, c.maxAmps, c.amps);
    }
    return "";
  }
  if (p == "OUTP" || p == "OUTP:STAT") {
    if (h.query) return c.output ? "ON" : "OFF";
    onOff(c.output);
    return "";
  }
  if (p == "OUTP:MODE" && h.query) return constantCurrent ? "CC" : "CV";
  for (const bool voltage : {true, false}) {
    const std::string base = voltage ? "OUTP:OVP" : "OUTP:OCP";
    bool& enabled = voltage ? c.ovpOn : c.ocpOn;
    double& threshold = voltage ? c.ovp : c.ocp;
    if (p == base || p == base + ":STAT") {
      if (h.query) return enabled ? "ON" : "OFF";
      onOff(enabled);
      return "";
    }
    if (p == base + ":VAL") {
      if (h.query) return number(threshold);
      value(0.01, (voltage ? c.maxVolts : c.maxAmps) * 1.1, threshold);
      return "";
    }
    if (p == base + ":QUES" && h.query) return "NO";
    if (p == base + ":CLEAR") return "";
  }
  if (h.query && (p == "MEAS" || p == "MEAS:VOLT")) return number(measVolts);
  if (h.query && p == "MEAS:CURR") return number(measAmps);
  if (h.query && p == "MEAS:POWE") return number(measVolts * measAmps);
  if (h.query && p == "MEAS:ALL") return number(measVolts) + "," + number(measAmps) + "," + number(measVolts * measAmps);
  pushError(-113, "Undefined header");
  return "";
}

}  // namespace aidi::inst
