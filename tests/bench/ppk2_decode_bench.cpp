// The PPK2 stream decoded on one core (issue target: >= 10x the kit's
// 100 kS/s, i.e. >= 1 MS/s): ten seconds of samples as the kit sends them,
// calibrated to amperes, counters checked; then the same with a counter gap
// and junk bytes every 10,000 samples (the resync path).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "aidi/inst/ppk2_protocol.hpp"
#include "aidi/inst/ppk2_simulator.hpp"

using namespace aidi::inst;

namespace {

std::vector<std::byte> kitStream(const ppk2::Calibration& cal, std::size_t samples, bool faults) {
  std::vector<std::byte> bytes;
  bytes.reserve(samples * 4 + samples / 1000);
  std::uint8_t counter = 0;
  for (std::size_t k = 0; k < samples; ++k) {
    if (faults && k % 10000 == 5000) counter = static_cast<std::uint8_t>((counter + 7) & 63);
    if (faults && k % 10000 == 9000) bytes.insert(bytes.end(), {std::byte{0xA5}, std::byte{0x17}, std::byte{0x3C}});
    ppk2::RawSample s;
    // A load that sweeps the ranges: 1 uA to 100 mA.
    (void)ppk2::encodeAmps(cal, 1e-6 * std::pow(10.0, 5.0 * static_cast<double>(k % 1000) / 1000.0), 3.0, s);
    s.counter = counter;
    counter = static_cast<std::uint8_t>((counter + 1) & 63);
    const std::uint32_t w = ppk2::pack(s);
    for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<std::byte>(w >> (8 * b)));
  }
  return bytes;
}

void run(const char* what, const std::vector<std::byte>& bytes, std::size_t samples) {
  const auto cal = Ppk2SimulatorOptions::defaultCalibration();
  double best = 1e30;
  ppk2::StreamStats stats;
  for (int round = 0; round < 5; ++round) {
    ppk2::Decoder decoder(cal, 3.0);
    std::vector<ppk2::Sample> out;
    out.reserve(samples + 1000);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t at = 0; at < bytes.size(); at += 16384)  // as reads deliver it
      decoder.feed(std::span(bytes.data() + at, std::min<std::size_t>(16384, bytes.size() - at)), out);
    decoder.flush(out);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    stats = decoder.stats();
  }
  const double rate = static_cast<double>(samples) / best;
  std::printf("PPK2 decode, %s: %zu samples in %.1f ms = %.1f MS/s, %.0fx the kit's 100 kS/s (target >= 10x); "
              "lost %llu in %llu gaps, %llu bytes skipped\n",
              what, samples, best * 1e3, rate / 1e6, rate / ppk2::kSampleRateHz,
              static_cast<unsigned long long>(stats.lost), static_cast<unsigned long long>(stats.gaps),
              static_cast<unsigned long long>(stats.discardedBytes));
}

}  // namespace

int main() {
  const auto cal = Ppk2SimulatorOptions::defaultCalibration();
  constexpr std::size_t kSamples = 1'000'000;  // 10 s of the kit
  run("clean stream", kitStream(cal, kSamples, false), kSamples);
  run("a gap and junk every 10,000 samples", kitStream(cal, kSamples, true), kSamples);
  return 0;
}
