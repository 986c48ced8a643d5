// libFuzzer target for the bench's TOML files: campaigns, bench files and
// board profiles, parsed from arbitrary bytes (the first byte picks which).
//
// Properties checked on every input:
//  - no crash, leak or undefined behaviour (ASan/UBSan), whatever the bytes;
//  - a refusal names the file (its message starts with the file name);
//  - an accepted campaign plans at most kMaxPlannedRuns runs, its numbers are
//    finite, and every condition's storage is valid on every board;
//  - an accepted board profile has v_off < v_on <= v_max and a source for
//    every figure; an accepted bench file has finite limits above zero.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aidi/core/bench_file.hpp"
#include "aidi/core/board_profile.hpp"
#include "aidi/core/campaign_file.hpp"

using namespace aidi;

namespace {

[[noreturn]] void fail(const char* why) {
  __builtin_printf("property violated: %s\n", why);
  std::abort();
}

template <class T>
void checkRefusal(const Result<T>& r, const std::string& file) {
  if (!r && r.error().message.rfind(file, 0) != 0) fail("an error does not name the file");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      // Beside the shipped campaigns, so their relative trace and bench paths resolve.
      const std::string file = AIDI_SOURCE_DIR "/fixtures/campaigns/fuzz-campaign.toml";
      auto c = core::parseCampaign(text, file, AIDI_SOURCE_DIR "/fixtures/models");
      checkRefusal(c, file);
      if (c) {
        if (c->runCount() > core::kMaxPlannedRuns || c->runCount() == 0) fail("run count out of range");
        if (!std::isfinite(c->timeLimitS) || c->timeLimitS <= 0) fail("time limit not finite");
        for (const auto& h : c->conditions) {
          if (!std::isfinite(h.constantWatts) || h.constantWatts < 0) fail("constant power not finite");
          for (const auto& b : c->boards)
            if (!h.storage(b).validate()) fail("accepted storage does not validate");
        }
      }
      break;
    }
    case 1: {
      auto b = core::parseBenchFile(text, "fuzz-bench.toml");
      checkRefusal(b, "fuzz-bench.toml");
      if (b && (!(b->limits.maxVolts > 0) || !std::isfinite(b->limits.maxVolts) || !(b->limits.maxAmps > 0) ||
                !std::isfinite(b->limits.maxAmps)))
        fail("accepted limits not finite and positive");
      break;
    }
    default: {
      auto p = core::parseBoardProfile(text, "fuzz-board.toml");
      checkRefusal(p, "fuzz-board.toml");
      if (p && !(p->vOff < p->vOn && p->vOn <= p->vMax)) fail("accepted thresholds out of order");
      if (p && p->sources.size() != 14) fail("accepted a figure without its source");
      break;
    }
  }
  return 0;
}
