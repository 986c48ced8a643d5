#include "aidi/db/waveform_store.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "aidi/db/database.hpp"
#include "sqlite.hpp"
#include "waveform_codec.hpp"

namespace aidi::db {
namespace {

constexpr std::size_t kBlock = kWaveformBlockValues;
constexpr std::uint64_t kFan = kWaveformFanOut;
constexpr int kMaxLevels = 8;  // 64^7 samples is years at 1 MS/s

std::uint64_t groupSize(int level) {
  std::uint64_t g = 1;
  for (int i = 0; i < level; ++i) g *= kFan;
  return g;
}

std::string where(const ChannelInfo& c) {
  return "waveform of run " + std::to_string(c.runId) + " (" + c.source + " " + c.name + ")";
}

}  // namespace

// ---------------------------------------------------------------- listing

Result<std::vector<ChannelInfo>> listChannels(Database& db, std::int64_t runId, int attempt, int sample) {
  auto channels = sql::Statement::prepare(
      db.handle(),
      "SELECT id, sample, source, name, unit, step FROM waveform_channels"
      " WHERE run_id = ?1 AND attempt = ?2 AND (?3 < -1 OR sample = ?3) ORDER BY sample, source, id");
  auto segments = sql::Statement::prepare(
      db.handle(), "SELECT id, t0_s, rate_hz, count, levels FROM waveform_segments WHERE channel_id = ? ORDER BY seq");
  if (!channels) return std::unexpected(channels.error());
  if (!segments) return std::unexpected(segments.error());
  channels->bind(1, runId).bind(2, attempt).bind(3, sample);
  std::vector<ChannelInfo> out;
  for (;;) {
    auto row = channels->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    ChannelInfo c{channels->integer(0), runId, attempt, static_cast<int>(channels->integer(1)),
                  channels->text(2), channels->text(3), channels->text(4), channels->real(5), {}};
    segments->bind(1, c.id);
    for (;;) {
      auto s = segments->step();
      if (!s) return std::unexpected(s.error());
      if (!*s) break;
      c.segments.push_back({segments->integer(0), segments->real(1), segments->real(2),
                            static_cast<std::uint64_t>(segments->integer(3)),
                            segments->isNull(4) ? 0 : static_cast<int>(segments->integer(4))});
    }
    segments->reset();
    out.push_back(std::move(c));
  }
  return out;
}

// ---------------------------------------------------------------- writer

namespace {

// One level of one channel's pyramid while it is written: entries waiting
// to fill a block, and the group of them being summed for the level above.
struct Level {
  std::vector<std::int32_t> min, max;
  std::vector<std::int64_t> sum;
  std::uint64_t blocksWritten = 0, entries = 0;
  std::int32_t groupMin = 0, groupMax = 0;
  std::int64_t groupSum = 0;
  std::uint64_t groupCount = 0;
};

struct Channel {
  ChannelSpec spec;
  std::int64_t id = 0, segmentId = 0;
  std::vector<Level> levels;  // [0]: samples (min only)
};

}  // namespace

struct WaveformWriter::Impl {
  Database* db = nullptr;
  Options options;
  std::vector<Channel> channels;
  sql::Statement insertSegment, insertBlock, updateCount, begin, commit;
  bool inTransaction = false, finished = false;
  int segmentSeq = 0;
  double segmentEnd = -std::numeric_limits<double>::infinity();
  double rateHz = 0;
  std::uint64_t segmentSamples = 0;  // appended to the current segment
  std::size_t blocksSinceCommit = 0;
  std::vector<std::vector<std::int32_t>> codes;  // an append's values, all checked before any is stored

  Status beginIfNeeded() {
    if (inTransaction) return {};
    if (auto ok = begin.run(); !ok) return ok;
    inTransaction = true;
    return {};
  }

  Status commitNow() {
    if (!inTransaction) return {};
    for (const auto& c : channels) {
      if (c.segmentId == 0) continue;
      const auto written = c.levels[0].blocksWritten * kBlock;
      if (auto ok = updateCount.bind(1, written).bindNull(2).bind(3, c.segmentId).run(); !ok) return ok;
    }
    if (auto ok = commit.run(); !ok) return ok;
    inTransaction = false;
    blocksSinceCommit = 0;
    return {};
  }

  Status writeBlock(Channel& c, int level, bool last) {
    Level& l = c.levels[static_cast<std::size_t>(level)];
    if (l.min.empty()) return {};
    if (auto ok = beginIfNeeded(); !ok) return ok;
    const std::string blob = level == 0 ? wave::encodeSamples(l.min, options.zstdLevel)
                                        : wave::encodeSummary(l.min, l.max, l.sum, options.zstdLevel);
    const auto count = l.min.size();
    if (auto ok = insertBlock.bind(1, c.segmentId).bind(2, level).bind(3, l.blocksWritten).bind(4, count)
                      .bindBlob(5, blob).run();
        !ok)
      return ok;
    ++l.blocksWritten;
    l.min.clear();
    l.max.clear();
    l.sum.clear();
    if (level == 0 && !last && ++blocksSinceCommit >= options.blocksPerCommit) return commitNow();
    return {};
  }

  // Adds an entry (a sample at level 0) to `level`, and to the group summed
  // for the level above.
  Status add(Channel& c, int level, std::int32_t lo, std::int32_t hi, std::int64_t total, std::uint64_t span) {
    Level& l = c.levels[static_cast<std::size_t>(level)];
    l.min.push_back(lo);
    if (level > 0) {
      l.max.push_back(hi);
      l.sum.push_back(total);
    }
    ++l.entries;
    if (l.groupCount == 0) {
      l.groupMin = lo;
      l.groupMax = hi;
      l.groupSum = 0;
    } else {
      l.groupMin = std::min(l.groupMin, lo);
      l.groupMax = std::max(l.groupMax, hi);
    }
    l.groupSum += total;
    l.groupCount += span;
    if (l.min.size() == kBlock)
      if (auto ok = writeBlock(c, level, false); !ok) return ok;
    if (l.groupCount == groupSize(level + 1) && level + 1 < kMaxLevels) return closeGroup(c, level);
    return {};
  }

  Status closeGroup(Channel& c, int level) {
    Level& l = c.levels[static_cast<std::size_t>(level)];
    const auto lo = l.groupMin, hi = l.groupMax;
    const std::int64_t total = l.groupSum;
    const std::uint64_t span = l.groupCount;
    l.groupCount = 0;
    if (c.levels.size() <= static_cast<std::size_t>(level + 1)) c.levels.emplace_back();  // (invalidates l)
    return add(c, level + 1, lo, hi, total, span);
  }

  // Ends the segment: the last partial groups join the levels that already
  // have entries (a level with none would hold one entry: not needed), then
  // every level's last block.
  Status endSegment() {
    for (auto& c : channels) {
      if (c.segmentId == 0) continue;
      for (std::size_t k = 0; k < c.levels.size(); ++k) {
        if (c.levels[k].groupCount > 0 && k + 1 < c.levels.size())
          if (auto ok = closeGroup(c, static_cast<int>(k)); !ok) return ok;
      }
      for (std::size_t k = 0; k < c.levels.size(); ++k)
        if (auto ok = writeBlock(c, static_cast<int>(k), true); !ok) return ok;
      if (auto ok = beginIfNeeded(); !ok) return ok;
      const auto levels = static_cast<int>(c.levels.size());
      if (auto ok = updateCount.bind(1, c.levels[0].entries).bind(2, levels).bind(3, c.segmentId).run(); !ok) return ok;
      c.levels.clear();
      c.segmentId = 0;
    }
    return commitNow();
  }
};

WaveformWriter::WaveformWriter(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
WaveformWriter::WaveformWriter(WaveformWriter&&) noexcept = default;
WaveformWriter& WaveformWriter::operator=(WaveformWriter&&) noexcept = default;
WaveformWriter::~WaveformWriter() {
  // Keeps what was written (a writer dropped on an error path); the partial
  // blocks in memory are lost with it.
  if (m_impl && m_impl->inTransaction) (void)m_impl->commitNow();
}

Result<WaveformWriter> WaveformWriter::create(Database& db, std::int64_t runId, int attempt, int sample,
                                              std::string source, std::vector<ChannelSpec> channels,
                                              Options options) {
  if (channels.empty()) return fail(ErrorCode::Invalid, "a waveform needs at least one channel");
  if (options.zstdLevel < 1 || options.zstdLevel > 19 || options.blocksPerCommit == 0)
    return fail(ErrorCode::Invalid, "waveform writer: zstd level 1..19 and at least one block per commit");
  auto impl = std::make_unique<Impl>();
  impl->db = &db;
  impl->options = options;
  struct Item {
    sql::Statement& stmt;
    const char* text;
  } items[] = {
      {impl->insertSegment, "INSERT INTO waveform_segments (channel_id, seq, t0_s, rate_hz) VALUES (?,?,?,?)"},
      {impl->insertBlock, "INSERT INTO waveform_blocks (segment_id, level, block, count, data) VALUES (?,?,?,?,?)"},
      {impl->updateCount, "UPDATE waveform_segments SET count = ?, levels = ? WHERE id = ?"},
      {impl->begin, "BEGIN IMMEDIATE"},
      {impl->commit, "COMMIT"},
  };
  for (auto& item : items) {
    auto stmt = sql::Statement::prepare(db.handle(), item.text);
    if (!stmt) return std::unexpected(stmt.error());
    item.stmt = std::move(*stmt);
  }
  for (const auto& spec : channels)
    if (!(spec.step > 0) || !std::isfinite(spec.step))
      return fail(ErrorCode::Invalid, "waveform channel \"" + spec.name + "\": its step must be a positive number");
  auto insertChannel = sql::Statement::prepare(
      db.handle(),
      "INSERT INTO waveform_channels (run_id, attempt, sample, source, name, unit, step) VALUES (?,?,?,?,?,?,?)");
  if (!insertChannel) return std::unexpected(insertChannel.error());
  if (auto ok = impl->beginIfNeeded(); !ok) return std::unexpected(ok.error());
  for (auto& spec : channels) {
    auto ok = insertChannel->bind(1, runId).bind(2, attempt).bind(3, sample).bind(4, source).bind(5, spec.name)
                  .bind(6, spec.unit).bind(7, spec.step).run();
    if (!ok) {
      (void)sql::exec(db.handle(), "ROLLBACK");
      impl->inTransaction = false;
      return std::unexpected(Error{ok.error().code, "waveform channel \"" + spec.name + "\" of run " +
                                                        std::to_string(runId) + ": " + ok.error().message});
    }
    Channel c;
    c.spec = std::move(spec);
    c.id = sqlite3_last_insert_rowid(db.handle());
    impl->channels.push_back(std::move(c));
  }
  if (auto ok = impl->commitNow(); !ok) return std::unexpected(ok.error());
  return WaveformWriter(std::move(impl));
}

Status WaveformWriter::commit() {
  if (m_impl->finished) return fail(ErrorCode::Closed, "waveform writer: already finished");
  return m_impl->commitNow();
}

Status WaveformWriter::startSegment(double t0, double rateHz) {
  Impl& w = *m_impl;
  if (w.finished) return fail(ErrorCode::Closed, "waveform writer: already finished");
  if (!std::isfinite(t0) || !(rateHz > 0) || !std::isfinite(rateHz) || rateHz > 1e9)
    return fail(ErrorCode::Invalid, "waveform segment: need a finite start and a rate from 0 to 1 GHz");
  if (auto ok = w.endSegment(); !ok) return ok;
  if (t0 < w.segmentEnd - 1e-9 * std::max(1.0, std::abs(t0)))  // (rounding of the previous end)
    return fail(ErrorCode::Invalid, "waveform segment at " + std::to_string(t0) + " s starts before the previous one ends (" +
                                        std::to_string(w.segmentEnd) + " s)");
  if (auto ok = w.beginIfNeeded(); !ok) return ok;
  for (auto& c : w.channels) {
    if (auto ok = w.insertSegment.bind(1, c.id).bind(2, w.segmentSeq).bind(3, t0).bind(4, rateHz).run(); !ok) return ok;
    c.segmentId = sqlite3_last_insert_rowid(w.db->handle());
    c.levels.assign(1, Level{});
  }
  ++w.segmentSeq;
  w.rateHz = rateHz;
  w.segmentEnd = t0;
  w.segmentSamples = 0;
  return {};
}

Status WaveformWriter::append(std::span<const std::span<const double>> columns) {
  Impl& w = *m_impl;
  if (w.finished) return fail(ErrorCode::Closed, "waveform writer: already finished");
  if (columns.size() != w.channels.size())
    return fail(ErrorCode::Invalid, "waveform append: " + std::to_string(columns.size()) + " columns for " +
                                        std::to_string(w.channels.size()) + " channels");
  if (w.channels.front().segmentId == 0) return fail(ErrorCode::Invalid, "waveform append: no segment started");
  const std::size_t n = columns.front().size();
  for (const auto& col : columns)
    if (col.size() != n) return fail(ErrorCode::Invalid, "waveform append: channels given different numbers of samples");
  // Every value checked first: a refused append stores nothing, and the
  // channels stay sample for sample together.
  w.codes.resize(w.channels.size());
  for (std::size_t k = 0; k < w.channels.size(); ++k) {
    const Channel& c = w.channels[k];
    const double inverse = 1.0 / c.spec.step;
    w.codes[k].resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double v = columns[k][i];
      const double code = std::nearbyint(v * inverse);
      if (!(std::abs(code) <= 2147483647.0))
        return fail(std::isfinite(v) ? ErrorCode::Limit : ErrorCode::Invalid,
                    "waveform channel \"" + c.spec.name + "\": sample " + std::to_string(w.segmentSamples + i) +
                        (std::isfinite(v) ? " (" + std::to_string(v) + " " + c.spec.unit + ") is beyond its range" : " is not a number"));
      w.codes[k][i] = static_cast<std::int32_t>(code);
    }
  }
  for (std::size_t k = 0; k < w.channels.size(); ++k)
    for (const std::int32_t q : w.codes[k])
      if (auto ok = w.add(w.channels[k], 0, q, q, q, 1); !ok) return ok;
  w.segmentSamples += n;
  w.segmentEnd += static_cast<double>(n) / w.rateHz;
  return {};
}

Status WaveformWriter::finish() {
  Impl& w = *m_impl;
  if (w.finished) return {};
  if (auto ok = w.endSegment(); !ok) return ok;
  w.finished = true;
  return {};
}

// ---------------------------------------------------------------- reader

struct WaveformReader::Impl {
  Database* db = nullptr;
  std::size_t cacheBytes = 0, cachedBytes = 0;
  sql::Statement selectBlock, selectLevels;
  struct Key {
    std::int64_t segment;
    int level;
    std::uint64_t block;
    auto operator<=>(const Key&) const = default;
  };
  using Entry = std::pair<Key, std::shared_ptr<const wave::Block>>;
  std::list<Entry> lru;
  std::map<Key, std::list<Entry>::iterator> index;
  std::map<std::int64_t, std::vector<std::uint64_t>> levelEntries;  // per segment: entries per level

  Status prepare() {
    if (selectBlock) return {};
    auto a = sql::Statement::prepare(db->handle(),
                                     "SELECT data FROM waveform_blocks WHERE segment_id = ? AND level = ? AND block = ?");
    auto b = sql::Statement::prepare(
        db->handle(), "SELECT level, SUM(count) FROM waveform_blocks WHERE segment_id = ? GROUP BY level ORDER BY level");
    if (!a) return std::unexpected(a.error());
    if (!b) return std::unexpected(b.error());
    selectBlock = std::move(*a);
    selectLevels = std::move(*b);
    return {};
  }

  // Entries stored per level, contiguous from level 0 (levels a crash left
  // unwritten are simply absent; level 0 counts only what was committed).
  Result<const std::vector<std::uint64_t>*> levels(const SegmentInfo& s) {
    if (auto it = levelEntries.find(s.id); it != levelEntries.end()) return &it->second;
    if (s.levels > 0) {
      // Complete: level k holds ceil(count / 64^k) entries.
      std::vector<std::uint64_t> out;
      for (int k = 0; k < s.levels; ++k) out.push_back((s.count + groupSize(k) - 1) / groupSize(k));
      return &levelEntries.emplace(s.id, std::move(out)).first->second;
    }
    if (auto ok = prepare(); !ok) return std::unexpected(ok.error());
    std::vector<std::uint64_t> out;
    selectLevels.bind(1, s.id);
    for (;;) {
      auto row = selectLevels.step();
      if (!row) {
        selectLevels.reset();
        return std::unexpected(row.error());
      }
      if (!*row) break;
      if (selectLevels.integer(0) != static_cast<std::int64_t>(out.size())) break;
      out.push_back(static_cast<std::uint64_t>(selectLevels.integer(1)));
    }
    selectLevels.reset();
    if (out.empty()) out.push_back(0);
    out[0] = std::min(out[0], s.count);
    return &levelEntries.emplace(s.id, std::move(out)).first->second;
  }

  // `withSums`: a summary block's sums too (integrals need them, drawing does not).
  Result<std::shared_ptr<const wave::Block>> block(const ChannelInfo& c, const SegmentInfo& s, int level,
                                                   std::uint64_t number, bool withSums) {
    const Key key{s.id, level, number};
    if (auto it = index.find(key); it != index.end()) {
      const bool complete = level == 0 || !withSums || !it->second->second->sum.empty();
      if (complete) {
        lru.splice(lru.begin(), lru, it->second);
        return it->second->second;
      }
      cachedBytes -= it->second->second->bytes();
      lru.erase(it->second);
      index.erase(it);
    }
    if (auto ok = prepare(); !ok) return std::unexpected(ok.error());
    selectBlock.bind(1, s.id).bind(2, level).bind(3, number);
    auto row = selectBlock.step();
    const auto name = where(c) + ", level " + std::to_string(level) + " block " + std::to_string(number);
    if (!row) {
      selectBlock.reset();
      return std::unexpected(row.error());
    }
    if (!*row) {
      selectBlock.reset();
      return fail(ErrorCode::Corrupt, name + " is missing");
    }
    auto decoded = wave::decode(selectBlock.blob(0), withSums);
    selectBlock.reset();
    if (!decoded) return std::unexpected(Error{decoded.error().code, name + ": " + decoded.error().message});
    if (decoded->summary != (level > 0)) return fail(ErrorCode::Corrupt, name + " is of the wrong kind");
    auto shared = std::make_shared<const wave::Block>(std::move(*decoded));
    lru.emplace_front(key, shared);
    index[key] = lru.begin();
    cachedBytes += shared->bytes();
    while (cachedBytes > cacheBytes && lru.size() > 1) {
      cachedBytes -= lru.back().second->bytes();
      index.erase(lru.back().first);
      lru.pop_back();
    }
    return shared;
  }

  // Calls f(block, from, to) over entries [first, last) of `level`.
  template <class F>
  Status forEntries(const ChannelInfo& c, const SegmentInfo& s, int level, std::uint64_t first, std::uint64_t last,
                    bool withSums, F&& f) {
    while (first < last) {
      const std::uint64_t number = first / kBlock;
      auto b = block(c, s, level, number, withSums);
      if (!b) return std::unexpected(b.error());
      const std::size_t from = static_cast<std::size_t>(first - number * kBlock);
      const std::size_t to = static_cast<std::size_t>(std::min<std::uint64_t>(last - number * kBlock, (*b)->size()));
      if (to <= from) return fail(ErrorCode::Corrupt, where(c) + ": level " + std::to_string(level) + " block " +
                                                          std::to_string(number) + " is shorter than its segment");
      f(**b, from, to);
      first = number * kBlock + to;
    }
    return {};
  }

  // Extremes (and, for integrals, count and sum) of the entries it is given.
  struct Accumulator {
    std::uint64_t count = 0;
    std::int32_t lo = std::numeric_limits<std::int32_t>::max(), hi = std::numeric_limits<std::int32_t>::min();
    std::int64_t sum = 0;
    void widen(const wave::Block& blk, std::size_t from, std::size_t to) {
      for (std::size_t i = from; i < to; ++i) {
        lo = std::min(lo, blk.lo(i));
        hi = std::max(hi, blk.hi(i));
      }
    }
    // Entries [from, to) of a block decoded with its sums, covering `samples` samples.
    void add(const wave::Block& blk, std::size_t from, std::size_t to, std::uint64_t samples) {
      widen(blk, from, to);
      for (std::size_t i = from; i < to; ++i) sum += blk.total(i);
      count += samples;
    }
  };

  // Adds samples [a, b) of the segment, whole groups of `level` where they fit.
  Status accumulate(const ChannelInfo& c, const SegmentInfo& s, const std::vector<std::uint64_t>& entries, int level,
                    std::uint64_t a, std::uint64_t b, Accumulator& acc) {
    if (a >= b) return {};
    if (level == 0) {
      return forEntries(c, s, 0, a, b, false, [&](const wave::Block& blk, std::size_t from, std::size_t to) {
        acc.add(blk, from, to, to - from);
      });
    }
    const std::uint64_t g = groupSize(level);
    const std::uint64_t A = (a + g - 1) / g * g;
    const std::uint64_t B = std::min(b / g, entries[static_cast<std::size_t>(level)]) * g;
    if (A >= B) return accumulate(c, s, entries, level - 1, a, b, acc);
    if (auto ok = accumulate(c, s, entries, level - 1, a, A, acc); !ok) return ok;
    auto ok = forEntries(c, s, level, A / g, B / g, true, [&](const wave::Block& blk, std::size_t from, std::size_t to) {
      acc.add(blk, from, to, (to - from) * g);
    });
    if (!ok) return ok;
    return accumulate(c, s, entries, level - 1, B, b, acc);
  }

  // The sample index range [a, b) of `s` within [t0, t1).
  static std::pair<std::uint64_t, std::uint64_t> indices(const SegmentInfo& s, double t0, double t1) {
    const auto at = [&](double t) {
      const double i = std::ceil((t - s.t0) * s.rateHz - 1e-9);
      return static_cast<std::uint64_t>(std::clamp(i, 0.0, static_cast<double>(s.count)));
    };
    return {at(t0), at(t1)};
  }
};

WaveformReader::WaveformReader(Database& db, std::size_t cacheBytes) : m_impl(std::make_unique<Impl>()) {
  m_impl->db = &db;
  m_impl->cacheBytes = cacheBytes;
}
WaveformReader::~WaveformReader() = default;

Result<RangeStats> WaveformReader::stats(const ChannelInfo& channel, double t0, double t1) {
  if (!(t1 >= t0) || !std::isfinite(t0) || !std::isfinite(t1))
    return fail(ErrorCode::Invalid, where(channel) + ": need finite times with t1 >= t0");
  RangeStats out;
  bool any = false;
  for (const auto& s : channel.segments) {
    auto [a, b] = Impl::indices(s, t0, t1);
    auto entries = m_impl->levels(s);
    if (!entries) return std::unexpected(entries.error());
    b = std::min(b, (**entries)[0]);
    if (a >= b) continue;
    Impl::Accumulator acc;
    const int top = static_cast<int>((*entries)->size()) - 1;
    if (auto ok = m_impl->accumulate(channel, s, **entries, top, a, b, acc); !ok) return std::unexpected(ok.error());
    double firstValue = 0, lastValue = 0;
    auto edge = [&](std::uint64_t i, double& v) {
      return m_impl->forEntries(channel, s, 0, i, i + 1, false, [&](const wave::Block& blk, std::size_t from, std::size_t) {
        v = blk.min[from] * channel.step;
      });
    };
    if (auto ok = edge(a, firstValue); !ok) return std::unexpected(ok.error());
    if (auto ok = edge(b - 1, lastValue); !ok) return std::unexpected(ok.error());
    if (!any) out.first = firstValue;
    out.last = lastValue;
    out.min = any ? std::min(out.min, acc.lo * channel.step) : acc.lo * channel.step;
    out.max = any ? std::max(out.max, acc.hi * channel.step) : acc.hi * channel.step;
    out.count += acc.count;
    out.sum += static_cast<double>(acc.sum) * channel.step;
    out.integral += static_cast<double>(acc.sum) * channel.step / s.rateHz;
    any = true;
  }
  return out;
}

Result<std::vector<EnvelopeColumn>> WaveformReader::envelope(const ChannelInfo& channel, double t0, double t1,
                                                             int columns) {
  if (columns <= 0 || columns > 100000 || !(t1 > t0) || !std::isfinite(t0) || !std::isfinite(t1))
    return fail(ErrorCode::Invalid, where(channel) + ": need 1..100000 columns over a finite span t1 > t0");
  std::vector<EnvelopeColumn> out(static_cast<std::size_t>(columns));
  const double width = (t1 - t0) / columns;
  for (const auto& s : channel.segments) {
    auto entriesResult = m_impl->levels(s);
    if (!entriesResult) return std::unexpected(entriesResult.error());
    const auto& entries = **entriesResult;
    const std::uint64_t count = entries[0];
    if (count == 0 || s.t0 >= t1 || s.endS() <= t0) continue;
    const double perColumn = width * s.rateHz;
    int level = 0;
    while (level + 1 < static_cast<int>(entries.size()) && 2.0 * static_cast<double>(groupSize(level + 1)) <= perColumn) ++level;
    // (Clamped as doubles: a long segment seen through a narrow window is
    // billions of columns wide.)
    const int firstColumn = static_cast<int>(std::clamp(std::floor((s.t0 - t0) / width), 0.0, double(columns)));
    const int lastColumn = static_cast<int>(std::clamp(std::ceil((s.endS() - t0) / width), 0.0, double(columns)));
    for (int col = firstColumn; col < lastColumn; ++col) {
      const double c0 = t0 + col * width, c1 = c0 + width;
      auto [a, b] = Impl::indices(s, c0, c1);
      b = std::min(b, count);
      if (a >= b) {
        // Narrower than a sample: the sample held over this column.
        const double i = std::floor((0.5 * (c0 + c1) - s.t0) * s.rateHz);
        if (i < 0 || i >= static_cast<double>(count)) continue;
        a = static_cast<std::uint64_t>(i);
        b = a + 1;
      }
      int l = level;
      while (l > 0 && (b - 1) / groupSize(l) >= entries[static_cast<std::size_t>(l)]) --l;  // a crash left it short
      const std::uint64_t g = groupSize(l);
      Impl::Accumulator acc;
      auto ok = m_impl->forEntries(channel, s, l, a / g, (b - 1) / g + 1, false,
                                   [&](const wave::Block& blk, std::size_t from, std::size_t to) { acc.widen(blk, from, to); });
      if (!ok) return std::unexpected(ok.error());
      auto& column = out[static_cast<std::size_t>(col)];
      const double vLo = acc.lo * channel.step, vHi = acc.hi * channel.step;
      column.min = column.empty ? vLo : std::min(column.min, vLo);
      column.max = column.empty ? vHi : std::max(column.max, vHi);
      column.empty = false;
    }
  }
  return out;
}

Result<std::vector<std::pair<double, double>>> WaveformReader::samples(const ChannelInfo& channel, double t0, double t1,
                                                                       std::size_t maxCount) {
  if (!(t1 >= t0) || !std::isfinite(t0) || !std::isfinite(t1))
    return fail(ErrorCode::Invalid, where(channel) + ": need finite times with t1 >= t0");
  std::vector<std::pair<double, double>> out;
  for (const auto& s : channel.segments) {
    auto entries = m_impl->levels(s);
    if (!entries) return std::unexpected(entries.error());
    auto [a, b] = Impl::indices(s, t0, t1);
    b = std::min(b, (**entries)[0]);
    if (a >= b) continue;
    if (out.size() + (b - a) > maxCount)
      return fail(ErrorCode::Limit, where(channel) + ": " + std::to_string(out.size() + (b - a)) +
                                        " samples in the span, more than the " + std::to_string(maxCount) + " asked for");
    std::uint64_t index = a;  // times from the indices: t0 + i / rate
    auto ok = m_impl->forEntries(channel, s, 0, a, b, false, [&](const wave::Block& blk, std::size_t from, std::size_t to) {
      for (std::size_t i = from; i < to; ++i, ++index)
        out.emplace_back(s.t0 + static_cast<double>(index) / s.rateHz, blk.min[i] * channel.step);
    });
    if (!ok) return std::unexpected(ok.error());
  }
  return out;
}

}  // namespace aidi::db
