#include "aidi/core/real_bench.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "aidi/core/model_zoo.hpp"
#include "aidi/inst/registry.hpp"
#include "bench_session.hpp"

namespace aidi::core {
namespace {

using Clock = std::chrono::steady_clock;

// The board's link read on its own thread, each chunk stamped with the time
// it arrived: a real board's result is timed when it came, not when the
// host, busy playing the harvest on the supply, got round to reading it.
class StampedLink final : public inst::Link {
 public:
  StampedLink(inst::Link& link, Clock::time_point start) : m_link(link), m_start(start) {
    m_thread = std::thread([this] { loop(); });
  }
  ~StampedLink() override { close(); }
  inst::Status open() override { return {}; }  // its owner opened the link
  void close() override {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
  }
  inst::Result<std::size_t> read(std::span<std::byte> buffer, inst::Millis timeout) override {
    std::unique_lock lock(m_mutex);
    m_arrived.wait_for(lock, timeout, [&] { return !m_chunks.empty() || m_error; });
    if (m_chunks.empty()) {
      if (m_error) return std::unexpected(*m_error);
      return 0;
    }
    Chunk& chunk = m_chunks.front();
    const std::size_t n = std::min(buffer.size(), chunk.bytes.size() - chunk.taken);
    std::copy_n(chunk.bytes.begin() + static_cast<std::ptrdiff_t>(chunk.taken), n, buffer.begin());
    chunk.taken += n;
    m_lastArrivalS = chunk.atS;
    if (chunk.taken == chunk.bytes.size()) m_chunks.pop_front();
    return n;
  }
  inst::Status write(std::span<const std::byte> data) override { return m_link.write(data); }
  std::string describe() const override { return m_link.describe(); }
  // When the bytes read last arrived, in host seconds since the start.
  double lastArrivalS() const { return m_lastArrivalS; }

 private:
  struct Chunk {
    double atS;
    std::vector<std::byte> bytes;
    std::size_t taken = 0;
  };
  void loop() {
    std::array<std::byte, 1024> buffer;
    while (!m_stop) {
      auto n = m_link.read(buffer, inst::Millis{50});
      const double at = std::chrono::duration<double>(Clock::now() - m_start).count();
      std::lock_guard lock(m_mutex);
      if (!n) {
        m_error = n.error();
        m_arrived.notify_all();
        return;
      }
      if (*n == 0) continue;
      m_chunks.push_back({at, std::vector<std::byte>(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(*n))});
      m_arrived.notify_all();
    }
  }

  inst::Link& m_link;
  Clock::time_point m_start;
  std::mutex m_mutex;
  std::condition_variable m_arrived;
  std::deque<Chunk> m_chunks;
  std::optional<inst::Error> m_error;
  double m_lastArrivalS = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

// A real bench: the supply plays the harvest in real time, the board runs
// its samples in order, and only its telemetry says what it did.
class RealBenchSession final : public BenchSession {
 public:
  RealBenchSession(const BoardProfile& board, inst::BenchHarvester& harvester, inst::Link& link, double timeScale)
      : BenchSession(board, /*helloRequired=*/true),
        m_harvester(harvester),
        m_link(link, Clock::now()),
        m_timeScale(timeScale) {}
  inst::Harvester& harvester() override { return m_harvester; }
  inst::Link& link() override { return m_link; }
  // From the previous result (or the start) to this one's arrival.
  double latencyAtResult(double) override {
    const double at = m_link.lastArrivalS();
    const double latency = (at - m_lastResultS) / m_timeScale;
    m_lastResultS = at;
    return latency;
  }
  // 50 ms off is far longer than any board's rail holds up without its
  // supply; a shorter blip (a cycle that needed no charging) need not reset it.
  bool powerWasCut(const inst::PowerCycleRecord& cycle) const override { return cycle.offS * m_timeScale >= 0.05; }
  // A real board's cycles are not counted: its on-time at its clock.
  std::uint64_t activeCycles(const inst::PowerCycleRecord& cycle) const override {
    return static_cast<std::uint64_t>(cycle.onS * board().clockHz);
  }

 private:
  inst::BenchHarvester& m_harvester;
  StampedLink m_link;
  double m_timeScale;
  double m_lastResultS = 0;
};

// The bench's meter read on its own thread from the moment the harvest
// begins (begin()); what it read before (while the board was flashed) is
// dropped. Its chunks go to the request's onMeterChunk in order.
class MeterRecorder {
 public:
  MeterRecorder(inst::Meter& meter, const RealRunRequest& request) : m_meter(meter), m_request(request) {
    m_thread = std::thread([this] { loop(); });
  }
  ~MeterRecorder() { (void)finish(); }
  // The harvest starts now, at `axisS` on the run's axis.
  void begin(Clock::time_point wall, double axisS) {
    std::lock_guard lock(m_mutex);
    m_beginWall = wall;
    m_beginAxisS = axisS;
    m_begun = true;
  }
  // Stops the thread (a last read first) and the meter; the first error it met.
  inst::Status finish() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    if (!m_stopped) {
      m_stopped = true;
      if (auto ok = m_meter.stop(); !ok && !m_error) m_error = ok.error();
    }
    if (m_error) return std::unexpected(*m_error);
    return {};
  }
  std::optional<inst::Error> error() const {
    std::lock_guard lock(m_mutex);
    return m_error;
  }

 private:
  void loop() {
    inst::MeterChunk chunk;
    bool placed = false;
    MeterStream stream{m_meter.source(), 0, 0, m_meter.hasVolts(), m_meter.hasLogic()};
    for (bool last = false; !last;) {
      last = m_stop;
      chunk.clear();
      if (auto ok = m_meter.read(chunk, inst::Millis{20}); !ok) return fail(ok.error());
      const auto arrived = Clock::now();
      bool begun;
      {
        std::lock_guard lock(m_mutex);
        begun = m_begun;
      }
      if (!begun) {
        m_lostAtBegin = m_meter.lostSamples();  // the meter is read on this thread only
        continue;
      }
      if (chunk.size() == 0) continue;
      if (!placed) {
        const double rate = m_meter.rateHz();
        if (!(rate > 0)) return fail(inst::Error{inst::ErrorCode::Protocol, m_meter.source() + ": no sample rate"});
        const double firstWallS =
            std::chrono::duration<double>(arrived - m_beginWall).count() - static_cast<double>(chunk.size()) / rate;
        stream.t0 = m_beginAxisS + firstWallS / m_request.timeScale;
        stream.rateHz = rate * m_request.timeScale;  // wall samples on the run's (possibly scaled) axis
        placed = true;
      }
      stream.lost = m_meter.lostSamples() - m_lostAtBegin;
      if (m_request.onMeterChunk)
        if (auto ok = m_request.onMeterChunk(stream, chunk); !ok) return fail(ok.error());
    }
  }
  void fail(inst::Error error) {
    std::lock_guard lock(m_mutex);
    error.message = "meter " + m_meter.source() + ": " + error.message;
    m_error = std::move(error);
  }

  inst::Meter& m_meter;
  const RealRunRequest& m_request;
  mutable std::mutex m_mutex;
  std::optional<inst::Error> m_error;
  bool m_begun = false;
  std::uint64_t m_lostAtBegin = 0;
  Clock::time_point m_beginWall;
  double m_beginAxisS = 0;
  std::atomic<bool> m_stop{false};
  bool m_stopped = false;
  std::thread m_thread;
};

}  // namespace

inst::Status runOnRealBench(const RealRunRequest& r) {
  const BenchFile& bench = r.bench;
  if (!bench.supply) return inst::fail(inst::ErrorCode::NotFound, bench.path.string() + ": [supply]: the bench has no supply to power the board");
  if (!bench.link) return inst::fail(inst::ErrorCode::NotFound, bench.path.string() + ": [link]: the bench has no link to read the board");
  // Read at another rate than the board sends, every frame would be noise.
  if (bench.link->resource.kind == inst::VisaResource::Kind::Serial && r.board.telemetryBaud > 0 &&
      static_cast<std::uint32_t>(bench.link->baud) != r.board.telemetryBaud)
    return inst::fail(inst::ErrorCode::Invalid,
                      bench.path.string() + ": link.baud is " + std::to_string(bench.link->baud) + " but board \"" +
                          r.board.name + "\" sends at " + std::to_string(r.board.telemetryBaud) + " Bd (telemetry_baud in " +
                          r.board.path.string() + ")");
  auto supply = inst::openPowerSupply(bench.supply->resource.text, bench.limits, {.driver = bench.supply->driver});
  if (!supply) return std::unexpected(supply.error());
  const int channel = bench.supply->channel;
  auto mode = inst::harvesterMode(bench.harvest.mode);
  if (!mode) return std::unexpected(mode.error());
  // A meter in series (a PPK2's pass-through) must be closed before the
  // board can be powered, for flashing too: it starts first.
  std::unique_ptr<inst::Meter> meter;
  std::optional<MeterRecorder> recorder;  // declared after the meter: it stops first
  if (bench.meter) {
    const auto named = [&](inst::Error e) {
      e.message = "meter " + bench.meter->driver + ": " + e.message;
      return std::unexpected(std::move(e));
    };
    auto opened = inst::openMeter(bench.meter->driver, bench.meter->resource.text, bench.limits);
    if (!opened) return named(opened.error());
    meter = std::move(*opened);
    if (auto ok = meter->start(); !ok) return named(ok.error());
    recorder.emplace(*meter, r);
  }
  if (bench.flasher)  // powered at the device voltage while flashed, then off for the harvester
    if (auto ok = flashBench(bench, benchFirmware(bench, r.model, r.policy), r.deviceVolts, supply->get()); !ok)
      return std::unexpected(ok.error());
  auto link = inst::makeLink(bench.link->resource, bench.link->baud);
  if (auto ok = link->open(); !ok) {
    (void)(*supply)->setOutput(channel, false);  // off on any fault (flashing left it off already)
    return std::unexpected(ok.error());
  }

  inst::HarvesterModel model(r.storage, r.trace, r.window.startVolts(r.storage), r.window.startS);
  model.setWindowEnd(r.window.startS + r.window.windowS * std::max(1, r.samples));
  inst::BenchHarvesterSetup setup;
  setup.channel = channel;
  setup.model = &model;
  setup.trace = &r.trace;
  setup.traceStartS = r.window.startS;
  setup.vOn = r.storage.vOn;
  setup.vOff = r.storage.vOff;
  setup.startVolts = r.window.startVolts(r.storage);
  setup.vMax = std::min(r.storage.vMax, bench.limits.maxVolts);
  setup.efficiency = r.storage.efficiency;
  setup.stepS = bench.harvest.stepS;
  setup.deviceVolts = std::min(r.deviceVolts, bench.limits.maxVolts);
  setup.currentLimit = bench.limits.maxAmps;
  setup.deviceWatts = r.board.runningPowerW();
  setup.timeScale = r.timeScale;
  setup.measureIntervalS = r.measureIntervalS;
  std::unique_ptr<inst::BenchHarvester> harvester = (*mode)->make(**supply, setup);
  if (auto ok = harvester->prepare(); !ok) {
    (void)(*supply)->setOutput(channel, false);
    return std::unexpected(ok.error());
  }

  RealBenchSession session(r.board, *harvester, *link, r.timeScale);
  if (recorder) recorder->begin(Clock::now(), r.window.startS);
  const auto stop = [&](inst::Error error) {
    (void)harvester->powerOff();
    if (recorder) (void)recorder->finish();
    return std::unexpected(std::move(error));
  };
  std::optional<ResultWarning> inherited;
  for (int sample = 0; sample < r.samples; ++sample) {
    auto result = runSample(session, {.deadline = r.deadline, .onPowerCycle = r.onPowerCycle});
    if (!result && result.error().code == inst::ErrorCode::Cancelled)
      return stop(inst::Error{inst::ErrorCode::Cancelled, "interrupted: supply output switched off"});
    // The link failed, the board is not its profile, or the wall-time limit
    // passed: an error of the bench; the samples before it are recorded.
    if (!result) return stop(result.error());
    if (result->inherited) {  // not this run's: said with its first sample
      inherited = ResultWarning{"inherited-inference",
                                "the board first finished an inference an earlier run had begun (its FRAM kept the "
                                "progress; prediction " + std::to_string(result->predicted) +
                                    "); not counted, this sample began when it ended"};
      --sample;
      continue;
    }
    if (inherited) result->warnings.insert(result->warnings.begin(), *std::exchange(inherited, std::nullopt));
    result->measured = harvester->takeMeasurements();
    result->emulation = harvester->emulation();
    if (result->sample >= 0)
      if (auto image = loadSubsetImage(r.subset, static_cast<std::size_t>(result->sample))) result->label = image->label;
    const bool finished = result->finished;
    if (r.onSample)
      if (auto ok = r.onSample(sample, *result); !ok) return stop(ok.error());
    if (recorder)
      if (auto error = recorder->error()) return stop(*error);
    if (!finished) break;  // the board's samples are no longer in step with ours
  }
  (void)harvester->powerOff();
  if (recorder)
    if (auto ok = recorder->finish(); !ok) return std::unexpected(ok.error());
  return {};
}

}  // namespace aidi::core
