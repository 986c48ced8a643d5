#include "aidi/inst/otii_supply.hpp"

#include <thread>

#include <fmt/format.h>

#include "aidi/inst/meter.hpp"
#include "aidi/inst/tcp_link.hpp"
#include "aidi/inst/visa_resource.hpp"

namespace aidi::inst {

using nlohmann::json;

namespace {
constexpr std::size_t kChunk = 10000;  // samples per fetch request
constexpr std::size_t kMaxLine = 4 * 1024 * 1024;
}  // namespace

OtiiSupply::OtiiSupply(std::unique_ptr<Link> link, const SafetyLimits& limits, const OtiiOptions& options)
    : m_link(std::move(link)), m_reader(*m_link, kMaxLine), m_limits(limits), m_options(options) {}

OtiiSupply::~OtiiSupply() {
  if (!m_link) return;
  if (m_recordingId >= 0) (void)request("project_stop_recording", {{"project_id", m_projectId}});
  if (!m_deviceId.empty()) (void)request("arc_set_main", {{"device_id", m_deviceId}, {"enable", false}});
  m_link->close();
}

Result<std::unique_ptr<OtiiSupply>> OtiiSupply::open(const std::string& resource, const SafetyLimits& limits,
                                                     const OtiiOptions& options) {
  auto parsed = parseVisaResource(resource);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->kind != VisaResource::Kind::TcpSocket)
    return fail(ErrorCode::Unsupported, resource + ": the Otii server is reached over TCP (TCPIP0::HOST::PORT::SOCKET)");
  if (!options.identifyOnly)
    if (auto ok = checkSafetyLimits(limits, 60.0, 10.0); !ok) return std::unexpected(ok.error());
  std::unique_ptr<OtiiSupply> otii(
      new OtiiSupply(std::make_unique<TcpLink>(parsed->host, parsed->port, options.timeout), limits, options));
  if (auto ok = otii->m_link->open(); !ok) {
    otii->m_link.reset();
    return std::unexpected(ok.error());
  }
  // The server greets with its version.
  auto hello = otii->m_reader.readLine(options.timeout);
  if (!hello) return fail(hello.error().code, resource + ": no greeting from an Otii server (" + hello.error().message + ")");
  json greeting = json::parse(*hello, nullptr, false);
  if (greeting.is_discarded() || greeting.value("type", "") != "information")
    return fail(ErrorCode::Protocol, resource + ": the greeting is not an Otii server's: " + hello->substr(0, 80));
  if (greeting.contains("data") && greeting["data"].is_object())
    otii->m_version = greeting["data"].value("version", "");
  if (!otii->m_version.empty()) {
    const int major = std::atoi(otii->m_version.c_str());
    if (major < 3)
      return fail(ErrorCode::Unsupported, fmt::format("{}: Otii server {} is too old (3 or newer needed)", resource, otii->m_version));
  }
  auto devices = otii->request("otii_get_devices", {{"timeout", 3}});
  if (!devices) return std::unexpected(devices.error());
  for (const auto& d : devices->value("devices", json::array()))
    if (d.is_object() && (d.value("type", "") == "Arc" || d.value("type", "") == "Ace")) {
      otii->m_deviceId = d.value("device_id", "");
      otii->m_deviceName = d.value("name", "");
      break;
    }
  if (otii->m_deviceId.empty()) return fail(ErrorCode::NotFound, resource + ": the Otii server has no Arc or Ace connected");
  auto project = otii->request("otii_get_active_project");
  if (!project) return std::unexpected(project.error());
  otii->m_projectId = project->value("project_id", -1);
  if (otii->m_projectId < 0) {
    auto created = otii->request("otii_create_project");
    if (!created) return std::unexpected(created.error());
    otii->m_projectId = created->value("project_id", -1);
  }
  if (auto off = otii->request("arc_set_main", {{"device_id", otii->m_deviceId}, {"enable", false}}); !off)
    return std::unexpected(off.error());
  // The Arc's max current trips the output off by default; with its source
  // current limit enabled it holds the current there instead, as every
  // supply of the bench does (the harvester's current-source mode rests on it).
  if (!options.identifyOnly)
    if (auto cc = otii->request("arc_set_src_cur_limit_enabled", {{"enable", true}}); !cc)
      return std::unexpected(cc.error());
  return otii;
}

Result<json> OtiiSupply::request(const std::string& cmd, json data) {
  if (!m_deviceId.empty() && (cmd.rfind("arc_", 0) == 0 || cmd.rfind("recording_", 0) == 0)) data["device_id"] = m_deviceId;
  const std::string id = std::to_string(++m_transId);
  const std::string line = json{{"type", "request"}, {"cmd", cmd}, {"trans_id", id}, {"data", data}}.dump() + "\r\n";
  if (auto ok = m_link->write(std::as_bytes(std::span(line.data(), line.size()))); !ok)
    return fail(ok.error().code, "Otii " + cmd + ": " + ok.error().message);
  for (;;) {
    auto reply = m_reader.readLine(m_options.timeout);
    if (!reply) return fail(reply.error().code, "Otii " + cmd + ": " + reply.error().message);
    json message = json::parse(*reply, nullptr, false);
    if (message.is_discarded() || !message.is_object())
      return fail(ErrorCode::Protocol, "Otii " + cmd + ": the reply is not JSON: " + reply->substr(0, 80));
    const std::string type = message.value("type", "");
    if (type == "information" || type == "progress") continue;
    const json trans = message.contains("trans_id") ? message["trans_id"] : json();
    if (!(trans.is_string() && trans.get<std::string>() == id))
      return fail(ErrorCode::Protocol, "Otii " + cmd + ": a reply to another request (trans_id " + trans.dump() + ")");
    if (type == "error") {
      std::string why = message.value("errorcode", "error");
      if (message.contains("data") && message["data"].is_object() && message["data"].contains("message"))
        why += ": " + message["data"].value("message", "");
      return fail(ErrorCode::Protocol, "Otii refused " + cmd + ": " + why);
    }
    if (type != "response") return fail(ErrorCode::Protocol, "Otii " + cmd + ": unexpected message type \"" + type + "\"");
    return message.contains("data") && message["data"].is_object() ? message["data"] : json::object();
  }
}

Status OtiiSupply::checkChannel(int channel) const {
  if (channel != 1) return fail(ErrorCode::Unsupported, fmt::format("Otii: channel {} (the Arc's main output is 1)", channel));
  return {};
}

std::unexpected<Error> OtiiSupply::failSafe(Error error) {
  if (!m_deviceId.empty()) (void)request("arc_set_main", {{"enable", false}});
  m_mainOn = false;
  return std::unexpected(std::move(error));
}

Result<Identity> OtiiSupply::identify() {
  auto version = request("arc_get_version");
  if (!version) return std::unexpected(version.error());
  Identity id;
  id.vendor = "Qoitech";
  id.model = m_deviceName.empty() ? "Otii Arc" : "Otii " + m_deviceName;
  id.serial = m_deviceId;
  id.firmware = version->value("fw_version", "") + (m_version.empty() ? "" : ", server " + m_version);
  id.family = "otii";
  return id;
}

Status OtiiSupply::setVoltage(int channel, double volts) {
  if (auto ok = checkChannel(channel); !ok) return ok;
  if (m_options.identifyOnly) return fail(ErrorCode::Limit, "Otii opened to identify only: no voltage is set");
  if (!withinLimit(volts, m_limits.maxVolts))
    return fail(ErrorCode::Limit, fmt::format("Otii: {} V refused, above the bench's limit of {} V", volts, m_limits.maxVolts));
  if (auto r = request("arc_set_main_voltage", {{"value", volts}}); !r) return failSafe(r.error());
  return {};
}

Status OtiiSupply::setCurrentLimit(int channel, double amps) {
  if (auto ok = checkChannel(channel); !ok) return ok;
  if (m_options.identifyOnly) return fail(ErrorCode::Limit, "Otii opened to identify only: no limit is set");
  if (!withinLimit(amps, m_limits.maxAmps))
    return fail(ErrorCode::Limit, fmt::format("Otii: {} A refused, above the bench's limit of {} A", amps, m_limits.maxAmps));
  if (auto r = request("arc_set_max_current", {{"value", amps}}); !r) return failSafe(r.error());
  return {};
}

Status OtiiSupply::setOutput(int channel, bool on) {
  if (auto ok = checkChannel(channel); !ok) return ok;
  if (on && m_options.identifyOnly) return fail(ErrorCode::Limit, "Otii opened to identify only: the output stays off");
  if (auto r = request("arc_set_main", {{"enable", on}}); !r) return failSafe(r.error());
  m_mainOn = on;
  return {};
}

Result<Reading> OtiiSupply::measure(int channel) {
  if (auto ok = checkChannel(channel); !ok) return std::unexpected(ok.error());
  auto amps = request("arc_get_value", {{"channel", "mc"}});
  if (!amps) return failSafe(amps.error());
  auto volts = request("arc_get_value", {{"channel", "mv"}});
  if (!volts) return failSafe(volts.error());
  if (!(*amps)["value"].is_number() || !(*volts)["value"].is_number())
    return failSafe(Error{ErrorCode::Protocol, "Otii arc_get_value: no number in the reply"});
  return Reading{(*volts)["value"].get<double>(), (*amps)["value"].get<double>(), std::chrono::steady_clock::now()};
}

Status OtiiSupply::startRecording() {
  for (const char* channel : {"mc", "mv"})
    if (auto r = request("arc_enable_channel", {{"channel", channel}, {"enable", true}}); !r) return failSafe(r.error());
  if (auto r = request("project_start_recording", {{"project_id", m_projectId}}); !r) return failSafe(r.error());
  auto last = request("project_get_last_recording", {{"project_id", m_projectId}});
  if (!last) return failSafe(last.error());
  m_recordingId = last->value("recording_id", -1);
  if (m_recordingId < 0) return failSafe(Error{ErrorCode::Protocol, "Otii: the recording just started is not there"});
  m_fetched = 0;
  return {};
}

Status OtiiSupply::fetch(std::vector<double>& amps, std::vector<double>& volts) {
  if (m_recordingId < 0) return fail(ErrorCode::Invalid, "Otii: no recording");
  auto counted = request("recording_get_channel_data_count", {{"recording_id", m_recordingId}, {"channel", "mc"}});
  if (!counted) return failSafe(counted.error());
  const auto available = counted->value("count", std::size_t{0});
  while (m_fetched < available) {
    const std::size_t n = std::min(kChunk, available - m_fetched);
    for (auto [channel, out] : {std::pair{"mc", &amps}, std::pair{"mv", &volts}}) {
      auto chunk = request("recording_get_channel_data",
                           {{"recording_id", m_recordingId}, {"channel", channel}, {"index", m_fetched}, {"count", n}});
      if (!chunk) return failSafe(chunk.error());
      const json& values = (*chunk)["values"];
      if (!values.is_array() || values.size() != n)
        return failSafe(Error{ErrorCode::Protocol, fmt::format("Otii: asked for {} samples of {}, got {}", n, channel,
                                                               values.is_array() ? values.size() : 0)});
      for (const auto& v : values) out->push_back(v.is_number() ? v.get<double>() : std::nan(""));
      if (const auto interval = chunk->value("interval", 0.0); interval > 0 && interval < 1) m_intervalS = interval;
    }
    m_fetched += n;
  }
  return {};
}

Status OtiiSupply::stopRecording() {
  if (m_recordingId < 0) return {};
  if (auto r = request("project_stop_recording", {{"project_id", m_projectId}}); !r) return failSafe(r.error());
  return {};
}

namespace {

class OtiiMeter final : public Meter {
 public:
  explicit OtiiMeter(std::unique_ptr<OtiiSupply> otii) : m_otii(std::move(otii)) {}
  std::string source() const override { return "otii"; }
  double rateHz() const override { return m_otii->sampleIntervalS() > 0 ? 1.0 / m_otii->sampleIntervalS() : 0.0; }
  bool hasVolts() const override { return true; }
  bool hasLogic() const override { return false; }
  Status start() override { return m_otii->startRecording(); }
  Status read(MeterChunk& out, Millis wait) override {
    m_amps.clear(), m_volts.clear();
    if (auto ok = m_otii->fetch(m_amps, m_volts); !ok) return ok;
    if (m_amps.empty()) std::this_thread::sleep_for(wait);  // the server is polled: nothing new yet
    for (std::size_t i = 0; i < m_amps.size() && i < m_volts.size(); ++i) {
      out.amps.push_back(static_cast<float>(m_amps[i]));
      out.volts.push_back(static_cast<float>(m_volts[i]));
    }
    return {};
  }
  Status stop() override { return m_otii->stopRecording(); }
  std::uint64_t lostSamples() const override { return 0; }  // the server keeps every sample

 private:
  std::unique_ptr<OtiiSupply> m_otii;
  std::vector<double> m_amps, m_volts;
};

}  // namespace

Result<std::unique_ptr<Meter>> openOtiiMeter(const std::string& resource, const SafetyLimits& limits) {
  auto otii = OtiiSupply::open(resource, limits, OtiiOptions{.identifyOnly = true});
  if (!otii) return std::unexpected(otii.error());
  return std::unique_ptr<Meter>(std::make_unique<OtiiMeter>(std::move(*otii)));
}

}  // namespace aidi::inst
