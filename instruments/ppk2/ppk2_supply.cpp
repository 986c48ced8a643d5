#include "aidi/inst/ppk2_supply.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "aidi/inst/meter.hpp"
#include "aidi/inst/registry.hpp"
#include "aidi/inst/visa_resource.hpp"

namespace aidi::inst {

namespace {

constexpr int kTripWindowSamples = 100;  // 1 ms: a current limit acts on the mean over it
constexpr std::size_t kMeasureSamples = 1000;

}  // namespace

Ppk2Supply::Ppk2Supply(std::unique_ptr<Link> link, const SafetyLimits& limits, const Ppk2Options& options)
    : m_link(std::move(link)), m_limits(limits), m_options(options) {}

Ppk2Supply::~Ppk2Supply() {
  if (m_link) {
    if (m_streaming) (void)send(ppk2::command(ppk2::Op::AverageStop));
    (void)send(ppk2::command(ppk2::Op::DeviceRunningSet, {0}));  // output off, whatever happened
    m_link->close();
  }
}

Result<std::unique_ptr<Ppk2Supply>> Ppk2Supply::open(const std::string& resource, const SafetyLimits& limits,
                                                     const Ppk2Options& options) {
  auto parsed = parseVisaResource(resource);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->kind != VisaResource::Kind::Serial)
    return fail(ErrorCode::Unsupported, resource + ": a PPK2 is a USB serial port (ASRL/dev/ttyACM0::INSTR), not a TCP socket");
  return open(makeLink(*parsed, 115200), limits, options);
}

Result<std::unique_ptr<Ppk2Supply>> Ppk2Supply::open(std::unique_ptr<Link> link, const SafetyLimits& limits,
                                                     const Ppk2Options& options) {
  if (!options.identifyOnly)
    if (auto ok = checkSafetyLimits(limits, 60.0, 10.0); !ok) return std::unexpected(ok.error());
  std::unique_ptr<Ppk2Supply> kit(new Ppk2Supply(std::move(link), limits, options));
  if (auto ok = kit->m_link->open(); !ok) {
    kit->m_link.reset();  // nothing was sent; nothing to switch off
    return std::unexpected(ok.error());
  }
  // A stream left running by an earlier program would bury the metadata.
  if (auto ok = kit->send(ppk2::command(ppk2::Op::AverageStop)); !ok) return std::unexpected(ok.error());
  std::byte drain[4096];
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (;;) {
    auto n = kit->m_link->read(drain, Millis{60});
    if (!n) return std::unexpected(n.error());
    if (*n == 0 || std::chrono::steady_clock::now() > until) break;
  }
  if (auto ok = kit->readMetadata(); !ok) return std::unexpected(ok.error());
  if (auto ok = kit->send(ppk2::command(ppk2::Op::SetPowerMode, {static_cast<std::uint8_t>(options.mode)})); !ok)
    return std::unexpected(ok.error());
  if (auto ok = kit->send(ppk2::command(ppk2::Op::DeviceRunningSet, {0})); !ok) return std::unexpected(ok.error());
  kit->m_decoder = std::make_unique<ppk2::Decoder>(kit->m_calibration, kit->m_millivolts * 1e-3);
  return kit;
}

Status Ppk2Supply::send(std::vector<std::byte> bytes) { return m_link->write(bytes); }

Status Ppk2Supply::readMetadata() {
  if (auto ok = send(ppk2::command(ppk2::Op::GetMetadata)); !ok) return ok;
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + m_options.timeout;
  std::byte buffer[512];
  while (text.find("END") == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline)
      return fail(ErrorCode::Timeout, m_link->describe() + ": no PPK2 metadata within " +
                                          std::to_string(m_options.timeout.count()) + " ms (is it a PPK2?)");
    auto n = m_link->read(buffer, Millis{50});
    if (!n) return std::unexpected(n.error());
    text.append(reinterpret_cast<const char*>(buffer), *n);
    if (text.size() > 16384)
      return fail(ErrorCode::Protocol, m_link->describe() + ": 16 KB of reply without \"END\": not a PPK2's metadata");
  }
  auto calibration = ppk2::parseMetadata(text);
  if (!calibration) return fail(ErrorCode::Protocol, m_link->describe() + ": " + calibration.error().message);
  m_calibration = *calibration;
  if (auto vdd = m_calibration.other.find("vdd"); vdd != m_calibration.other.end()) {
    const int mv = std::atoi(vdd->second.c_str());
    if (mv >= ppk2::kSourceMinMillivolts && mv <= ppk2::kSourceMaxMillivolts) m_millivolts = mv;
  }
  return {};
}

Status Ppk2Supply::checkChannel(int channel) const {
  if (channel != 1) return fail(ErrorCode::Unsupported, fmt::format("PPK2: channel {} (it has one, 1)", channel));
  return {};
}

std::unexpected<Error> Ppk2Supply::failSafe(Error error) {
  (void)send(ppk2::command(ppk2::Op::DeviceRunningSet, {0}));
  m_dutOn = false;
  return std::unexpected(std::move(error));
}

Result<Identity> Ppk2Supply::identify() {
  Identity id;
  id.vendor = "Nordic Semiconductor";
  id.model = "PPK2";
  id.family = "ppk2";
  if (auto hw = m_calibration.other.find("hw"); hw != m_calibration.other.end()) id.firmware = "hw " + hw->second;
  id.firmware += m_calibration.calibrated ? (id.firmware.empty() ? "calibrated" : ", calibrated") : "";
  return id;
}

Status Ppk2Supply::setVoltage(int channel, double volts) {
  if (auto ok = checkChannel(channel); !ok) return ok;
  if (m_options.identifyOnly) return fail(ErrorCode::Limit, "PPK2 opened to identify only: no voltage is set");
  if (!withinLimit(volts, m_limits.maxVolts))
    return fail(ErrorCode::Limit, fmt::format("PPK2: {} V refused, above the bench's limit of {} V", volts, m_limits.maxVolts));
  const int mv = static_cast<int>(std::lround(volts * 1000));
  if (mv < ppk2::kSourceMinMillivolts || mv > ppk2::kSourceMaxMillivolts)
    return fail(ErrorCode::Limit, fmt::format("PPK2: {} V refused, outside the kit's 0.8-5 V", volts));
  if (auto ok = send(ppk2::sourceVoltageCommand(mv)); !ok) return failSafe(ok.error());
  m_millivolts = mv;
  m_voltageSet = true;
  m_decoder->setSourceVolts(mv * 1e-3);
  return {};
}

Status Ppk2Supply::setCurrentLimit(int channel, double amps) {
  if (auto ok = checkChannel(channel); !ok) return ok;
  if (!withinLimit(amps, std::min(m_limits.maxAmps, ppk2::kMaxAmps)) || !(amps > 0))
    return fail(ErrorCode::Limit, fmt::format("PPK2: current limit {} A refused, outside (0, {}] A (the bench's limit "
                                              "and the kit's rating)",
                                              amps, std::min(m_limits.maxAmps, ppk2::kMaxAmps)));
  m_tripAmps = amps;
  return {};
}

Status Ppk2Supply::setOutput(int channel, bool on) {
  if (auto ok = checkChannel(channel); !ok) return ok;
  if (on) {
    if (m_options.identifyOnly) return fail(ErrorCode::Limit, "PPK2 opened to identify only: the DUT stays off");
    if (m_options.mode == ppk2::PowerMode::Source && !m_voltageSet)
      return fail(ErrorCode::Limit, "PPK2: set the source voltage before powering the DUT (the kit's own default is "
                                    "not checked against the bench's limits)");
  }
  if (auto ok = send(ppk2::command(ppk2::Op::DeviceRunningSet, {static_cast<std::uint8_t>(on ? 1 : 0)})); !ok)
    return failSafe(ok.error());
  m_dutOn = on;
  return {};
}

Status Ppk2Supply::startStream() {
  if (m_streaming) return {};
  if (auto ok = send(ppk2::command(ppk2::Op::AverageStart)); !ok) return failSafe(ok.error());
  m_decoder = std::make_unique<ppk2::Decoder>(m_calibration, m_millivolts * 1e-3);
  m_streaming = true;
  m_streamStart = std::chrono::steady_clock::now();
  m_streamSamples = 0;
  m_shortfall = 0;
  m_windowSum = 0;
  m_windowCount = 0;
  return {};
}

Status Ppk2Supply::read(std::vector<ppk2::Sample>& out, Millis wait) {
  if (!m_streaming) return fail(ErrorCode::Invalid, "PPK2: the stream is not running");
  const std::size_t first = out.size();
  auto n = m_link->read(m_buffer, wait);
  if (!n) return failSafe(Error{n.error().code, "PPK2: " + n.error().message});
  // Take what else is waiting, up to a bound, in one go.
  std::size_t got = *n;
  while (got > 0) {
    m_decoder->feed(std::span(m_buffer.data(), got), out);
    if (out.size() - first > 200'000) break;
    auto more = m_link->read(m_buffer, Millis{0});
    if (!more) return failSafe(Error{more.error().code, "PPK2: " + more.error().message});
    got = *more;
  }
  m_streamSamples += out.size() - first;
  if (m_tripAmps > 0 && m_dutOn) {
    for (std::size_t k = first; k < out.size(); ++k) {
      if (std::isnan(out[k].amps)) continue;
      m_windowSum += out[k].amps;
      if (++m_windowCount < kTripWindowSamples) continue;
      const double mean = m_windowSum / m_windowCount;
      m_windowSum = 0;
      m_windowCount = 0;
      if (mean > m_tripAmps)
        return failSafe(Error{ErrorCode::Limit, fmt::format("PPK2: the DUT drew {:.4g} A over 1 ms, above the current "
                                                            "limit of {:.4g} A: DUT switched off",
                                                            mean, m_tripAmps)});
    }
  }
  return {};
}

Status Ppk2Supply::stopStream() {
  if (!m_streaming) return {};
  m_streaming = false;
  const auto elapsed = std::chrono::steady_clock::now() - m_streamStart;
  if (auto ok = send(ppk2::command(ppk2::Op::AverageStop)); !ok) return failSafe(ok.error());
  // What was in flight still counts.
  std::vector<ppk2::Sample> tail;
  for (int k = 0; k < 20; ++k) {
    auto n = m_link->read(m_buffer, Millis{20});
    if (!n || *n == 0) break;
    m_decoder->feed(std::span(m_buffer.data(), *n), tail);
  }
  m_decoder->flush(tail);
  m_streamSamples += tail.size();
  const double expected = std::chrono::duration<double>(elapsed).count() * ppk2::kSampleRateHz;
  // The clock's view, with a margin for the start's latency and the host's scheduling.
  const double slack = 0.02 * expected + 2000;
  m_shortfall = expected > static_cast<double>(m_streamSamples) + slack
                    ? static_cast<std::uint64_t>(expected - static_cast<double>(m_streamSamples))
                    : 0;
  return {};
}

ppk2::StreamStats Ppk2Supply::streamStats() const { return m_decoder ? m_decoder->stats() : ppk2::StreamStats{}; }

std::uint64_t Ppk2Supply::clockShortfall() const { return m_shortfall; }

Result<Reading> Ppk2Supply::measure(int channel) {
  if (auto ok = checkChannel(channel); !ok) return std::unexpected(ok.error());
  const bool wasStreaming = m_streaming;
  if (!wasStreaming)
    if (auto ok = startStream(); !ok) return std::unexpected(ok.error());
  std::vector<ppk2::Sample> samples;
  const auto deadline = std::chrono::steady_clock::now() + m_options.timeout;
  while (samples.size() < kMeasureSamples) {
    if (std::chrono::steady_clock::now() > deadline)
      return failSafe(Error{ErrorCode::Timeout, fmt::format("PPK2: {} samples in {} ms, expected {} (the stream stalled)",
                                                            samples.size(), m_options.timeout.count(), kMeasureSamples)});
    if (auto ok = read(samples); !ok) return std::unexpected(ok.error());
  }
  if (!wasStreaming)
    if (auto ok = stopStream(); !ok) return std::unexpected(ok.error());
  double sum = 0;
  std::size_t count = 0;
  for (const auto& s : samples)
    if (!std::isnan(s.amps)) sum += s.amps, ++count;
  if (count == 0) return fail(ErrorCode::Protocol, "PPK2: every sample of the measurement was lost");
  Reading r;
  r.amps = sum / static_cast<double>(count);
  r.volts = m_options.mode == ppk2::PowerMode::Source && m_dutOn ? m_millivolts * 1e-3 : 0.0;
  r.at = std::chrono::steady_clock::now();
  return r;
}

namespace {

class Ppk2Meter final : public Meter {
 public:
  explicit Ppk2Meter(std::unique_ptr<Ppk2Supply> kit) : m_kit(std::move(kit)) {}
  std::string source() const override { return "ppk2"; }
  double rateHz() const override { return ppk2::kSampleRateHz; }
  bool hasVolts() const override { return false; }  // ampere-meter mode: the supply's voltage, not the kit's
  bool hasLogic() const override { return true; }
  Status start() override {
    if (auto ok = m_kit->setOutput(1, true); !ok) return ok;  // the pass-through
    return m_kit->startStream();
  }
  Status read(MeterChunk& out, Millis wait) override {
    m_samples.clear();
    if (auto ok = m_kit->read(m_samples, wait); !ok) return ok;
    for (const auto& s : m_samples) {
      out.amps.push_back(s.amps);
      out.logic.push_back(s.logic);
    }
    return {};
  }
  Status stop() override { return m_kit->stopStream(); }
  std::uint64_t lostSamples() const override { return m_kit->streamStats().lost + m_kit->clockShortfall(); }

 private:
  std::unique_ptr<Ppk2Supply> m_kit;
  std::vector<ppk2::Sample> m_samples;
};

}  // namespace

Result<std::unique_ptr<Meter>> openPpk2Meter(const std::string& resource, const SafetyLimits& limits) {
  auto kit = Ppk2Supply::open(resource, limits, Ppk2Options{.mode = ppk2::PowerMode::Ampere});
  if (!kit) return std::unexpected(kit.error());
  if (auto ok = (*kit)->setCurrentLimit(1, std::min(limits.maxAmps, ppk2::kMaxAmps)); !ok) return std::unexpected(ok.error());
  return std::unique_ptr<Meter>(std::make_unique<Ppk2Meter>(std::move(*kit)));
}

}  // namespace aidi::inst
