// `aidi advise`'s figures (#27), on a fresh database each (nothing reused):
//  - the sweep's rate for mcunet-s on a day-long trace (office-day), every
//    policy, 22 uF..10 mF at 3 points a decade, refined once, 2 jobs
//    (target >= 100 configurations a minute on 2 cores), and its total
//    wall time with the validation;
//  - whether the recommendation holds at held-out start times at the rate
//    the front predicts (target within 10 points), on that trace and on
//    three others the sweep's model was not tuned on.
#include <cstdio>
#include <string>

#include "aidi/core/advisor.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "bench_support.hpp"

using namespace aidi;

namespace {

core::AdviceResult ask(const inst::TempDir& dir, const std::string& name, core::AdviceRequest request) {
  core::AdviceOptions options;
  options.database = dir.path() / (name + ".sqlite");
  options.modelZoo = core::defaultModelDirectory();
  options.subset = core::subsetFileFor(options.modelZoo);
  options.jobs = 2;
  return bench::must(core::advise(request, options));
}

void print(const char* what, const core::AdviceResult& r) {
  std::printf("%s\n", what);
  std::printf("  %d configurations (%d measured) swept in %.1f s: %.0f per minute (target >= 100); %.1f s in all\n",
              r.configurations, r.measuredNow, r.sweepS, r.configurationsPerMinute, r.wallS);
  std::printf("  recommendation: %s\n", r.verdict.c_str());
  if (r.validation && !r.continuousPeriodS) {
    const auto& v = *r.validation;
    if (r.deadlineS)
      std::printf("  held out: met %d of %d (%.0f %%), predicted %.0f %%: %+.0f points (target within 10): %s\n", v.met,
                  v.starts, 100 * v.measuredRate, 100 * v.predictedRate, 100 * (v.measuredRate - v.predictedRate),
                  v.holds ? "holds" : "DOES NOT HOLD");
    else
      std::printf("  held out: %d of %d (%.0f %%) within the predicted p95 of %.4g s, predicted 95 %%: %+.0f points "
                  "(target within 10): %s\n",
                  v.met, v.starts, 100 * v.measuredRate, v.predictedP95S, 100 * (v.measuredRate - 0.95),
                  v.holds ? "holds" : "DOES NOT HOLD");
  }
}

}  // namespace

int main() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  auto dir = bench::must(inst::TempDir::create("aidi-advise-bench-"));
  const std::string traces = AIDI_SOURCE_DIR "/fixtures/traces/";

  core::AdviceRequest day;
  day.trace = traces + "office-day.csv";
  day.deadlineS = 600;
  day.models = {"mcunet-s"};
  print("mcunet-s, every policy, 22 uF..10 mF, office-day (24 h), deadline 600 s:", ask(dir, "day", day));

  // The validation elsewhere: other harvests, other deadlines, two models.
  struct Case {
    const char* label;
    const char* trace;
    double deadline;
  } cases[] = {{"outdoor-clouds, deadline 60 s", "outdoor-clouds.csv", 60},
               {"rf-outages, deadline 30 s", "rf-outages.csv", 30},
               {"rf-outages, no deadline (the lowest p95)", "rf-outages.csv", 0},
               {"outdoor-3days, deadline 300 s", "outdoor-3days.csv", 300}};
  for (const auto& c : cases) {
    core::AdviceRequest r;
    r.trace = traces + c.trace;
    if (c.deadline > 0) r.deadlineS = c.deadline;
    r.models = {"inas-tiny", "mcunet-s"};
    r.policies = {"layer", "loop", "aidi", "sonic", "hawaii"};
    r.capMinUf = 47;
    r.capMaxUf = 4700;
    r.capsPerDecade = 2;
    print((std::string("inas-tiny and mcunet-s, 5 policies, 47 uF..4.7 mF, ") + c.label + ":").c_str(),
          ask(dir, std::string(c.trace) + std::to_string(static_cast<int>(c.deadline)), r));
  }
  // Continuous operation: a request every 10 s for a day of office-day.
  core::AdviceRequest continuous;
  continuous.trace = traces + "office-day.csv";
  continuous.continuousPeriodS = 10;
  continuous.models = {"mcunet-s"};
  continuous.policies = {"layer", "loop", "aidi", "sonic"};
  continuous.capMinUf = 100;
  continuous.capMaxUf = 4700;
  continuous.capsPerDecade = 2;
  const auto c = ask(dir, "continuous", continuous);
  print("mcunet-s, 4 policies, 100 uF..4.7 mF, office-day, a request every 10 s:", c);
  if (c.validation)
    std::printf("  run continuously for the day: %.0f inferences, predicted %.0f: %+.1f %% (target within 10 %%): %s\n",
                c.validation->measuredPerDay, c.validation->predictedPerDay,
                100 * (c.validation->measuredPerDay / c.validation->predictedPerDay - 1),
                c.validation->holds ? "holds" : "DOES NOT HOLD");
  return 0;
}
