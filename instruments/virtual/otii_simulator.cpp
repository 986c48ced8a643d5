#include "aidi/inst/otii_simulator.hpp"

#include "loopback_server.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace aidi::inst {

using nlohmann::json;

Result<std::unique_ptr<OtiiSimulator>> OtiiSimulator::start(OtiiSimulatorOptions options) {
  std::unique_ptr<OtiiSimulator> sim(new OtiiSimulator(std::move(options)));
  auto listener = listenOnLoopback(sim->m_options.port, "virtual Otii");
  if (!listener) return std::unexpected(listener.error());
  sim->m_listenFd = listener->fd;
  sim->m_port = listener->port;
  sim->m_thread = std::thread([s = sim.get()] { s->serve(); });
  return sim;
}

OtiiSimulator::~OtiiSimulator() {
  m_stop = true;
  if (m_thread.joinable()) m_thread.join();
  if (m_listenFd >= 0) ::close(m_listenFd);
}

OtiiSimulator::State OtiiSimulator::state() const {
  std::lock_guard lock(m_mutex);
  return m_state;
}

void OtiiSimulator::serve() {
  acceptClients(m_listenFd, m_stop, [this](int fd) { serveClient(fd); });
}

void OtiiSimulator::serveClient(int fd) {
  const std::string hello =
      json{{"type", "information"}, {"info", "Connected to Otii"}, {"data", {{"version", m_options.version}}}}.dump() + "\r\n";
  (void)::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
  std::string pending;
  while (!m_stop) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    for (std::size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
      std::string line = pending.substr(0, eol);
      pending.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      std::size_t count;
      {
        std::lock_guard lock(m_mutex);
        count = ++m_state.requests;
      }
      const bool faulty = m_options.fault != OtiiFault::None && m_options.faultAfterRequests > 0 &&
                          count >= static_cast<std::size_t>(m_options.faultAfterRequests);
      if (faulty && m_options.fault == OtiiFault::DropConnection) {
        ::close(fd);
        return;
      }
      const std::string reply = handle(line);
      if (faulty && m_options.fault == OtiiFault::NoReply) continue;
      const std::string out = (faulty && m_options.fault == OtiiFault::GarbleReply ? std::string("{\"type\": \"resp\x7f") : reply) + "\r\n";
      (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    }
  }
  ::close(fd);
}

OtiiSimulator::OtiiSimulator(OtiiSimulatorOptions options) : m_options(std::move(options)) {
  if (m_options.capacitorF > 0)
    m_capacitor.emplace(SimulatedCapacitorOptions{m_options.capacitorF, m_options.capacitorVolts, m_options.loadOhms,
                                                  m_options.boardOnVolts, m_options.boardOffVolts});
}

void OtiiSimulator::advanceCapacitor() {
  if (!m_capacitor) return;
  const auto& c = m_capacitor->advance(m_state.mainOn, m_state.mainVolts, m_state.maxAmps);
  // Without its source current limit the Arc is a voltage source whose
  // overcurrent protection trips: a capacitor below the set voltage draws
  // more than any limit, so the output goes off.
  if (m_state.mainOn && !m_state.sourceCurrentLimit && c.volts < m_state.mainVolts - 0.05)
    m_state.mainOn = false, ++m_state.trips;
}

SimulatedCapacitor::State OtiiSimulator::capacitor() {
  std::lock_guard lock(m_mutex);
  advanceCapacitor();
  return m_capacitor ? m_capacitor->state() : SimulatedCapacitor::State{};
}

std::size_t OtiiSimulator::samplesSoFar() const {
  if (!m_state.recording) return m_recordedBefore;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_recordingStart).count();
  return static_cast<std::size_t>(s * m_options.sampleRateHz);
}

std::string OtiiSimulator::handle(const std::string& line) {
  json request;
  try {
    request = json::parse(line);
  } catch (const json::exception&) {
    return json{{"type", "error"}, {"errorcode", "Invalid JSON"}, {"data", {{"message", "the request is not JSON"}}}}.dump();
  }
  std::lock_guard lock(m_mutex);
  return respond(request).dump();
}

json OtiiSimulator::respond(const json& request) {
  const std::string cmd = request.value("cmd", "");
  const json transId = request.contains("trans_id") ? request["trans_id"] : json("");
  const json data = request.value("data", json::object());
  const auto ok = [&](json body = json::object()) {
    return json{{"type", "response"}, {"cmd", cmd}, {"trans_id", transId}, {"data", std::move(body)}};
  };
  const auto error = [&](const std::string& code, const std::string& message) {
    return json{{"type", "error"}, {"cmd", cmd}, {"trans_id", transId}, {"errorcode", code}, {"data", {{"message", message}}}};
  };
  if (request.value("type", "") != "request") return error("Invalid request", "type must be \"request\"");
  const bool needsDevice = cmd.rfind("arc_", 0) == 0 || cmd.rfind("recording_", 0) == 0;
  if (needsDevice && data.value("device_id", "") != kDeviceId) return error("Device not found", "no device with that id");
  const auto number = [&](const char* key, double& out) {
    if (!data.contains(key) || !data[key].is_number()) return false;
    out = data[key].get<double>();
    return true;
  };
  advanceCapacitor();  // up to this request, under the settings before it
  if (cmd == "otii_get_devices")
    return ok({{"devices", json::array({{{"device_id", kDeviceId}, {"name", "Arc"}, {"type", "Arc"}}})}});
  if (cmd == "otii_get_active_project") return ok({{"project_id", m_projectId}});
  if (cmd == "otii_create_project") return m_projectId = 1, ok({{"project_id", m_projectId}});
  if (cmd == "arc_get_version") return ok({{"hw_version", "Arc 1.3"}, {"fw_version", "1.1.7"}});
  if (cmd == "arc_set_main_voltage") {
    double v;
    if (!number("value", v)) return error("Invalid value", "value must be a number");
    if (v < 0.5 || v > 4.55) return error("Out of range", "main voltage must be within 0.5-4.55 V");
    return m_state.mainVolts = v, ok();
  }
  if (cmd == "arc_set_max_current") {
    double a;
    if (!number("value", a)) return error("Invalid value", "value must be a number");
    if (a < 0.001 || a > 5.0) return error("Out of range", "max current must be within 0.001-5 A");
    return m_state.maxAmps = a, ok();
  }
  if (cmd == "arc_set_main") {
    if (!data.contains("enable") || !data["enable"].is_boolean()) return error("Invalid value", "enable must be true or false");
    return m_state.mainOn = data["enable"].get<bool>(), ok();
  }
  if (cmd == "arc_set_src_cur_limit_enabled") {
    if (!data.contains("enable") || !data["enable"].is_boolean()) return error("Invalid value", "enable must be true or false");
    return m_state.sourceCurrentLimit = data["enable"].get<bool>(), ok();
  }
  double amps = m_state.mainOn ? std::min(m_state.mainVolts / m_options.loadOhms, m_state.maxAmps) : 0.0;
  double volts = m_state.mainOn ? amps * m_options.loadOhms : 0.0;
  if (m_capacitor) amps = m_capacitor->state().sourceAmps, volts = m_capacitor->state().volts;
  if (cmd == "arc_get_value") {
    const std::string channel = data.value("channel", "");
    if (channel == "mc") return ok({{"value", amps}});
    if (channel == "mv") return ok({{"value", volts}});
    return error("Invalid channel", "no channel \"" + channel + "\"");
  }
  if (cmd == "arc_enable_channel") return ok();
  if (cmd == "project_start_recording" || cmd == "project_stop_recording") {
    if (data.value("project_id", -2) != m_projectId || m_projectId < 0) return error("Project not found", "no such project");
    if (cmd == "project_start_recording") {
      m_state.recording = true;
      m_recordingStart = std::chrono::steady_clock::now();
      ++m_recordingId;
      m_recordedAmps = amps, m_recordedVolts = volts;
    } else if (m_state.recording) {
      m_recordedBefore = samplesSoFar();
      m_state.recording = false;
    }
    return ok();
  }
  if (cmd == "project_get_last_recording") return ok({{"recording_id", m_recordingId > 0 ? m_recordingId : -1}});
  if (cmd == "recording_get_channel_data_count" || cmd == "recording_get_channel_data") {
    if (data.value("recording_id", -1) != m_recordingId) return error("Recording not found", "no such recording");
    const std::string channel = data.value("channel", "");
    if (channel != "mc" && channel != "mv") return error("Invalid channel", "no channel \"" + channel + "\"");
    const std::size_t count = samplesSoFar();
    if (cmd == "recording_get_channel_data_count") return ok({{"count", count}});
    const auto index = data.value("index", std::int64_t{-1}), want = data.value("count", std::int64_t{-1});
    if (index < 0 || want < 0 || static_cast<std::size_t>(index + want) > count)
      return error("Out of range", "index and count beyond the recording");
    json values = json::array();
    for (std::int64_t k = 0; k < want; ++k) values.push_back(channel == "mc" ? m_recordedAmps : m_recordedVolts);
    return ok({{"data_type", "analog"}, {"timestamp", static_cast<double>(index) / m_options.sampleRateHz},
               {"interval", 1.0 / m_options.sampleRateHz}, {"values", std::move(values)}});
  }
  return error("Unknown command", "unknown command \"" + cmd + "\"");
}

}  // namespace aidi::inst
