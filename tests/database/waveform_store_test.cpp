// The waveform store: what goes in comes out (values, times), its integrals
// and envelopes agree with a brute-force computation over the same samples,
// and bad values, bad spans and damaged blocks are refused by name.
#include "aidi/db/waveform_store.hpp"

#include <cmath>
#include <random>

#include "aidi/db/campaign_store.hpp"
#include "db_test_support.hpp"

using namespace aidi::db;

namespace {

class WaveformTest : public aidi::test::ClaimedRunTest {
 protected:
  // A device's current: sleep at 2 uA, bursts of 2 mA with noise, as codes
  // of 1 nA (what the store keeps), and the voltage falling while it runs.
  static std::vector<double> current(std::size_t n, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> noise(0, 3e-6);
    std::vector<double> v(n);
    for (std::size_t i = 0; i < n; ++i) {
      const bool active = (i / 7000) % 3 == 1;
      v[i] = std::round(((active ? 2e-3 : 2e-6) + (active ? noise(rng) : 0)) * 1e9) * 1e-9;
    }
    return v;
  }

  void write(Database& db, const std::vector<std::vector<double>>& segments, double rate = 100e3) {
    auto writer = WaveformWriter::create(db, m_runId, m_attempt, 0, "model", {{"current", "A", 1e-9}});
    ASSERT_TRUE(writer) << writer.error().message;
    double t = 1.0;
    for (const auto& values : segments) {
      ASSERT_TRUE(writer->startSegment(t, rate));
      // In uneven pieces, as an instrument delivers them.
      for (std::size_t at = 0; at < values.size();) {
        const std::size_t n = std::min<std::size_t>(values.size() - at, 1 + (at * 7919) % 40000);
        const std::span<const double> piece(values.data() + at, n);
        ASSERT_TRUE(writer->append(std::span(&piece, 1)));
        at += n;
      }
      t += static_cast<double>(values.size()) / rate + 0.5;  // a gap between segments
    }
    ASSERT_TRUE(writer->finish());
  }
};

TEST_F(WaveformTest, SamplesComeBackWithTheirTimes) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  const auto a = current(200'000, 1), b = current(70'001, 2);
  write(*db, {a, b});
  auto channels = listChannels(*db, m_runId, m_attempt);
  ASSERT_TRUE(channels) << channels.error().message;
  ASSERT_EQ(channels->size(), 1u);
  const ChannelInfo& c = channels->front();
  ASSERT_EQ(c.segments.size(), 2u);
  EXPECT_EQ(c.segments[0].count, 200'000u);
  EXPECT_EQ(c.segments[1].count, 70'001u);
  EXPECT_DOUBLE_EQ(c.segments[1].t0, 1.0 + 2.0 + 0.5);

  WaveformReader reader(*db);
  auto all = reader.samples(c, 0, 100, 1'000'000);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), a.size() + b.size());
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR((*all)[i].second, a[i], 1e-12) << i;
  for (std::size_t i = 0; i < b.size(); ++i) ASSERT_NEAR((*all)[a.size() + i].second, b[i], 1e-12) << i;
  EXPECT_DOUBLE_EQ((*all)[12345].first, 1.0 + 12345 / 100e3);
  EXPECT_DOUBLE_EQ((*all)[a.size()].first, 3.5);

  auto tooMany = reader.samples(c, 0, 100, 1000);
  ASSERT_FALSE(tooMany);
  EXPECT_NE(tooMany.error().message.find("more than the 1000"), std::string::npos) << tooMany.error().message;
}

TEST_F(WaveformTest, IntegralsBetweenAnyTwoTimesEqualABruteForceSum) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  // Over 4 levels of the pyramid (64^3 = 262,144 samples per top group).
  const auto values = current(1'200'000, 3);
  write(*db, {values});
  auto channels = listChannels(*db, m_runId, m_attempt);
  ASSERT_TRUE(channels);
  const ChannelInfo& c = channels->front();
  WaveformReader reader(*db, 4u << 20);  // a small cache: blocks are read again
  std::mt19937 rng(7);
  for (int trial = 0; trial < 60; ++trial) {
    std::uniform_int_distribution<std::size_t> pick(0, values.size());
    std::size_t a = pick(rng), b = pick(rng);
    if (a > b) std::swap(a, b);
    if (trial == 0) a = 0, b = values.size();
    const double t0 = 1.0 + a / 100e3, t1 = 1.0 + b / 100e3;
    auto s = reader.stats(c, t0, t1);
    ASSERT_TRUE(s) << s.error().message;
    std::int64_t codes = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (std::size_t i = a; i < b; ++i) {
      codes += std::llround(values[i] * 1e9);
      lo = std::min(lo, values[i]);
      hi = std::max(hi, values[i]);
    }
    ASSERT_EQ(s->count, b - a) << "[" << a << ", " << b << ")";
    if (b == a) continue;
    // Exact: the pyramid sums integer codes.
    EXPECT_EQ(std::llround(s->sum * 1e9), codes) << "[" << a << ", " << b << ")";
    EXPECT_NEAR(s->integral, codes * 1e-9 / 100e3, 1e-15);
    EXPECT_DOUBLE_EQ(s->min, lo);
    EXPECT_DOUBLE_EQ(s->max, hi);
    EXPECT_NEAR(s->first, values[a], 1e-12);
    EXPECT_NEAR(s->last, values[b - 1], 1e-12);
  }
}

TEST_F(WaveformTest, EnvelopeColumnsHoldEveryExtremeOfTheirSpan) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  const auto values = current(1'000'000, 4);
  write(*db, {values});
  auto channels = listChannels(*db, m_runId, m_attempt);
  ASSERT_TRUE(channels);
  const ChannelInfo& c = channels->front();
  WaveformReader reader(*db);
  // Zoomed out (a top-level group per column), in between, and past one
  // sample per column (each column holds the sample under it).
  // The last: a window millions of times narrower than the recording.
  for (const auto& [from, to, columns] : {std::tuple{0.0, 20.0, 1920}, std::tuple{1.5, 4.2, 1000}, std::tuple{2.0, 2.003, 800},
                                          std::tuple{6.0, 6.0000005, 1920}}) {
    auto env = reader.envelope(c, from, to, columns);
    ASSERT_TRUE(env) << env.error().message;
    ASSERT_EQ(env->size(), static_cast<std::size_t>(columns));
    const double width = (to - from) / columns;
    for (int col = 0; col < columns; ++col) {
      const double c0 = from + col * width, c1 = c0 + width;
      const auto first = static_cast<std::int64_t>(std::ceil((c0 - 1.0) * 100e3 - 1e-9));
      const auto last = static_cast<std::int64_t>(std::ceil((c1 - 1.0) * 100e3 - 1e-9));
      const auto& e = (*env)[static_cast<std::size_t>(col)];
      const std::int64_t n = static_cast<std::int64_t>(values.size());
      if (last <= 0 || first >= n) {
        if (first >= n || last < 0) {
          EXPECT_TRUE(e.empty) << "column " << col << " lies outside the recording";
        }
        continue;
      }
      ASSERT_FALSE(e.empty) << col;
      double lo = INFINITY, hi = -INFINITY;
      for (std::int64_t i = std::max<std::int64_t>(first, 0); i < std::min(last, n); ++i) {
        lo = std::min(lo, values[static_cast<std::size_t>(i)]);
        hi = std::max(hi, values[static_cast<std::size_t>(i)]);
      }
      if (lo > hi) {  // narrower than a sample: the one held over it
        const auto i = static_cast<std::size_t>(std::floor((0.5 * (c0 + c1) - 1.0) * 100e3));
        lo = hi = values[i];
      }
      EXPECT_LE(e.min, lo) << "column " << col;
      EXPECT_GE(e.max, hi) << "column " << col;
      // Never more than the samples of the groups it touches: at most one
      // 64^k group either side of a column of at least two of them.
      EXPECT_GE(e.min, 2e-6 - 1e-12);
      EXPECT_LE(e.max, 2.1e-3);
    }
  }
}

TEST_F(WaveformTest, BadValuesAndSpansAreRefusedByName) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  auto writer = WaveformWriter::create(*db, m_runId, m_attempt, 0, "psu", {{"voltage", "V", 1e-5}});
  ASSERT_TRUE(writer);
  const std::vector<double> good{3.0, 3.1};
  const std::span<const double> goodSpan(good);
  auto noSegment = writer->append(std::span(&goodSpan, 1));
  ASSERT_FALSE(noSegment);
  EXPECT_NE(noSegment.error().message.find("no segment"), std::string::npos);
  ASSERT_TRUE(writer->startSegment(0.0, 1000));
  const std::vector<double> nan{3.0, std::nan("")};
  const std::span<const double> nanSpan(nan);
  auto refused = writer->append(std::span(&nanSpan, 1));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("\"voltage\": sample 1 is not a number"), std::string::npos)
      << refused.error().message;
  const std::vector<double> huge{1e6};
  const std::span<const double> hugeSpan(huge);
  auto beyond = writer->append(std::span(&hugeSpan, 1));
  ASSERT_FALSE(beyond);
  EXPECT_EQ(beyond.error().code, aidi::ErrorCode::Limit);
  ASSERT_TRUE(writer->append(std::span(&goodSpan, 1)));
  auto overlap = writer->startSegment(0.001, 1000);
  ASSERT_FALSE(overlap);
  EXPECT_NE(overlap.error().message.find("starts before the previous one ends"), std::string::npos) << overlap.error().message;
  EXPECT_FALSE(writer->startSegment(1.0, 0));
  EXPECT_FALSE(writer->startSegment(1.0, INFINITY));
  ASSERT_TRUE(writer->finish());

  // (One writer at a time on a connection.) Two channels: a value refused in the second stores nothing in the first.
  auto pair = WaveformWriter::create(*db, m_runId, m_attempt, 1, "psu", {{"voltage", "V", 1e-5}, {"current", "A", 1e-8}});
  ASSERT_TRUE(pair);
  ASSERT_TRUE(pair->startSegment(0.0, 1000));
  const std::span<const double> halfBad[] = {goodSpan, nanSpan};
  EXPECT_FALSE(pair->append(halfBad));
  const std::span<const double> bothGood[] = {goodSpan, goodSpan};
  ASSERT_TRUE(pair->append(bothGood));
  ASSERT_TRUE(pair->finish());
  auto pairChannels = listChannels(*db, m_runId, m_attempt, 1);
  ASSERT_TRUE(pairChannels);
  ASSERT_EQ(pairChannels->size(), 2u);
  for (const auto& c : *pairChannels) EXPECT_EQ(c.segments.at(0).count, 2u) << c.name;

  EXPECT_FALSE(WaveformWriter::create(*db, m_runId, m_attempt, 0, "psu", {{"current", "A", 0}})) << "a step of 0";
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM waveform_channels WHERE sample = 0 AND name = 'current'"), 0);
  execRaw(path(), "BEGIN IMMEDIATE; COMMIT;");  // the refused writer left no transaction holding the file
  EXPECT_FALSE(WaveformWriter::create(*db, m_runId, m_attempt, 0, "psu", {{"voltage", "V", 1e-5}}))
      << "the same channel twice";

  auto channels = listChannels(*db, m_runId, m_attempt, 0);
  ASSERT_TRUE(channels);
  ASSERT_EQ(channels->size(), 1u);
  WaveformReader reader(*db);
  EXPECT_FALSE(reader.envelope(channels->front(), 0, 1, 0));
  EXPECT_FALSE(reader.envelope(channels->front(), 1, 1, 10));
  EXPECT_FALSE(reader.stats(channels->front(), 0, NAN));
}

TEST_F(WaveformTest, ADamagedBlockIsNamedNotReadAsData) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  write(*db, {current(300'000, 5)});
  auto channels = listChannels(*db, m_runId, m_attempt);
  ASSERT_TRUE(channels);
  const ChannelInfo c = channels->front();
  const auto damage = [&](const std::string& blob) {
    execRaw(path(), "UPDATE waveform_blocks SET data = " + blob + " WHERE level = 0 AND block = 2");
    WaveformReader reader(*db);
    auto s = reader.samples(c, 0, 100, 1'000'000);  // (an integral would add the pyramid's groups instead)
    EXPECT_FALSE(s);
    return s ? std::string() : s.error().message;
  };
  const std::string where = "run " + std::to_string(m_runId) + " (model current), level 0 block 2";
  EXPECT_NE(damage("randomblob(5000)").find(where), std::string::npos);
  EXPECT_NE(damage("randomblob(5000)").find("no \"AW\" header"), std::string::npos);
  // A header claiming a block larger than any: refused before allocating.
  EXPECT_NE(damage("X'415701000000FFFF'").find("claims"), std::string::npos);
  // A valid header over bytes that are not zstd.
  EXPECT_NE(damage("X'4157010000000100' || randomblob(64)").find("does not decompress"), std::string::npos);
  execRaw(path(), "DELETE FROM waveform_blocks WHERE level = 0 AND block = 2");
  WaveformReader reader(*db);
  auto s = reader.samples(c, 0, 100, 1'000'000);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("is missing"), std::string::npos) << s.error().message;
}

TEST_F(WaveformTest, AWriterThatDiesKeepsWhatItCommitted) {
  auto db = Database::open(path());
  ASSERT_TRUE(db);
  const auto values = current(20 * kWaveformBlockValues + 123, 6);
  {
    auto writer = WaveformWriter::create(*db, m_runId, m_attempt, 0, "ppk2", {{"current", "A", 1e-9}},
                                         {.zstdLevel = 1, .blocksPerCommit = 4});
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->startSegment(0, 100e3));
    const std::span<const double> all(values);
    ASSERT_TRUE(writer->append(std::span(&all, 1)));
    // Dropped without finish(), as by an error path.
  }
  auto channels = listChannels(*db, m_runId, m_attempt);
  ASSERT_TRUE(channels);
  const ChannelInfo& c = channels->front();
  ASSERT_EQ(c.segments.size(), 1u);
  EXPECT_EQ(c.segments[0].count, 20 * kWaveformBlockValues) << "whole blocks only";
  WaveformReader reader(*db);
  auto s = reader.stats(c, 0, 1e9);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->count, 20 * kWaveformBlockValues);
  auto env = reader.envelope(c, 0, 14, 100);
  ASSERT_TRUE(env) << env.error().message;
  EXPECT_FALSE((*env)[0].empty);
  EXPECT_TRUE((*env)[99].empty) << "nothing was committed there";

  // A new attempt of the run drops the lost attempt's waveforms with its other rows.
  execRaw(path(), "UPDATE runs SET state = 'planned'");
  CampaignStore store(*db);
  auto again = store.claimNextRun(1);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ(scalar(path(), "SELECT COUNT(*) FROM waveform_blocks"), 0);
}

}  // namespace
