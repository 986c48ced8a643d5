#include "aidi/core/crash_test.hpp"

#include <chrono>
#include <fstream>

#include "aidi/core/model_zoo.hpp"
#include "aidi/core/policies.hpp"
#include "crash_sweep.hpp"

namespace aidi::core {

inst::Result<std::vector<CrashTestResult>> runCrashTest(const std::filesystem::path& zoo, const std::string& modelName,
                                                        const std::string& policyName, std::size_t sample,
                                                        std::uint32_t seed) {
  std::vector<std::pair<const char*, fw::SchedulerPolicy>> policies;
  for (const auto& p : proto::kPolicies)
    if (policyName == "all" || policyName == p.name) policies.emplace_back(p.name, p.policy);
  if (policies.empty())
    return inst::fail(inst::ErrorCode::Unsupported,
                      "unknown policy \"" + policyName + "\" (" + policyList() + " or all)");

  auto summary = loadModelSummary(zoo / modelName);  // validates the model file
  if (!summary) return std::unexpected(summary.error());
  std::ifstream in(summary->directory / "model.aidi", std::ios::binary);
  const std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
  fw::ModelView model;
  (void)model.parse(bytes.data(), bytes.size());

  auto subset = loadSubsetImage(aidi::core::subsetFileFor(zoo), sample);
  if (!subset) return std::unexpected(subset.error());
  const std::uint8_t* image = subset->pixels.data();

  std::vector<CrashTestResult> results;
  const auto timed = [&](const char* policy, const char* sweep, auto&& run) {
    const auto start = std::chrono::steady_clock::now();
    const fw::host::SweepResult r = run();
    results.push_back({policy, sweep, r.jobs, r.pointsTried, r.divergences, r.firstDivergence,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()});
  };
  for (const auto& [name, policy] : policies) {
    // 250,000 cycles per power cycle (10 ms at 25 MHz) sizes the job engine's tiles.
    timed(name, "writes", [&] {
      return fw::host::crashSweep(model, fw::cm4Kernels(), policy, 250'000, image, 1,
                                  {fw::host::Tearing::Random, seed});
    });
    if (policy != fw::SchedulerPolicy::Aidi) continue;
    timed(name, "steps", [&] { return fw::host::stepSweep(model, fw::cm4Kernels(), image); });
    timed(name, "sleeps", [&] { return fw::host::sleepSweep(model, fw::cm4Kernels(), image, seed); });
  }
  return results;
}

}  // namespace aidi::core
