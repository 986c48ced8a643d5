// Decode throughput of the telemetry protocol (issue target: >= 1,000,000
// typical frames per second on one core). A typical frame carries a 40-byte
// payload. Beside it, the cost floor: CRC-32C alone over the same bytes.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "aidi/proto/crc32c.hpp"
#include "aidi/proto/decoder.hpp"
#include "aidi/proto/messages.hpp"

using namespace aidi::proto;

namespace {

constexpr int kFrames = 10000;

std::vector<std::uint8_t> typicalStream() {
  FrameWriter writer(1);
  std::vector<std::uint8_t> stream;
  std::uint8_t wire[kMaxEncodedFrame];
  for (int i = 0; i < kFrames; ++i) {
    Log log{};
    log.level = LogLevel::Info;
    log.textLength = 39;  // 1 + 39 = 40-byte payload
    std::memset(log.text, 'a' + i % 26, log.textLength);
    log.text[7] = static_cast<char>(i);  // some zeros for COBS to remove
    const std::size_t n = writer.write(log, wire, sizeof wire);
    stream.insert(stream.end(), wire, wire + n);
  }
  return stream;
}

void BM_DecodeTypicalFrames(benchmark::State& state) {
  const auto stream = typicalStream();
  std::uint64_t frames = 0;
  for (auto _ : state) {
    FrameDecoder decoder(isKnownMessageType);
    decoder.feed(
        stream.data(), stream.size(), [](const Frame&, void* n) { ++*static_cast<std::uint64_t*>(n); }, &frames);
    benchmark::DoNotOptimize(frames);
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(kFrames) * state.iterations(),
                                                  benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(stream.size()) * state.iterations());
}
BENCHMARK(BM_DecodeTypicalFrames);

void BM_DecodeAndTypedPayload(benchmark::State& state) {
  const auto stream = typicalStream();
  for (auto _ : state) {
    FrameDecoder decoder(isKnownMessageType);
    decoder.feed(
        stream.data(), stream.size(),
        [](const Frame& f, void*) {
          Log log;
          benchmark::DoNotOptimize(decodeMessage(f, log));
        },
        nullptr);
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(kFrames) * state.iterations(),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeAndTypedPayload);

// The floor: CRC-32C of the same number of bytes, nothing else.
void BM_Crc32cSameBytes(benchmark::State& state) {
  const auto stream = typicalStream();
  for (auto _ : state) benchmark::DoNotOptimize(Crc32c::calculate(stream.data(), stream.size()));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(kFrames) * state.iterations(),
                                                  benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<std::int64_t>(stream.size()) * state.iterations());
}
BENCHMARK(BM_Crc32cSameBytes);

void BM_EncodeTypicalFrame(benchmark::State& state) {
  FrameWriter writer(1);
  Log log{};
  log.textLength = 39;
  std::memset(log.text, 'x', 39);
  std::uint8_t wire[kMaxEncodedFrame];
  for (auto _ : state) benchmark::DoNotOptimize(writer.write(log, wire, sizeof wire));
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EncodeTypicalFrame);

}  // namespace

BENCHMARK_MAIN();
