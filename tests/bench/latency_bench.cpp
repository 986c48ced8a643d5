// Latency under intermittent power as a ratio to the energy-bound limit
// (DESIGN.md), per model x policy x harvest condition x capacitor, on the
// virtual board (issue targets for aidi: <= 1.15x with 1 mF, <= 1.4x with
// 100 uF, and below fixed-tile and loop in every condition).
#include <cstdio>
#include <string>

#include "aidi/core/simulation.hpp"
#include "aidi/proto/policies.hpp"

using namespace aidi;

int main() {
  const std::string fixtures = AIDI_SOURCE_DIR "/fixtures";
  std::printf("%-10s %-16s %7s  %-10s %8s %10s %10s %8s %s\n", "model", "trace", "cap", "policy", "cycles",
              "latency s", "bound s", "ratio", "");
  // The virtual board's own profile (boards/mps2-an386.toml).
  auto loaded = core::findBoardProfile(core::kDefaultBoard);
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return 1;
  }
  const core::BoardProfile& board = *loaded;
  for (const char* model : {"inas-tiny", "mcunet-s"}) {
    for (const char* trace : {"indoor-strong", "rf-bursts", "outdoor-clouds"}) {
      for (const double cap : {100e-6, 1e-3}) {
        for (const auto& info : proto::kPolicies) {
          const char* policy = info.name;
          core::SimulationRequest r;
          r.modelDirectory = fixtures + "/models/" + model;
          r.subset = fixtures + "/fashion-mnist/test-1000.bin";
          r.policy = policy;
          r.board = board;
          r.storage = board.storage(cap);
          r.trace = *inst::HarvestTrace::load(fixtures + "/traces/" + trace + ".csv");
          auto s = core::simulate(r);
          if (!s) {
            std::printf("%-10s %-16s %5.0fuF  %-10s error: %s\n", model, trace, cap * 1e6, policy, s.error().message.c_str());
            continue;
          }
          if (!s->finished) {
            std::printf("%-10s %-16s %5.0fuF  %-10s %8zu %10s %10.3f %8s did not finish\n", model, trace, cap * 1e6,
                        policy, s->cycles.size(), "-", s->energyBoundS, "-");
            continue;
          }
          std::printf("%-10s %-16s %5.0fuF  %-10s %8zu %10.3f %10.3f %7.3fx\n", model, trace, cap * 1e6, policy,
                      s->cycles.size(), s->latencyS, s->energyBoundS, s->latencyS / s->energyBoundS);
        }
      }
    }
  }
  return 0;
}
