#include "aidi/core/advisor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include "aidi/core/board_profile.hpp"
#include "aidi/core/campaign_file.hpp"
#include "aidi/core/campaign_runner.hpp"
#include "aidi/core/interrupt.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/policies.hpp"
#include "aidi/core/report.hpp"
#include "aidi/core/run_browser.hpp"
#include "aidi/core/simulation.hpp"
#include "aidi/db/advice_store.hpp"
#include "aidi/db/queries.hpp"
#include "aidi/inst/harvest_trace.hpp"

namespace aidi::core {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kMinCapUf = 0.001, kMaxCapUf = 1e7;  // a campaign's capacitor_uf range
constexpr int kMaxConfigurations = 10'000;

double roundSignificant(double v, int digits) {
  if (!(v > 0)) return v;
  const double scale = std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(v))));
  return std::round(v * scale) / scale;
}

// The trace's identity in a condition's name: the same name is the same
// measurement, whichever campaign made it.
std::string traceTag(const std::filesystem::path& trace) {
  std::ifstream in(trace, std::ios::binary);
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c; in.get(c);) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return fmt::format("{:016x}", h).substr(0, 10);
}

// How a configuration is measured: at `starts` start times drawn with `seed`.
// One start time is `startS` itself (not drawn: a draw of one is t = 0).
struct Sampling {
  int starts = 1;
  std::uint32_t seed = 1;
  double startS = 0;
};

std::string conditionName(double capUf, Sampling m, double windowS, const std::string& tag) {
  return m.starts == 1 ? fmt::format("C{:g}uF at{:g} w{:g} t{}", capUf, m.startS, windowS, tag)
                       : fmt::format("C{:g}uF s{}x{} w{:g} t{}", capUf, m.starts, m.seed, windowS, tag);
}

struct Config {
  std::string model, board, policy;
  double capUf = 0;
  auto key() const { return std::tie(model, board, policy, capUf); }
  bool operator<(const Config& o) const { return key() < o.key(); }
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double at = p * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const auto hi = std::min(lo + 1, v.size() - 1);
  const double a = v[lo], b = v[hi];
  if (!std::isfinite(a) || !std::isfinite(b)) return std::isfinite(a) && at == lo ? a : std::numeric_limits<double>::infinity();
  return a + (b - a) * (at - static_cast<double>(lo));
}

// A campaign of one model, board and policy over the capacitors given: the
// unit the sweep measures in (configurations measured before are left out).
std::string campaignText(const std::string& name, const Config& group, const std::vector<double>& capsUf,
                         const AdviceRequest& r, const std::string& tag, Sampling m) {
  std::string text = fmt::format(
      "# aidi advise: {} on {} under {}\n[campaign]\nname = \"{}\"\nsamples = 1\ntime_limit_s = 3600\n"
      "[matrix]\nmodels = [\"{}\"]\nboards = [\"{}\"]\npolicies = [\"{}\"]\n",
      group.model, group.board, group.policy, name, group.model, group.board, group.policy);
  for (const double c : capsUf)
    text += fmt::format("[[condition]]\nname = \"{}\"\ntrace = {}\ncapacitor_uf = {:g}\n{}window_s = {:g}\n",
                        conditionName(c, m, r.windowS, tag), json(std::filesystem::absolute(r.trace).string()).dump(), c,
                        m.starts == 1 ? fmt::format("start_s = {:.17g}\n", m.startS)
                                      : fmt::format("starts = {}\nseed = {}\n", m.starts, m.seed),
                        r.windowS);
  return text;
}

}  // namespace

std::vector<double> capacitorGrid(double minUf, double maxUf, int perDecade) {
  std::vector<double> grid;
  if (!(minUf > 0) || !(maxUf >= minUf) || perDecade < 1) return grid;
  const double step = std::pow(10.0, 1.0 / perDecade);
  for (double c = minUf; c < maxUf * (1 - 1e-9); c *= step) grid.push_back(roundSignificant(c, 3));
  grid.push_back(roundSignificant(maxUf, 3));
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  return grid;
}

inst::Status parseCapRange(const std::string& text, AdviceRequest& request) {
  const auto dots = text.find("..");
  const auto value = [&](std::string part) -> std::optional<double> {
    double scale = 1e6;  // farads into microfarads
    if (!part.empty()) {
      switch (part.back()) {
        case 'p': scale = 1e-6; break;
        case 'n': scale = 1e-3; break;
        case 'u': scale = 1; break;
        case 'm': scale = 1e3; break;
        case 'F': case 'f': scale = 1e6; break;
        default: scale = 0;
      }
      if (scale != 0) part.pop_back();
      else scale = 1e6;
    }
    char* end = nullptr;
    const double v = std::strtod(part.c_str(), &end);
    if (part.empty() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
    return v * scale;
  };
  if (dots == std::string::npos)
    return inst::fail(inst::ErrorCode::Invalid, "--caps " + text + ": expected MIN..MAX, e.g. 22u..10m");
  const auto lo = value(text.substr(0, dots)), hi = value(text.substr(dots + 2));
  if (!lo || !hi)
    return inst::fail(inst::ErrorCode::Invalid,
                      "--caps " + text + ": each end is a number with a unit p, n, u, m (or none: farads)");
  request.capMinUf = *lo;
  request.capMaxUf = *hi;
  return {};
}

inst::Status checkAdviceRequest(const AdviceRequest& r, const std::filesystem::path& modelZoo) {
  const auto bad = [](const std::string& what) { return inst::fail(inst::ErrorCode::Invalid, what); };
  if (r.deadlineS && !(std::isfinite(*r.deadlineS) && *r.deadlineS > 0))
    return bad("--deadline must be a number of seconds above 0");
  if (!(r.minAccuracy >= 0 && r.minAccuracy <= 1)) return bad("--min-accuracy must be from 0 to 1 (e.g. 0.9)");
  if (!(r.capMinUf >= kMinCapUf && r.capMaxUf <= kMaxCapUf && r.capMinUf <= r.capMaxUf))
    return bad(fmt::format("--caps {:g}u..{:g}u: both ends from 1n to 10 F, the first not above the second", r.capMinUf,
                           r.capMaxUf));
  if (r.capsPerDecade < 1 || r.capsPerDecade > 24) return bad("--caps-per-decade must be from 1 to 24");
  if (r.refineRounds < 0 || r.refineRounds > 4) return bad("--refine must be from 0 to 4");
  if (r.screenStarts < 1 || r.screenStarts > 100) return bad("--screen-starts must be from 1 to 100");
  if (r.measuredStarts < 1 || r.measuredStarts > 100) return bad("--measured-starts must be from 1 to 100");
  if (r.sweepStarts < 1 || r.sweepStarts > 10'000) return bad("--starts must be from 1 to 10000");
  if (r.holdoutStarts < 0 || r.holdoutStarts > 1000) return bad("--holdout must be from 0 to 1000");
  if (!(r.windowS >= 1 && r.windowS <= 366 * 86400.0)) return bad("--window must be from 1 s to 366 days");
  if (r.continuousPeriodS && !(std::isfinite(*r.continuousPeriodS) && *r.continuousPeriodS >= 0.01 &&
                               *r.continuousPeriodS <= 86400))
    return bad("--continuous must be a period from 0.01 s to a day");
  auto trace = inst::HarvestTrace::load(r.trace);
  if (!trace) return std::unexpected(trace.error());
  if (!(trace->meanPower() > 0))
    return bad(r.trace.string() + ": the trace delivers no energy (its power is 0 throughout): no capacitor, model or "
                                  "policy can finish an inference under it");
  auto zoo = listModels(modelZoo);
  if (!zoo) return std::unexpected(zoo.error());
  for (const auto& m : r.models)
    if (std::none_of(zoo->begin(), zoo->end(), [&](const ModelSummary& s) { return s.name == m; }))
      return bad("--models: no model \"" + m + "\" in " + modelZoo.string());
  const auto known = policyNames();
  for (const auto& p : r.policies)
    if (std::find(known.begin(), known.end(), p) == known.end()) return bad("--policies: no policy \"" + p + "\"");
  for (const auto& b : r.boards) {
    auto found = findBoardProfile(b);
    if (!found) return std::unexpected(found.error());
    if (found->target != kDefaultBoard)
      return bad("--boards: board \"" + b + "\" is a real board (" + found->target +
                 "): the sweep runs on the virtual bench, whose profiles stand for " + kDefaultBoard +
                 "-class boards; measure a real board with a campaign on its bench");
  }
  const auto grid = capacitorGrid(r.capMinUf, r.capMaxUf, r.capsPerDecade);
  const std::size_t models = r.models.empty() ? zoo->size() : r.models.size();
  const std::size_t n = models * std::max<std::size_t>(1, r.boards.size()) *
                        (r.policies.empty() ? known.size() : r.policies.size()) * grid.size();
  if (n == 0) return bad("the grid is empty: no model, policy, board or capacitor to try");
  if (n > static_cast<std::size_t>(kMaxConfigurations))
    return bad(fmt::format("the grid has {} configurations, above {}: narrow --models, --policies, --boards or --caps", n,
                           kMaxConfigurations));
  return {};
}

namespace {

// Runs the campaigns on `jobs` virtual benches at once (each runner takes
// the next run no one holds), reporting runs ended.
inst::Status runAll(const std::vector<std::int64_t>& campaigns, const AdviceOptions& options, const std::string& stage) {
  std::atomic<int> ended{0};
  int total = 0;
  {
    auto db = RunBrowser::open(options.database);
    if (!db) return std::unexpected(db.error());
    for (auto id : campaigns) {
      auto runs = db->runs(id);
      if (!runs) return std::unexpected(runs.error());
      for (const auto& r : *runs) (r.state == "done" || r.state == "failed") ? ++ended : ++total;
    }
    total += ended;
  }
  std::mutex progressMutex;
  const auto report = [&] {
    if (!options.onProgress) return;
    std::lock_guard lock(progressMutex);
    options.onProgress({stage, ended.load(), total});
  };
  report();
  std::vector<std::thread> jobs;
  std::vector<inst::Status> outcomes(static_cast<std::size_t>(std::max(1, options.jobs)));
  for (int j = 0; j < std::max(1, options.jobs); ++j)
    jobs.emplace_back([&, j] {
      RunnerOptions runner;
      runner.database = options.database;
      runner.modelZoo = options.modelZoo;
      runner.subset = options.subset;
      runner.ownerTag = "advise#" + std::to_string(j);
      runner.onEvent = [&](const CampaignEvent& e) {
        if (e.kind == CampaignEvent::Kind::RunEnded) {
          ++ended;
          report();
        }
      };
      for (auto id : campaigns) {
        if (inst::interruptRequested()) break;
        if (auto ran = runCampaign(id, runner); !ran) {
          outcomes[static_cast<std::size_t>(j)] = std::unexpected(ran.error());
          return;
        }
      }
    });
  for (auto& t : jobs) t.join();
  if (inst::interruptRequested())
    return inst::fail(inst::ErrorCode::Cancelled, "stopped; asking the same question again continues the advice");
  for (auto& o : outcomes)
    if (!o) return o;
  return {};
}

struct Sweep {
  const AdviceRequest& request;
  const AdviceOptions& options;
  std::string tag;
  inst::HarvestTrace trace;
  std::map<std::string, double> accuracy;  // model -> int8 test accuracy
  std::map<std::string, BoardProfile> boards;
  std::int64_t advice = 0;
  std::string name;
  std::set<Config> measuredNow;  // configurations this call ran (not the validation)
  double screenStartS = 0;       // a lone screening start: a lit moment of the trace (screeningStart)
  Sampling screen() const { return {request.screenStarts, request.seed, screenStartS}; }
  // The start times added near the front: with the screen's, measuredStarts in all.
  Sampling precise() const {
    const int n = std::max(1, request.measuredStarts - request.screenStarts);
    return {n, request.seed + 1, n == 1 ? startTimes(2, request.seed + 1).back() : 0};
  }
  Sampling holdout() const { return {request.holdoutStarts, request.seed + 104729, startTimes(2, request.seed + 104729).back()}; }

  // One screening start tells most when the device is harvesting: a
  // moment drawn (with the seed) among the trace's lit ones. In the dark
  // every policy only waits, and its ratio to L* says nothing.
  double screeningStart() const {
    const auto candidates = startTimes(64, request.seed);
    std::vector<double> lit;
    for (const double t : candidates)
      if (trace.powerAt(t) > 0) lit.push_back(t);
    if (lit.empty()) return candidates.front();
    return lit[request.seed % lit.size()];
  }

  // The run that measured a configuration so, in any campaign.
  inst::Result<std::optional<std::pair<std::int64_t, std::int64_t>>> measuredRun(db::Database& db, const Config& c,
                                                                                  Sampling m) {
    return db::latestMeasuredRun(db, c.model, c.policy, c.board, conditionName(c.capUf, m, request.windowS, tag));
  }

  // Plans what the configurations lack (a campaign per model, board and
  // policy; an unfinished one of this advice asking the same is continued)
  // and runs it.
  inst::Status measure(const std::set<Config>& configs, Sampling m, const std::string& stage, bool sweep = true) {
    auto db = db::Database::open(options.database);
    if (!db) return std::unexpected(db.error());
    db::AdviceStore store(*db);
    std::map<Config, std::vector<double>> missing;  // group (capUf 0) -> caps
    for (const auto& c : configs) {
      auto run = measuredRun(*db, c, m);
      if (!run) return std::unexpected(run.error());
      if (*run) continue;
      missing[{c.model, c.board, c.policy, 0}].push_back(c.capUf);
      if (sweep) measuredNow.insert(c);
    }
    std::vector<std::int64_t> campaigns;
    auto mine = store.campaigns(advice);
    if (!mine) return std::unexpected(mine.error());
    for (const auto& [group, caps] : missing) {
      const std::string text = campaignText(name, group, caps, request, tag, m);
      std::optional<std::int64_t> id;
      for (const auto& c : *mine) {
        auto stored = recordedCampaign(options.database, c.campaignId, options.modelZoo);
        if (stored && stored->text == text) id = c.campaignId;
      }
      if (!id) {
        auto file = parseCampaign(text, std::filesystem::absolute("advise.toml"), options.modelZoo);
        if (!file) return std::unexpected(file.error());
        auto planned = planCampaign(*file, options.database);
        if (!planned) return std::unexpected(planned.error());
        if (auto ok = store.addCampaign(advice, *planned, stage); !ok) return std::unexpected(ok.error());
        id = *planned;
      }
      campaigns.push_back(*id);
    }
    return runAll(campaigns, options, stage);
  }

  // L* at each start time, for a board, capacitor and plain count.
  std::vector<double> bounds(const Config& c, double plainCycles, const std::vector<double>& starts) {
    const BoardProfile& board = boards.at(c.board);
    HarvestCondition h;
    h.capacitanceF = c.capUf * 1e-6;
    const inst::StorageParams storage = h.storage(board);
    std::vector<double> out;
    out.reserve(starts.size());
    for (const double t : starts) {
      RunWindow w;
      w.startS = t;
      w.windowS = request.windowS;
      out.push_back(energyBoundOf(storage, trace, plainCycles, board, w));
    }
    return out;
  }

  std::vector<double> startTimes(int n, std::uint32_t seed) const {
    HarvestCondition h;
    h.starts = n;
    h.seed = seed;
    return h.startTimes(trace);
  }

  // A configuration from every run that measured it: its inferences'
  // ratio to L*, then its latency predicted at the sweep's start times.
  inst::Result<AdvicePoint> evaluate(db::Database& db, const Config& c, const std::vector<double>& sweepStarts) {
    AdvicePoint p{c.model, c.board, c.policy, c.capUf, accuracy.at(c.model)};
    p.p95LatencyS = p.medianLatencyS = std::numeric_limits<double>::infinity();
    std::vector<double> ratios, energies;
    for (const Sampling m : {screen(), precise()}) {
      auto run = measuredRun(db, c, m);
      if (!run) return std::unexpected(run.error());
      if (!*run) continue;
      if (p.run == 0 || m.starts > 1) p.campaign = (*run)->first, p.run = (*run)->second;  // the fuller measurement
      auto outcomes = db::inferenceOutcomes(db, (*run)->second);
      if (!outcomes) return std::unexpected(outcomes.error());
      for (const auto& o : *outcomes) {
        ++p.measured;
        if (!o.finished) continue;
        ++p.finished;
        p.plainCycles = o.plainCycles;
        energies.push_back(o.energyUj);
        if (o.energyBoundS > 0 && std::isfinite(o.energyBoundS)) ratios.push_back(o.latencyS / o.energyBoundS);
      }
    }
    if (p.measured == 0) {
      p.failure = "not measured";
      return p;
    }
    if (p.finished == 0 || ratios.empty() || !(p.plainCycles > 0)) {
      p.failure = p.finished == 0 ? "no inference finished" : "no energy bound recorded";
      return p;
    }
    p.ratio = percentile(ratios, 0.5);
    std::vector<double> predicted = bounds(c, p.plainCycles, sweepStarts);
    int met = 0;
    for (double& l : predicted) {
      l *= p.ratio;
      if (request.deadlineS && std::isfinite(l) && l <= *request.deadlineS) ++met;
    }
    // An inference that did not finish where it was measured is a miss
    // wherever it is predicted, in that share.
    const double finishedShare = static_cast<double>(p.finished) / p.measured;
    p.meetRate = finishedShare * met / static_cast<double>(predicted.size());
    if (request.deadlineS) {
      std::vector<double> slack;
      for (const double l : predicted)
        if (std::isfinite(l) && l <= *request.deadlineS) slack.push_back(*request.deadlineS - l);
      p.metSlackS = percentile(slack, 0.5);
    }
    p.medianLatencyS = percentile(predicted, 0.5);
    p.p95LatencyS = finishedShare < 0.95 ? std::numeric_limits<double>::infinity() : percentile(predicted, 0.95);
    p.energyUj = percentile(energies, 0.5);
    if (request.continuousPeriodS) p.inferencesPerDay = perDay(c, p.energyUj, finishedShare);
    return p;
  }

  // Continuous operation: what a day of the harvest pays for at the
  // measured energy per inference (after conversion and leakage), at most
  // one per request.
  double perDay(const Config& c, double energyUj, double finishedShare) const {
    const BoardProfile& board = boards.at(c.board);
    HarvestCondition h;
    h.capacitanceF = c.capUf * 1e-6;
    const inst::StorageParams storage = h.storage(board);
    const double span = trace.period() > 0 ? trace.period() : 86400.0;
    const double meanW = trace.energy(0, span) / span;
    const double usablePerDay = std::max(0.0, storage.efficiency * meanW - storage.leakageW) * 86400.0;
    const double requests = 86400.0 / *request.continuousPeriodS;
    if (!(energyUj > 0)) return 0;
    return finishedShare * std::min(requests, usablePerDay / (energyUj * 1e-6));
  }
};

// a dominates b: no worse in accuracy, p95 latency, capacitor and (with a
// deadline) met rate, better in one.
bool dominates(const AdvicePoint& a, const AdvicePoint& b, bool deadline) {
  const bool noWorse = a.accuracy >= b.accuracy && a.p95LatencyS <= b.p95LatencyS && a.capacitorUf <= b.capacitorUf &&
                       (!deadline || a.meetRate >= b.meetRate) && a.inferencesPerDay >= b.inferencesPerDay;
  const bool better = a.accuracy > b.accuracy || a.p95LatencyS < b.p95LatencyS || a.capacitorUf < b.capacitorUf ||
                      (deadline && a.meetRate > b.meetRate) || a.inferencesPerDay > b.inferencesPerDay;
  return noWorse && better;
}

void markFront(std::vector<AdvicePoint>& points, bool deadline) {
  for (auto& p : points) {
    p.onFront = p.failure.empty() && std::isfinite(p.p95LatencyS);
    if (!p.onFront) continue;
    for (const auto& q : points)
      if (&q != &p && q.failure.empty() && std::isfinite(q.p95LatencyS) && dominates(q, p, deadline)) {
        p.onFront = false;
        break;
      }
  }
  std::stable_sort(points.begin(), points.end(), [](const AdvicePoint& a, const AdvicePoint& b) {
    if (a.onFront != b.onFront) return a.onFront;
    return a.p95LatencyS < b.p95LatencyS;
  });
}

// The recommendation's order: above the accuracy floor, the deadline met
// most often, then the most accurate, then the smallest capacitor, then
// the fastest; without a deadline, the lowest p95 latency first.
std::tuple<double, double, double, double> recommendationKey(const AdvicePoint& x, const AdviceRequest& r) {
  if (r.continuousPeriodS)  // in continuous operation: the most inferences a day (then the deadline)
    return std::make_tuple(-x.inferencesPerDay, -x.meetRate, -x.accuracy, x.capacitorUf);
  return r.deadlineS ? std::make_tuple(-x.meetRate, -x.accuracy, x.capacitorUf, x.p95LatencyS)
                     : std::make_tuple(x.p95LatencyS, -x.accuracy, x.capacitorUf, 0.0);
}

std::optional<std::size_t> recommend(const std::vector<AdvicePoint>& points, const AdviceRequest& r) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    if (!p.failure.empty() || p.accuracy < r.minAccuracy) continue;
    if (!best || recommendationKey(p, r) < recommendationKey(points[*best], r)) best = i;
  }
  return best;
}

}  // namespace

inst::Result<AdviceResult> advise(const AdviceRequest& request, const AdviceOptions& options) {
  const auto started = Clock::now();
  if (auto ok = checkAdviceRequest(request, options.modelZoo); !ok) return std::unexpected(ok.error());
  auto trace = inst::HarvestTrace::load(request.trace);
  if (!trace) return std::unexpected(trace.error());
  Sweep s{request, options, traceTag(request.trace), std::move(*trace), {}, {}, 0, "", {}, 0};
  s.screenStartS = s.screeningStart();
  auto zoo = listModels(options.modelZoo);
  if (!zoo) return std::unexpected(zoo.error());
  std::vector<std::string> models = request.models;
  for (const auto& m : *zoo) {
    s.accuracy[m.name] = m.int8Accuracy;
    if (request.models.empty()) models.push_back(m.name);
  }
  // An accuracy floor no model reaches: said before anything runs.
  std::vector<std::string> eligible;
  for (const auto& m : models)
    if (s.accuracy[m] >= request.minAccuracy) eligible.push_back(m);
  if (eligible.empty()) {
    const auto best = std::max_element(models.begin(), models.end(),
                                       [&](const auto& a, const auto& b) { return s.accuracy[a] < s.accuracy[b]; });
    return inst::fail(inst::ErrorCode::Invalid, fmt::format("no model reaches an accuracy of {:.1f} %: the best is {} at "
                                                            "{:.1f} %",
                                                            100 * request.minAccuracy, *best, 100 * s.accuracy[*best]));
  }
  const std::vector<std::string> boards = request.boards.empty() ? std::vector<std::string>{kDefaultBoard} : request.boards;
  for (const auto& b : boards) {
    auto profile = findBoardProfile(b);
    if (!profile) return std::unexpected(profile.error());
    s.boards.emplace(b, *profile);
  }
  const std::vector<std::string> policies = request.policies.empty() ? policyNames() : request.policies;

  // The advice: the question as asked, recorded; asked again, continued.
  json question{{"trace", std::filesystem::absolute(request.trace).string()}, {"trace_tag", s.tag},
                {"deadline_s", request.deadlineS ? json(*request.deadlineS) : json(nullptr)},
                {"min_accuracy", request.minAccuracy}, {"models", models}, {"boards", boards}, {"policies", policies},
                {"caps_uf", {request.capMinUf, request.capMaxUf}}, {"caps_per_decade", request.capsPerDecade},
                {"refine", request.refineRounds}, {"screen_starts", request.screenStarts},
                {"measured_starts", request.measuredStarts},
                {"starts", request.sweepStarts}, {"holdout", request.holdoutStarts}, {"seed", request.seed},
                {"window_s", request.windowS}};
  s.name = "advise " + request.trace.stem().string();
  {
    auto db = db::Database::open(options.database);
    if (!db) return std::unexpected(db.error());
    db::AdviceStore store(*db);
    auto record = store.openOrCreate(s.name, question.dump());
    if (!record) return std::unexpected(record.error());
    s.advice = record->id;
    // Continued: what it had planned and not finished (Ctrl-C, kill -9) runs first.
    auto mine = store.campaigns(s.advice);
    if (!mine) return std::unexpected(mine.error());
    auto browser = RunBrowser::open(options.database);
    if (!browser) return std::unexpected(browser.error());
    auto unfinished = browser->unfinishedCampaigns();
    if (!unfinished) return std::unexpected(unfinished.error());
    std::vector<std::int64_t> resumed;
    for (const auto& c : *mine)
      if (std::find(unfinished->begin(), unfinished->end(), c.campaignId) != unfinished->end())
        resumed.push_back(c.campaignId);
    if (!resumed.empty())
      if (auto ok = runAll(resumed, options, "continuing"); !ok) return std::unexpected(ok.error());
  }

  std::set<Config> configs;
  for (const auto& m : eligible)
    for (const auto& b : boards)
      for (const auto& p : policies)
        for (const double c : capacitorGrid(request.capMinUf, request.capMaxUf, request.capsPerDecade))
          configs.insert({m, b, p, c});
  const std::vector<double> sweepStarts = s.startTimes(request.sweepStarts, request.seed + 7919);

  std::vector<AdvicePoint> points;
  const auto evaluateAll = [&]() -> inst::Status {
    auto db = db::Database::open(options.database);
    if (!db) return std::unexpected(db.error());
    points.clear();
    for (const auto& c : configs) {
      auto p = s.evaluate(*db, c, sweepStarts);
      if (!p) return std::unexpected(p.error());
      points.push_back(std::move(*p));
    }
    markFront(points, request.deadlineS.has_value());
    return {};
  };
  if (auto ok = s.measure(configs, s.screen(), "sweep"); !ok) return std::unexpected(ok.error());
  if (auto ok = evaluateAll(); !ok) return std::unexpected(ok.error());
  for (int round = 1; round <= request.refineRounds; ++round) {
    // Around the front: halfway (geometrically) to each neighbour of a
    // capacitor on it, screened.
    std::set<Config> added, closer;
    for (const auto& p : points) {
      if (!p.onFront) continue;
      std::vector<double> caps;
      for (const auto& c : configs)
        if (c.model == p.model && c.board == p.board && c.policy == p.policy) caps.push_back(c.capUf);
      std::sort(caps.begin(), caps.end());
      const auto at = std::find(caps.begin(), caps.end(), p.capacitorUf) - caps.begin();
      for (const auto neighbour : {at - 1, at + 1})
        if (neighbour >= 0 && neighbour < static_cast<std::ptrdiff_t>(caps.size())) {
          const double mid = roundSignificant(std::sqrt(p.capacitorUf * caps[static_cast<std::size_t>(neighbour)]), 3);
          if (mid != p.capacitorUf && mid != caps[static_cast<std::size_t>(neighbour)])
            added.insert({p.model, p.board, p.policy, mid});
        }
    }
    configs.insert(added.begin(), added.end());
    const std::string stage = "refine " + std::to_string(round);
    if (auto ok = s.measure(added, s.screen(), stage); !ok) return std::unexpected(ok.error());
    if (auto ok = evaluateAll(); !ok) return std::unexpected(ok.error());
    // Then the four best by the recommendation's own order, at more start times.
    if (request.measuredStarts > request.screenStarts) {
      std::vector<const AdvicePoint*> best;
      for (const auto& p : points)
        if (p.failure.empty() && p.accuracy >= request.minAccuracy) best.push_back(&p);
      std::sort(best.begin(), best.end(), [&](const AdvicePoint* a, const AdvicePoint* b) {
        return recommendationKey(*a, request) < recommendationKey(*b, request);
      });
      for (std::size_t i = 0; i < best.size() && i < 4; ++i)
        closer.insert({best[i]->model, best[i]->board, best[i]->policy, best[i]->capacitorUf});
      if (auto ok = s.measure(closer, s.precise(), stage); !ok) return std::unexpected(ok.error());
    }
    if (auto ok = evaluateAll(); !ok) return std::unexpected(ok.error());
  }

  // The recommendation rests on the fuller measurement: a configuration
  // only screened (a refinement's new capacitor) is measured at more start
  // times before it is recommended, which may change the recommendation.
  for (int confirm = 0; confirm < 4 && request.measuredStarts > request.screenStarts; ++confirm) {
    const auto chosen = recommend(points, request);
    if (!chosen) break;
    const AdvicePoint& p = points[*chosen];
    const Config c{p.model, p.board, p.policy, p.capacitorUf};
    auto db = db::Database::open(options.database);
    if (!db) return std::unexpected(db.error());
    auto precise = s.measuredRun(*db, c, s.precise());
    if (!precise) return std::unexpected(precise.error());
    if (*precise) break;
    if (auto ok = s.measure({c}, s.precise(), "confirm"); !ok) return std::unexpected(ok.error());
    if (auto ok = evaluateAll(); !ok) return std::unexpected(ok.error());
  }
  const double sweepS = std::chrono::duration<double>(Clock::now() - started).count();

  AdviceResult result;
  result.advice = s.advice;
  result.trace = request.trace.string();
  result.deadlineS = request.deadlineS;
  result.continuousPeriodS = request.continuousPeriodS;
  result.minAccuracy = request.minAccuracy;
  result.points = points;
  result.configurations = static_cast<int>(configs.size());
  result.measuredNow = static_cast<int>(s.measuredNow.size());
  result.reused = static_cast<int>(configs.size()) - result.measuredNow;
  result.recommended = recommend(result.points, request);
  if (!result.recommended) {
    result.verdict = "no configuration finished an inference under this harvest: every run failed (see the runs)";
  } else if (request.continuousPeriodS) {
    const AdvicePoint& r = result.points[*result.recommended];
    result.meets = r.inferencesPerDay > 0;
    result.verdict = fmt::format("{} on {} under {} with {:g} uF: {:.0f} inferences a day (a request every {:g} s; {:.4g} "
                                 "uJ each){}",
                                 r.model, r.board, r.policy, r.capacitorUf, r.inferencesPerDay, *request.continuousPeriodS,
                                 r.energyUj,
                                 request.deadlineS ? fmt::format(", {:.0f} % within {:g} s", 100 * r.meetRate,
                                                                 *request.deadlineS)
                                                   : std::string());
  } else {
    const AdvicePoint& r = result.points[*result.recommended];
    const std::string what = fmt::format("{} on {} under {} with {:g} uF", r.model, r.board, r.policy, r.capacitorUf);
    if (request.deadlineS) {
      result.meets = r.meetRate > 0;
      result.marginS = r.metSlackS;
      double nextBest = 0;
      for (std::size_t i = 0; i < result.points.size(); ++i)
        if (i != *result.recommended && result.points[i].accuracy >= request.minAccuracy)
          nextBest = std::max(nextBest, result.points[i].meetRate);
      result.leadRate = r.meetRate - nextBest;
      const std::string lead =
          result.leadRate > 0.005
              ? fmt::format("{:.0f} points above the next best configuration", 100 * result.leadRate)
              : std::string("as often as the best others (chosen then for accuracy, then the smallest capacitor)");
      result.verdict = result.meets
                           ? fmt::format("{}: meets the {:g} s deadline at {:.0f} % of start times, {}; where it "
                                         "meets, with a median {:.4g} s to spare (median latency {:.4g} s, p95 {:.4g} s)",
                                         what, *request.deadlineS, 100 * r.meetRate, lead, result.marginS,
                                         r.medianLatencyS, r.p95LatencyS)
                           : fmt::format("no configuration meets the {:g} s deadline at any start time; the closest is "
                                         "{} (median {:.4g} s, p95 {:.4g} s)",
                                         *request.deadlineS, what, r.medianLatencyS, r.p95LatencyS);
      if (!result.meets) {
        // The closest: the lowest median latency above the floor.
        std::optional<std::size_t> closest;
        for (std::size_t i = 0; i < result.points.size(); ++i) {
          const auto& p = result.points[i];
          if (p.failure.empty() && p.accuracy >= request.minAccuracy &&
              (!closest || p.medianLatencyS < result.points[*closest].medianLatencyS))
            closest = i;
        }
        result.recommended = closest;
        const AdvicePoint& c = result.points[*closest];
        result.marginS = *request.deadlineS - c.medianLatencyS;  // negative: how far it is
        result.verdict = fmt::format("no configuration meets the {:g} s deadline at any start time; the closest is {} on "
                                     "{} under {} with {:g} uF (median {:.4g} s, p95 {:.4g} s)",
                                     *request.deadlineS, c.model, c.board, c.policy, c.capacitorUf, c.medianLatencyS,
                                     c.p95LatencyS);
      }
    } else {
      result.marginS = 0;
      result.verdict = fmt::format("{}: the lowest p95 latency, {:.4g} s (median {:.4g} s)", what, r.p95LatencyS,
                                   r.medianLatencyS);
    }
  }

  // Validation in continuous operation: the recommendation run for a day
  // (or the trace) of requests, its inferences counted.
  if (result.recommended && request.continuousPeriodS && request.holdoutStarts > 0) {
    const AdvicePoint& r = result.points[*result.recommended];
    const double durationS = std::min(86400.0, s.trace.period() > 0 ? s.trace.period() : 86400.0);
    const std::string condition = fmt::format("C{:g}uF every{:g} for{:g} t{}", r.capacitorUf, *request.continuousPeriodS,
                                              durationS, s.tag);
    const std::string text = fmt::format(
        "# aidi advise: {} on {} under {}, continuously\n[campaign]\nname = \"{} (continuous)\"\nsamples = 1\n"
        "time_limit_s = 7200\n[matrix]\nmodels = [\"{}\"]\nboards = [\"{}\"]\npolicies = [\"{}\"]\n[[condition]]\n"
        "name = \"{}\"\ntrace = {}\ncapacitor_uf = {:g}\nmode = \"continuous\"\nduration_s = {:g}\nperiod_s = {:g}\n",
        r.model, r.board, r.policy, s.name, r.model, r.board, r.policy, condition,
        json(std::filesystem::absolute(request.trace).string()).dump(), r.capacitorUf, durationS, *request.continuousPeriodS);
    auto db = db::Database::open(options.database);
    if (!db) return std::unexpected(db.error());
    auto run = db::latestMeasuredRun(*db, r.model, r.policy, r.board, condition);
    if (!run) return std::unexpected(run.error());
    if (!*run) {
      auto file = parseCampaign(text, std::filesystem::absolute("advise-continuous.toml"), options.modelZoo);
      if (!file) return std::unexpected(file.error());
      auto planned = planCampaign(*file, options.database);
      if (!planned) return std::unexpected(planned.error());
      db::AdviceStore store(*db);
      if (auto ok = store.addCampaign(s.advice, *planned, "validation"); !ok) return std::unexpected(ok.error());
      if (auto ok = runAll({*planned}, options, "validation"); !ok) return std::unexpected(ok.error());
      run = db::latestMeasuredRun(*db, r.model, r.policy, r.board, condition);
      if (!run) return std::unexpected(run.error());
    }
    AdviceValidation v;
    v.predictedPerDay = r.inferencesPerDay;
    if (*run) {
      v.campaign = (*run)->first;
      v.run = (*run)->second;
      auto outcomes = db::inferenceOutcomes(*db, v.run);
      if (!outcomes) return std::unexpected(outcomes.error());
      v.starts = static_cast<int>(outcomes->size());
      for (const auto& o : *outcomes) v.finished += o.finished ? 1 : 0;
      v.measuredPerDay = v.finished * 86400.0 / durationS;
    }
    v.holds = std::abs(v.measuredPerDay - v.predictedPerDay) <= 0.10 * std::max(v.predictedPerDay, 1e-9);
    result.validation = v;
  } else if (result.recommended && request.holdoutStarts > 0) {
  // Validation: the recommendation run again at start times the sweep did not use.
    const AdvicePoint& r = result.points[*result.recommended];
    const Config config{r.model, r.board, r.policy, r.capacitorUf};
    if (auto ok = s.measure({config}, s.holdout(), "validation", false); !ok) return std::unexpected(ok.error());
    auto db = db::Database::open(options.database);
    if (!db) return std::unexpected(db.error());
    auto run = s.measuredRun(*db, config, s.holdout());
    if (!run) return std::unexpected(run.error());
    AdviceValidation v;
    v.starts = request.holdoutStarts;
    // Without a deadline, the predicted p95 latency stands for one: 95 % of
    // start times should finish within it.
    const double bar = request.deadlineS ? *request.deadlineS : r.p95LatencyS;
    v.predictedRate = request.deadlineS ? r.meetRate : 0.95;
    v.predictedP95S = r.p95LatencyS;
    if (*run) {
      v.campaign = (*run)->first;
      v.run = (*run)->second;
      auto outcomes = db::inferenceOutcomes(*db, v.run);
      if (!outcomes) return std::unexpected(outcomes.error());
      std::vector<double> latencies;
      for (const auto& o : *outcomes) {
        latencies.push_back(o.finished ? o.latencyS : std::numeric_limits<double>::infinity());
        if (o.finished) ++v.finished;
        if (o.finished && o.latencyS <= bar) ++v.met;
      }
      v.starts = static_cast<int>(outcomes->size());
      v.measuredRate = v.starts ? static_cast<double>(v.met) / v.starts : 0;
      v.measuredP95S = percentile(latencies, 0.95);
    }
    v.holds = std::abs(v.measuredRate - v.predictedRate) <= 0.10;
    result.validation = v;
  }
  result.wallS = std::chrono::duration<double>(Clock::now() - started).count();
  result.sweepS = sweepS;
  result.configurationsPerMinute = sweepS > 0 ? 60.0 * result.configurations / sweepS : 0;
  {
    auto db = db::Database::open(options.database);
    if (!db) return std::unexpected(db.error());
    db::AdviceStore store(*db);
    if (auto ok = store.finish(s.advice, adviceJson(result).dump()); !ok) return std::unexpected(ok.error());
  }
  return result;
}

namespace {

json finite(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
double numberOr(const json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  if (it->is_null()) return std::numeric_limits<double>::infinity();
  return it->is_number() ? it->get<double>() : fallback;
}

}  // namespace

json adviceJson(const AdviceResult& r) {
  json points = json::array();
  for (const auto& p : r.points)
    points.push_back({{"model", p.model}, {"board", p.board}, {"policy", p.policy}, {"capacitor_uf", p.capacitorUf},
                      {"accuracy", p.accuracy}, {"campaign", p.campaign}, {"run", p.run}, {"measured", p.measured},
                      {"finished", p.finished}, {"ratio", finite(p.ratio)}, {"plain_cycles", p.plainCycles},
                      {"p95_latency_s", finite(p.p95LatencyS)}, {"median_latency_s", finite(p.medianLatencyS)},
                      {"meet_rate", p.meetRate}, {"met_slack_s", finite(p.metSlackS)}, {"energy_uj", p.energyUj},
                      {"inferences_per_day", p.inferencesPerDay}, {"on_front", p.onFront},
                      {"failure", p.failure}});
  json j{{"advice", r.advice},
         {"trace", r.trace},
         {"deadline_s", r.deadlineS ? json(*r.deadlineS) : json(nullptr)},
         {"continuous_period_s", r.continuousPeriodS ? json(*r.continuousPeriodS) : json(nullptr)},
         {"min_accuracy", r.minAccuracy},
         {"points", points},
         {"recommended", r.recommended ? json(*r.recommended) : json(nullptr)},
         {"meets", r.meets},
         {"margin_s", finite(r.marginS)},
         {"lead_rate", r.leadRate},
         {"verdict", r.verdict},
         {"configurations", r.configurations},
         {"measured_now", r.measuredNow},
         {"reused", r.reused},
         {"wall_s", r.wallS},
         {"sweep_s", r.sweepS},
         {"configurations_per_minute", r.configurationsPerMinute}};
  if (r.validation) {
    const auto& v = *r.validation;
    j["validation"] = {{"campaign", v.campaign},           {"run", v.run},
                       {"starts", v.starts},               {"finished", v.finished},
                       {"met", v.met},                     {"measured_rate", v.measuredRate},
                       {"predicted_rate", v.predictedRate}, {"measured_p95_s", finite(v.measuredP95S)},
                       {"predicted_p95_s", finite(v.predictedP95S)}, {"measured_per_day", v.measuredPerDay},
                       {"predicted_per_day", v.predictedPerDay}, {"holds", v.holds}};
  }
  return j;
}

std::optional<AdviceResult> adviceOf(const json& j) {
  if (!j.is_object() || !j.contains("points") || !j["points"].is_array()) return std::nullopt;
  try {
    AdviceResult r;
    r.advice = j.value("advice", std::int64_t{0});
    r.trace = j.value("trace", "");
    if (j.contains("deadline_s") && j["deadline_s"].is_number()) r.deadlineS = j["deadline_s"].get<double>();
    if (j.contains("continuous_period_s") && j["continuous_period_s"].is_number())
      r.continuousPeriodS = j["continuous_period_s"].get<double>();
    r.minAccuracy = j.value("min_accuracy", 0.0);
    for (const auto& p : j["points"]) {
      AdvicePoint a;
      a.model = p.value("model", "");
      a.board = p.value("board", "");
      a.policy = p.value("policy", "");
      a.capacitorUf = p.value("capacitor_uf", 0.0);
      a.accuracy = p.value("accuracy", 0.0);
      a.campaign = p.value("campaign", std::int64_t{0});
      a.run = p.value("run", std::int64_t{0});
      a.measured = p.value("measured", 0);
      a.finished = p.value("finished", 0);
      a.ratio = numberOr(p, "ratio", 0);
      a.plainCycles = p.value("plain_cycles", 0.0);
      a.p95LatencyS = numberOr(p, "p95_latency_s", 0);
      a.medianLatencyS = numberOr(p, "median_latency_s", 0);
      a.meetRate = p.value("meet_rate", 0.0);
      a.metSlackS = numberOr(p, "met_slack_s", 0);
      a.energyUj = p.value("energy_uj", 0.0);
      a.inferencesPerDay = p.value("inferences_per_day", 0.0);
      a.onFront = p.value("on_front", false);
      a.failure = p.value("failure", "");
      r.points.push_back(std::move(a));
    }
    if (j.contains("recommended") && j["recommended"].is_number_unsigned()) {
      const auto i = j["recommended"].get<std::size_t>();
      if (i < r.points.size()) r.recommended = i;
    }
    r.meets = j.value("meets", false);
    r.marginS = numberOr(j, "margin_s", 0);
    r.leadRate = j.value("lead_rate", 0.0);
    r.verdict = j.value("verdict", "");
    r.configurations = j.value("configurations", 0);
    r.measuredNow = j.value("measured_now", 0);
    r.reused = j.value("reused", 0);
    r.wallS = j.value("wall_s", 0.0);
    r.sweepS = j.value("sweep_s", 0.0);
    r.configurationsPerMinute = j.value("configurations_per_minute", 0.0);
    if (j.contains("validation") && j["validation"].is_object()) {
      const json& v = j["validation"];
      AdviceValidation a;
      a.campaign = v.value("campaign", std::int64_t{0});
      a.run = v.value("run", std::int64_t{0});
      a.starts = v.value("starts", 0);
      a.finished = v.value("finished", 0);
      a.met = v.value("met", 0);
      a.measuredRate = v.value("measured_rate", 0.0);
      a.predictedRate = v.value("predicted_rate", 0.0);
      a.measuredP95S = numberOr(v, "measured_p95_s", 0);
      a.predictedP95S = numberOr(v, "predicted_p95_s", 0);
      a.measuredPerDay = v.value("measured_per_day", 0.0);
      a.predictedPerDay = v.value("predicted_per_day", 0.0);
      a.holds = v.value("holds", false);
      r.validation = a;
    }
    return r;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

inst::Result<std::vector<AdviceSummary>> recordedAdvice(const std::filesystem::path& database) {
  db::OpenOptions readOnly;
  readOnly.create = false;
  auto db = db::Database::open(database, readOnly);
  if (!db) return std::unexpected(db.error());
  db::AdviceStore store(*db);
  auto all = store.all();
  if (!all) return std::unexpected(all.error());
  std::vector<AdviceSummary> out;
  for (const auto& a : *all) {
    AdviceSummary s{a.id, a.name, a.state, a.createdAt, std::nullopt};
    if (!a.result.empty()) s.result = adviceOf(json::parse(a.result, nullptr, false));
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

std::string seconds(double s) { return std::isfinite(s) ? fmt::format("{:.4g}", s) : "never"; }

}  // namespace

void writeAdviceText(const AdviceResult& r, std::ostream& out) {
  out << fmt::format("Advice {} for {}{}, accuracy >= {:.1f} %\n", r.advice, r.trace,
                     r.deadlineS ? fmt::format(", deadline {:g} s", *r.deadlineS) : std::string(),
                     100 * r.minAccuracy);
  out << fmt::format("{:<10} {:<12} {:<12} {:>10} {:>8} {:>7} {:>11} {:>11} {:>7}{}  {}\n", "model", "board", "policy",
                     "cap (uF)", "acc %", "ratio", "median (s)", "p95 (s)", r.deadlineS ? "met %" : "",
                     r.continuousPeriodS ? fmt::format(" {:>9}", "per day") : "", "front");
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const auto& p = r.points[i];
    if (!p.onFront && r.recommended != i) continue;
    out << fmt::format("{:<10} {:<12} {:<12} {:>10g} {:>8.1f} {:>7.3f} {:>11} {:>11} {:>7}{}  {}{}\n", p.model, p.board,
                       p.policy, p.capacitorUf, 100 * p.accuracy, p.ratio, seconds(p.medianLatencyS),
                       seconds(p.p95LatencyS), r.deadlineS ? fmt::format("{:.0f}", 100 * p.meetRate) : "",
                       r.continuousPeriodS ? fmt::format(" {:>9.0f}", p.inferencesPerDay) : "", p.onFront ? "*" : "",
                       r.recommended == i ? "  <- recommended" : "");
  }
  const int off = static_cast<int>(std::count_if(r.points.begin(), r.points.end(), [](const auto& p) { return !p.onFront; }));
  out << fmt::format("({} configurations; {} off the front, shown by --json and the HTML report)\n", r.points.size(), off);
  out << "Recommendation: " << r.verdict << "\n";
  if (r.validation && r.continuousPeriodS) {
    const auto& v = *r.validation;
    out << fmt::format("Validation, run continuously: {:.0f} inferences a day, the front predicted {:.0f}: {}\n",
                       v.measuredPerDay, v.predictedPerDay,
                       v.holds ? "holds (within 10 %)" : "DOES NOT HOLD (more than 10 % apart)");
  } else if (r.validation) {
    const auto& v = *r.validation;
    if (r.deadlineS)
      out << fmt::format("Validation at {} held-out start times: met {} ({:.0f} %), the front predicted {:.0f} %: {}\n",
                         v.starts, v.met, 100 * v.measuredRate, 100 * v.predictedRate,
                         v.holds ? "holds (within 10 points)" : "DOES NOT HOLD (more than 10 points apart)");
    else
      out << fmt::format("Validation at {} held-out start times: {} ({:.0f} %) within the predicted p95 of {} s, the "
                         "front predicted 95 % (their p95 {} s): {}\n",
                         v.starts, v.met, 100 * v.measuredRate, seconds(v.predictedP95S), seconds(v.measuredP95S),
                         v.holds ? "holds (within 10 points)" : "DOES NOT HOLD (more than 10 points apart)");
  }
  out << fmt::format("{} configurations ({} measured now, {} from earlier runs) swept in {:.1f} s: {:.0f} per minute; "
                     "{:.1f} s in all with the validation\n",
                     r.configurations, r.measuredNow, r.reused, r.sweepS, r.configurationsPerMinute, r.wallS);
}

namespace {

// The front plot's axes: log capacitor across, log p95 latency up, over
// the points that have a latency (and the deadline).
struct FrontAxes {
  static constexpr double w = kFrontPlotWidth, h = kFrontPlotHeight, left = 70, right = 170, top = 20, bottom = 50;
  std::vector<std::size_t> shown;  // indices of the points drawn
  double lc0 = 0, lc1 = 1, ll0 = 0, ll1 = 1;
  double x(double c) const { return left + (std::log10(c) - lc0) / (lc1 - lc0) * (w - left - right); }
  double y(double l) const { return h - bottom - (std::log10(l) - ll0) / (ll1 - ll0) * (h - top - bottom); }
};

FrontAxes frontAxes(const AdviceResult& r) {
  FrontAxes a;
  double cMin = 1e300, cMax = 0, lMin = 1e300, lMax = 0;
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const auto& p = r.points[i];
    if (!p.failure.empty() || !std::isfinite(p.p95LatencyS) || !(p.p95LatencyS > 0)) continue;
    a.shown.push_back(i);
    cMin = std::min(cMin, p.capacitorUf), cMax = std::max(cMax, p.capacitorUf);
    lMin = std::min(lMin, p.p95LatencyS), lMax = std::max(lMax, p.p95LatencyS);
  }
  if (a.shown.empty()) return a;
  if (r.deadlineS) lMin = std::min(lMin, *r.deadlineS), lMax = std::max(lMax, *r.deadlineS);
  a.lc0 = std::log10(cMin) - 0.1, a.lc1 = std::log10(cMax) + 0.1;
  a.ll0 = std::log10(lMin) - 0.1, a.ll1 = std::log10(lMax) + 0.1;
  return a;
}

// Where each shown point is drawn on the axes.
std::vector<AdvicePlacement> placementOn(const FrontAxes& a, const AdviceResult& r) {
  std::vector<AdvicePlacement> out;
  for (const std::size_t i : a.shown) out.push_back({i, a.x(r.points[i].capacitorUf), a.y(r.points[i].p95LatencyS)});
  // Policies often tie at a capacitor (the same latency to a few ms); drawn
  // on one spot only the last would show, and only its run could be clicked.
  // Markers closer than kApart on one capacitor are spread sideways instead.
  constexpr double kApart = 9;
  std::vector<std::size_t> order(out.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t l, std::size_t m) {
    return std::tie(out[l].x, out[l].y) < std::tie(out[m].x, out[m].y);
  });
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin + 1;
    while (end < order.size() && out[order[end]].x == out[order[begin]].x &&
           out[order[end]].y - out[order[end - 1]].y < kApart)
      ++end;
    const double middle = static_cast<double>(end - begin - 1) / 2;
    for (std::size_t k = begin; k < end; ++k) out[order[k]].x += (static_cast<double>(k - begin) - middle) * kApart;
    begin = end;
  }
  return out;
}

}  // namespace

std::vector<AdvicePlacement> adviceFrontPlacement(const AdviceResult& r) { return placementOn(frontAxes(r), r); }

std::string adviceFrontSvg(const AdviceResult& r) {
  const FrontAxes axes = frontAxes(r);
  std::vector<const AdvicePoint*> shown;
  for (const std::size_t i : axes.shown) shown.push_back(&r.points[i]);
  constexpr double w = FrontAxes::w, h = FrontAxes::h, left = FrontAxes::left, right = FrontAxes::right,
                   top = FrontAxes::top, bottom = FrontAxes::bottom;
  std::ostringstream svg;
  svg << fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">)",
                     w, h);
  if (shown.empty()) {
    svg << R"(<text x="20" y="40">no configuration finished an inference</text></svg>)";
    return svg.str();
  }
  const double lc0 = axes.lc0, lc1 = axes.lc1, ll0 = axes.ll0, ll1 = axes.ll1;
  const auto x = [&](double c) { return axes.x(c); };
  const auto y = [&](double l) { return axes.y(l); };
  svg << fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)", left, top,
                     w - left - right, h - top - bottom);
  for (int e = static_cast<int>(std::ceil(lc0)); e <= static_cast<int>(std::floor(lc1)); ++e)
    svg << fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{:g} uF</text>)", x(std::pow(10, e)), h - bottom + 16,
                       std::pow(10, e));
  for (int e = static_cast<int>(std::ceil(ll0)); e <= static_cast<int>(std::floor(ll1)); ++e)
    svg << fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{:g} s</text>)", left - 6, y(std::pow(10, e)) + 4,
                       std::pow(10, e));
  svg << fmt::format(R"(<text x="{}" y="{}" text-anchor="middle">storage capacitor (log)</text>)", (left + w - right) / 2,
                     h - 12);
  svg << fmt::format(R"svg(<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">p95 latency over the trace (log)</text>)svg",
                     (top + h - bottom) / 2, (top + h - bottom) / 2);
  if (r.deadlineS)
    svg << fmt::format(R"(<line x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}" stroke="#c00" stroke-dasharray="4 3"/><text x="{}" y="{:.1f}" fill="#c00">deadline {:g} s</text>)",
                       left, w - right, y(*r.deadlineS), y(*r.deadlineS), left + 4, y(*r.deadlineS) - 4, *r.deadlineS);
  std::vector<std::string> models;
  for (const auto* p : shown)
    if (std::find(models.begin(), models.end(), p->model) == models.end()) models.push_back(p->model);
  const auto marker = [&](const AdvicePoint& p, double cx, double cy, double size) {
    const auto m = std::find(models.begin(), models.end(), p.model) - models.begin();
    const std::string fill = p.onFront ? policyColor(p.policy) : "none";
    const std::string stroke = policyColor(p.policy);
    switch (m % 3) {
      case 0: return fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="{}" fill="{}" stroke="{}"/>)", cx, cy, size, fill, stroke);
      case 1: return fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{}" height="{}" fill="{}" stroke="{}"/>)", cx - size,
                                 cy - size, 2 * size, 2 * size, fill, stroke);
      default: return fmt::format(R"(<path d="M{:.1f} {:.1f} l{} {} l{} 0 z" fill="{}" stroke="{}"/>)", cx, cy - size, size,
                                  2 * size, -2 * size, fill, stroke);
    }
  };
  for (const auto& placed : placementOn(axes, r)) {
    const AdvicePoint* p = &r.points[placed.point];
    svg << "<g><title>" << escapeHtml(fmt::format("{} {} {} {:g} uF: p95 {:.4g} s, met {:.0f} %, run {}", p->model,
                                                  p->board, p->policy, p->capacitorUf, p->p95LatencyS,
                                                  100 * p->meetRate, p->run))
        << "</title>" << marker(*p, placed.x, placed.y, p->onFront ? 4.5 : 3) << "</g>";
    if (r.recommended && *r.recommended == placed.point)
      svg << fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="9" fill="none" stroke="#000" stroke-width="2"/>)",
                         placed.x, placed.y);
  }
  // The legend: policies by colour, models by marker.
  double ly = top + 8;
  std::vector<std::string> policies;
  for (const auto* p : shown)
    if (std::find(policies.begin(), policies.end(), p->policy) == policies.end()) policies.push_back(p->policy);
  for (const auto& pol : policies) {
    svg << fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}">{}</text>)",
                       w - right + 12, ly, policyColor(pol), w - right + 28, ly + 9, escapeHtml(pol));
    ly += 15;
  }
  for (const auto& m : models) {
    AdvicePoint sample;
    sample.model = m;
    sample.policy = "";
    sample.onFront = false;
    svg << marker(sample, w - right + 17, ly + 5, 4) << fmt::format(R"(<text x="{}" y="{}">{}</text>)", w - right + 28,
                                                                      ly + 9, escapeHtml(m));
    ly += 15;
  }
  svg << fmt::format(R"(<text x="{}" y="{}">filled: on the front</text>)", w - right + 12, ly + 12);
  svg << fmt::format(R"(<text x="{}" y="{}">ringed: recommended</text>)", w - right + 12, ly + 27);
  svg << "</svg>";
  return svg.str();
}

void writeAdviceHtml(const AdviceResult& r, std::ostream& out) {
  out << "<!doctype html><html><head><meta charset=\"utf-8\"><title>aidi advise: " << escapeHtml(r.trace)
      << "</title><style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
         "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}td:nth-child(-n+3),th:nth-child(-n+3)"
         "{text-align:left}tr.front{font-weight:bold}tr.rec{background:#e6f4e6}</style></head><body>";
  out << "<h1>Which capacitor, model, policy and board</h1><p>Harvest <code>" << escapeHtml(r.trace) << "</code>"
      << (r.deadlineS ? fmt::format(", deadline {:g} s", *r.deadlineS) : std::string())
      << fmt::format(", accuracy at least {:.1f} %.</p>", 100 * r.minAccuracy);
  out << "<p><b>Recommendation:</b> " << escapeHtml(r.verdict) << "</p>";
  if (r.validation) {
    const auto& v = *r.validation;
    out << "<p><b>Validation</b> (run " << v.run << ", " << v.starts << " held-out start times): "
        << (r.deadlineS ? fmt::format("met the deadline at {} ({:.0f} %); the front predicted {:.0f} %.", v.met,
                                      100 * v.measuredRate, 100 * v.predictedRate)
                        : fmt::format("{} ({:.0f} %) finished within the predicted p95 of {} s; the front predicted "
                                      "95 %.",
                                      v.met, 100 * v.measuredRate, seconds(v.predictedP95S)))
        << (v.holds ? " It holds." : " <b>It does not hold.</b>") << "</p>";
  }
  out << adviceFrontSvg(r);
  out << "<p>Latencies are predicted at start times spread over the trace from each configuration's measured ratio to "
         "the energy-bound limit (its runs on the virtual bench) and the limit at each start time.</p>";
  out << "<table><tr><th>model</th><th>board</th><th>policy</th><th>capacitor (uF)</th><th>accuracy</th><th>ratio</th>"
         "<th>median (s)</th><th>p95 (s)</th>"
      << (r.deadlineS ? "<th>deadline met</th>" : "") << "<th>run</th><th></th></tr>";
  for (std::size_t i = 0; i < r.points.size(); ++i) {
    const auto& p = r.points[i];
    out << "<tr class=\"" << (p.onFront ? "front" : "") << (r.recommended == i ? " rec" : "") << "\"><td>"
        << escapeHtml(p.model) << "</td><td>" << escapeHtml(p.board) << "</td><td>" << escapeHtml(p.policy) << "</td>"
        << fmt::format("<td>{:g}</td><td>{:.1f} %</td><td>{:.3f}</td><td>{}</td><td>{}</td>", p.capacitorUf,
                       100 * p.accuracy, p.ratio, seconds(p.medianLatencyS), seconds(p.p95LatencyS))
        << (r.deadlineS ? fmt::format("<td>{:.0f} %</td>", 100 * p.meetRate) : "") << "<td>" << p.run << "</td><td>"
        << escapeHtml(p.failure.empty() ? (p.onFront ? "front" : "") : p.failure) << "</td></tr>";
  }
  out << "</table>"
      << fmt::format("<p>{} configurations ({} measured now, {} from earlier runs) swept in {:.1f} s: {:.0f} per minute; "
                     "{:.1f} s in all with the validation.</p>",
                     r.configurations, r.measuredNow, r.reused, r.sweepS, r.configurationsPerMinute, r.wallS)
      << "</body></html>\n";
}

}  // namespace aidi::core
