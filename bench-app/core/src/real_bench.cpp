#include "aidi/core/real_bench.hpp"

#include <atomic>
#include <mutex>
#include <thread>

#include "aidi/core/model_zoo.hpp"
#include "aidi/inst/interrupt.hpp"
#include "aidi/inst/registry.hpp"
#include "aidi/proto/decoder.hpp"
#include "aidi/proto/messages.hpp"

namespace aidi::core {
namespace {

using Clock = std::chrono::steady_clock;

// A decoded frame kept after the decoder moved on: its payload is copied
// (a proto::Frame points into the decoder's buffer, which the next frame
// overwrites).
struct Received {
  double atS;  // host seconds since the run started
  proto::Frame header;
  std::vector<std::uint8_t> payload;
  proto::Frame frame() const {
    proto::Frame f = header;
    f.payload = payload.data();
    return f;
  }
};

// Reads and decodes the link on its own thread until stopped.
class TelemetryReader {
 public:
  explicit TelemetryReader(inst::Link& link, Clock::time_point start)
      : m_link(link), m_start(start), m_decoder(proto::isKnownMessageType) {
    m_thread = std::thread([this] { loop(); });
  }
  ~TelemetryReader() { stop(); }
  void stop() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
  }
  std::vector<Received> frames() {
    std::lock_guard lock(m_mutex);
    return m_frames;
  }
  int results() {
    std::lock_guard lock(m_mutex);
    return m_results;
  }
  std::string error() {
    std::lock_guard lock(m_mutex);
    return m_error;
  }
  proto::DecoderCounters counters() {
    std::lock_guard lock(m_mutex);
    return m_decoder.counters();
  }

 private:
  void loop() {
    std::array<std::byte, 1024> buffer;
    while (!m_stop) {
      auto n = m_link.read(buffer, inst::Millis{50});
      if (!n) {
        std::lock_guard lock(m_mutex);
        if (n.error().code != inst::ErrorCode::Cancelled) m_error = n.error().message;
        return;
      }
      std::lock_guard lock(m_mutex);
      const double at = std::chrono::duration<double>(Clock::now() - m_start).count();
      for (std::size_t i = 0; i < *n; ++i) {
        if (m_decoder.push(static_cast<std::uint8_t>(buffer[i])) != proto::DecodeResult::Frame) continue;
        const proto::Frame& f = m_decoder.frame();
        m_frames.push_back({at, f, std::vector<std::uint8_t>(f.payload, f.payload + f.payloadSize)});
        if (m_decoder.frame().type == static_cast<std::uint8_t>(proto::MessageType::Result)) ++m_results;
      }
    }
  }

  inst::Link& m_link;
  Clock::time_point m_start;
  std::mutex m_mutex;
  proto::FrameDecoder m_decoder;
  std::vector<Received> m_frames;
  int m_results = 0;
  std::string m_error;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};


}  // namespace

inst::Result<std::vector<SimulationResult>> runOnRealBench(const RealRunRequest& r) {
  const BenchFile& bench = r.bench;
  if (!bench.supply) return inst::fail(inst::ErrorCode::NotFound, bench.path.string() + ": [supply]: the bench has no supply to power the board");
  if (!bench.link) return inst::fail(inst::ErrorCode::NotFound, bench.path.string() + ": [link]: the bench has no link to read the board");
  auto supply = inst::openPowerSupply(bench.supply->resource.text, bench.limits, {.driver = bench.supply->driver});
  if (!supply) return std::unexpected(supply.error());
  if (bench.flasher) {
    // A probe cannot program an unpowered target: the board runs from the
    // supply at its device voltage while it is flashed, then the harvester
    // emulation takes the supply over (its first step switches it off).
    const int channel = bench.supply->channel;
    const auto poweredFlash = [&]() -> inst::Status {
      if (auto ok = (*supply)->setCurrentLimit(channel, bench.limits.maxAmps); !ok) return ok;
      if (auto ok = (*supply)->setVoltage(channel, std::min(r.deviceVolts, bench.limits.maxVolts)); !ok) return ok;
      if (auto ok = (*supply)->setOutput(channel, true); !ok) return ok;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the rail settles
      return flashBench(bench, benchFirmware(bench, r.model, r.policy));
    };
    if (auto ok = poweredFlash(); !ok) {
      (void)(*supply)->setOutput(channel, false);
      return std::unexpected(ok.error());
    }
  }
  auto link = inst::makeLink(bench.link->resource, bench.link->baud);
  if (auto ok = link->open(); !ok) return std::unexpected(ok.error());

  inst::HarvesterModel model(r.storage, r.trace, r.storage.vOn);
  inst::SupplyHarvesterConfig config;
  config.channel = bench.supply->channel;
  config.deviceVolts = std::min(r.deviceVolts, bench.limits.maxVolts);
  config.currentLimit = bench.limits.maxAmps;
  config.deviceWatts = r.board.activePowerW;
  config.timeScale = r.timeScale;
  inst::SupplyHarvester harvester(**supply, model, config);
  if (auto ok = harvester.prepare(); !ok) return std::unexpected(ok.error());

  const auto start = Clock::now();
  TelemetryReader reader(*link, start);
  struct Cycle {
    double endS;  // host seconds since start
    inst::PowerCycleRecord record;
  };
  std::vector<Cycle> cycles;
  std::string failure;
  while (reader.results() < r.samples) {
    if (inst::interruptRequested()) {
      (void)harvester.powerOff();
      return inst::fail(inst::ErrorCode::Cancelled, "interrupted: supply output switched off");
    }
    if (Clock::now() >= r.deadline) {
      failure = "did not finish: wall-time limit reached with " + std::to_string(reader.results()) + " of " +
                std::to_string(r.samples) + " results";
      break;
    }
    if (!reader.error().empty()) {
      failure = "the link failed: " + reader.error();
      break;
    }
    auto cycle = harvester.powerOn();
    if (!cycle) {
      (void)harvester.powerOff();
      return std::unexpected(cycle.error());
    }
    cycles.push_back({std::chrono::duration<double>(Clock::now() - start).count(), *cycle});
    if (r.onPowerCycle) r.onPowerCycle(*cycle);
  }
  (void)harvester.powerOff();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the last frames in flight
  reader.stop();

  // Each Result closes an inference that began with the previous one (or the run).
  std::vector<SimulationResult> results;
  SimulationResult current;
  double begun = 0;
  std::size_t nextCycle = 0;
  bool helloChecked = false;
  for (const auto& received : reader.frames()) {
    proto::Hello hello{};
    const auto kind = applyFrame(received.frame(), current, &hello);
    if (kind == proto::MessageType::Hello && !helloChecked) {
      // A device that is not what the profile says would be timed wrong.
      if (auto ok = checkHelloAgainstProfile(hello, r.board); !ok) return std::unexpected(ok.error());
      helloChecked = true;
    }
    if (kind == proto::MessageType::Result) {
      current.finished = current.failure.empty();
      current.latencyS = (received.atS - begun) / r.timeScale;
      while (nextCycle < cycles.size() && cycles[nextCycle].endS <= received.atS + 1e-3)
        current.cycles.push_back(cycles[nextCycle++].record);
      if (nextCycle < cycles.size()) current.cycles.push_back(cycles[nextCycle].record);  // the cycle it finished in
      for (const auto& cycle : current.cycles)
        current.deviceInstructions += static_cast<std::uint64_t>(cycle.onS * r.board.clockHz);
      auto image = loadSubsetImage(r.subset, static_cast<std::size_t>(current.sample));
      if (image) current.label = image->label;
      results.push_back(std::move(current));
      current = SimulationResult{};
      begun = received.atS;
      if (static_cast<int>(results.size()) >= r.samples) break;
    }
  }
  if (!helloChecked && !results.empty())
    return inst::fail(inst::ErrorCode::Protocol, "the board sent results but no Hello frame: its target and clock "
                                                 "cannot be checked against board profile \"" + r.board.name + "\"");
  if (static_cast<int>(results.size()) < r.samples) {
    current.failure = failure.empty() ? "the board sent " + std::to_string(results.size()) + " of " +
                                            std::to_string(r.samples) + " results"
                                      : failure;
    for (; nextCycle < cycles.size(); ++nextCycle) current.cycles.push_back(cycles[nextCycle].record);
    results.push_back(std::move(current));
  }
  for (auto& result : results) result.decoder = reader.counters();
  return results;
}

}  // namespace aidi::core
