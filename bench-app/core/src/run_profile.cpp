#include "aidi/core/run_profile.hpp"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "aidi/db/queries.hpp"
#include "read_database.hpp"
#include "recorded_boards.hpp"

namespace aidi::core {
namespace {

// The events of one inference on the waveform's time axis: each power cycle's
// start and end (with why it ended), each checkpoint at its cycle's start
// plus the device's cycles since boot, the request and the result.
std::vector<ProfileMarker> markersOf(const db::Timeline& t, double clockHz) {
  using Kind = ProfileMarker::Kind;
  std::vector<ProfileMarker> markers;
  if (t.requestS) markers.push_back({Kind::Request, *t.requestS, "inference requested"});
  std::map<std::uint32_t, double> bootStart;
  for (std::size_t i = 0; i < t.cycles.size(); ++i) {
    const auto& c = t.cycles[i];
    bootStart[c.bootId] = c.startS;
    markers.push_back({Kind::PowerOn, c.startS, fmt::format("power-on {} (boot {})", i + 1, c.bootId)});
    const bool last = i + 1 == t.cycles.size();
    const char* cause = last && t.finished ? "done: the result is out"
                        : c.shutdownS > 0  ? "shut down by the device (checkpointed), waiting for V_on"
                                           : "brown-out: the capacitor reached V_off";
    markers.push_back({Kind::PowerOff, c.startS + c.onS + c.sleepS, fmt::format("cycle {} ends: {}", i + 1, cause)});
  }
  if (clockHz > 0)
    for (const auto& c : t.checkpoints) {
      const auto start = bootStart.find(c.bootId);
      if (start == bootStart.end()) continue;
      markers.push_back({Kind::Checkpoint, start->second + c.cyclesSinceBoot / clockHz,
                         c.nvmBytes ? fmt::format("checkpoint: layer {}, job {}, {} NVM bytes", c.layer, c.job, *c.nvmBytes)
                                    : fmt::format("checkpoint: layer {}, job {}", c.layer, c.job)});
    }
  for (const auto& s : t.sleeps) {
    markers.push_back({Kind::Sleep, s.startS, fmt::format("asleep for {:.4g} s", s.seconds)});
    markers.push_back({Kind::Wake, s.startS + s.seconds, "awake"});
  }
  if (t.requestS && t.latencyS) markers.push_back({Kind::Result, *t.requestS + *t.latencyS, "result"});
  std::stable_sort(markers.begin(), markers.end(), [](const auto& a, const auto& b) { return a.t < b.t; });
  return markers;
}

}  // namespace

RunProfile::RunProfile(RunProfile&&) noexcept = default;
RunProfile& RunProfile::operator=(RunProfile&&) noexcept = default;
RunProfile::~RunProfile() = default;

Result<std::vector<int>> RunProfile::recordedSamples(const std::filesystem::path& database, std::int64_t runId) {
  auto db = openForReading(database);
  if (!db) return std::unexpected(db.error());
  auto attempt = db::currentAttempt(*db, runId);
  if (!attempt) return std::unexpected(attempt.error());
  auto channels = db::listChannels(*db, runId, *attempt);
  if (!channels) return std::unexpected(channels.error());
  std::vector<int> samples;
  for (const auto& c : *channels) samples.push_back(c.sample);
  std::sort(samples.begin(), samples.end());
  samples.erase(std::unique(samples.begin(), samples.end()), samples.end());
  return samples;
}

Result<RunProfile> RunProfile::open(const std::filesystem::path& database, std::int64_t runId, int sample) {
  auto db = openForReading(database);
  if (!db) return std::unexpected(db.error());
  RunProfile p;
  p.m_db = std::make_unique<db::Database>(std::move(*db));
  p.m_runId = runId;
  p.m_sample = sample;
  auto attempt = db::currentAttempt(*p.m_db, runId);
  if (!attempt) return std::unexpected(attempt.error());
  if (sample < kWholeRun) return fail(ErrorCode::Invalid, fmt::format("no sample {} in a run", sample));
  auto channels = db::listChannels(*p.m_db, runId, *attempt, sample);
  if (!channels) return std::unexpected(channels.error());
  if (channels->empty())
    return fail(ErrorCode::NotFound, fmt::format("run {} has no waveform of {}: record one with "
                                                 "`waveforms = true` in the campaign's [campaign] table",
                                                 runId, sample == kWholeRun ? std::string("the whole run")
                                                                            : "sample " + std::to_string(sample)));
  p.m_channels = std::move(*channels);
  p.m_startS = p.m_channels.front().startS();
  p.m_endS = p.m_channels.front().endS();
  for (const auto& c : p.m_channels) {
    p.m_startS = std::min(p.m_startS, c.startS());
    p.m_endS = std::max(p.m_endS, c.endS());
  }
  // The sample's events; the whole run's are those of every inference.
  std::vector<db::Timeline> timelines;
  for (std::uint32_t i = sample == kWholeRun ? 0u : static_cast<std::uint32_t>(sample);; ++i) {
    auto timeline = db::runTimeline(*p.m_db, runId, i);
    if (!timeline) return std::unexpected(timeline.error());
    const bool empty = timeline->cycles.empty() && !timeline->requestS;
    if (!empty || timelines.empty()) timelines.push_back(std::move(*timeline));
    if (sample != kWholeRun || empty) break;
  }
  const db::Timeline& first = timelines.front();
  auto board = runBoard(*p.m_db, runId, first.board);
  for (const auto& t : timelines) {
    auto markers = markersOf(t, board ? board->clockHz : 0.0);
    p.m_markers.insert(p.m_markers.end(), markers.begin(), markers.end());
  }
  p.m_requestS = first.requestS.value_or(p.m_startS);
  const std::string which = sample == kWholeRun ? std::string("whole run") : "sample " + std::to_string(sample);
  std::string what;
  if (auto campaign = db::campaignOfRun(*p.m_db, runId))
    if (auto runs = db::runSummaries(*p.m_db, *campaign))
      for (const auto& r : *runs)
        if (r.runId == runId) what = fmt::format(": {} / {} / {}", r.model, r.policy, r.condition);
  p.m_title = fmt::format("run {}, {}{} ({} on board {})", runId, which, what,
                          p.m_channels.front().source == "model" ? "modelled" : p.m_channels.front().source,
                          first.board);
  p.m_reader = std::make_unique<db::WaveformReader>(*p.m_db);
  return p;
}

const ChannelInfo* RunProfile::channel(std::string_view name) const {
  for (const auto& c : m_channels)
    if (c.name == name) return &c;
  return nullptr;
}

Result<std::vector<EnvelopeColumn>> RunProfile::envelope(const ChannelInfo& channel, double t0, double t1,
                                                         int columns) {
  return m_reader->envelope(channel, t0, t1, columns);
}

Result<RangeStats> RunProfile::stats(const ChannelInfo& channel, double t0, double t1) {
  return m_reader->stats(channel, t0, t1);
}

Result<std::vector<std::pair<double, double>>> RunProfile::samples(const ChannelInfo& channel, double t0, double t1,
                                                                   std::size_t maxCount) {
  return m_reader->samples(channel, t0, t1, maxCount);
}

Result<CursorReadout> RunProfile::readout(double t0, double t1) {
  CursorReadout r;
  r.t0 = std::min(t0, t1);
  r.t1 = std::max(t0, t1);
  // The voltage at a cursor: the sample it falls on (the stretch from there
  // on holds that value until the next).
  const auto valueAt = [&](const ChannelInfo& c, double t) -> Result<double> {
    auto s = m_reader->stats(c, t, std::min(t + 1.0, m_endS));
    if (!s) return std::unexpected(s.error());
    return s->count ? s->first : 0.0;
  };
  if (const ChannelInfo* v = channel("voltage")) {
    auto a = valueAt(*v, r.t0), b = valueAt(*v, r.t1);
    if (!a) return std::unexpected(a.error());
    if (!b) return std::unexpected(b.error());
    r.v0 = *a;
    r.v1 = *b;
  }
  for (const auto& [name, into] : {std::pair{"current", &r.chargeC}, std::pair{"power", &r.energyJ}}) {
    const ChannelInfo* c = channel(name);
    if (!c || r.t1 <= r.t0) continue;
    auto s = m_reader->stats(*c, r.t0, r.t1);
    if (!s) return std::unexpected(s.error());
    *into = s->integral;
  }
  return r;
}

Status RunProfile::exportCsv(const std::filesystem::path& path, double t0, double t1, std::size_t maxRows) {
  if (!(t1 > t0)) return fail(ErrorCode::Invalid, "an empty selection: nothing to export");
  std::vector<std::vector<std::pair<double, double>>> columns;
  for (const auto& c : m_channels) {
    auto s = m_reader->samples(c, t0, t1, maxRows);
    if (!s) return std::unexpected(s.error());
    columns.push_back(std::move(*s));
  }
  std::ofstream out(path);
  if (!out) return fail(ErrorCode::Io, "cannot write " + path.string());
  out << "time_s";
  for (const auto& c : m_channels) out << "," << c.name << "_" << c.unit;
  out << "\n";
  // The channels of one source are sampled together: row k of each is one time.
  const std::size_t rows = columns.empty() ? 0 : columns.front().size();
  for (std::size_t k = 0; k < rows; ++k) {
    out << fmt::format("{:.9f}", columns.front()[k].first);
    for (const auto& col : columns) out << fmt::format(",{:.9g}", k < col.size() ? col[k].second : 0.0);
    out << "\n";
  }
  out.flush();
  if (!out) return fail(ErrorCode::Io, "cannot write " + path.string() + " (disk full?)");
  return {};
}

}  // namespace aidi::core
