#include "aidi/core/campaign_file.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "aidi/core/bench_file.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/policies.hpp"
#include "toml_file.hpp"

namespace aidi::core {
namespace {

using Checker = TomlFile;

inst::Result<std::vector<std::string>> stringList(const Checker& c, const toml::table& t, const std::string& key,
                                                  const std::string& name) {
  const toml::node* node = t.get(key);
  const toml::array* array = node ? node->as_array() : nullptr;
  if (!array || array->empty()) return c.error(node ? node : &t, name, "needs a non-empty list of strings");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& item : *array) {
    const auto s = item.value<std::string>();
    if (!s) return c.error(&item, name, "every entry must be a string");
    // A repeated entry would plan the same runs twice.
    if (!seen.insert(*s).second) return c.error(&item, name, "\"" + *s + "\" is listed twice");
    out.push_back(*s);
  }
  return out;
}

}  // namespace

inst::StorageParams HarvestCondition::storage(const BoardProfile& board) const {
  inst::StorageParams s = board.storage(capacitanceF);
  s.vOn = vOn.value_or(s.vOn);
  s.vOff = vOff.value_or(s.vOff);
  s.vMax = vMax.value_or(s.vMax);
  s.efficiency = efficiency.value_or(s.efficiency);
  s.leakageW = leakageW.value_or(s.leakageW);
  return s;
}

std::vector<double> HarvestCondition::startTimes(const inst::HarvestTrace& harvest) const {
  if (starts <= 1) return {window.startS};
  std::vector<double> times(static_cast<std::size_t>(starts), 0.0);
  if (harvest.period() <= 0) return times;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> within(0.0, 1.0);
  for (int k = 0; k < starts; ++k) times[k] = harvest.period() * (k + within(rng)) / starts;
  return times;
}

const BoardProfile* CampaignFile::findBoard(const std::string& boardName) const {
  for (const auto& b : boards)
    if (b.name == boardName) return &b;
  return nullptr;
}

const HarvestCondition* CampaignFile::findCondition(const std::string& conditionName) const {
  for (const auto& h : conditions)
    if (h.name == conditionName) return &h;
  return nullptr;
}

inst::Result<CampaignFile> loadCampaignFile(const std::filesystem::path& path, const std::filesystem::path& zoo,
                                            const std::filesystem::path& boards) {
  auto text = readTextFile(path, "campaign file");
  if (!text) return std::unexpected(text.error());
  return parseCampaign(*text, path, zoo, boards);
}

inst::Result<CampaignFile> loadCampaignFileOnBench(const std::filesystem::path& path, const std::filesystem::path& bench,
                                                  const std::filesystem::path& zoo, const std::filesystem::path& boards) {
  auto text = readTextFile(path, "campaign file");
  if (!text) return std::unexpected(text.error());
  return parseCampaignOnBench(*text, path, bench, zoo, boards);
}

inst::Result<CampaignFile> parseCampaignOnBench(const std::string& text, const std::filesystem::path& path,
                                                const std::filesystem::path& bench, const std::filesystem::path& zoo,
                                                const std::filesystem::path& boards) {
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(bench, ec);
  bool hasCampaign = true;
  auto rewritten = rewriteToml(text, path, [&](toml::table& t) -> Status {
    toml::table* campaign = t["campaign"].as_table();
    hasCampaign = campaign != nullptr;
    if (campaign) campaign->insert_or_assign("bench", (ec ? bench : absolute).string());
    return {};
  });
  if (!rewritten) return std::unexpected(rewritten.error());
  if (!hasCampaign) return parseCampaign(text, path, zoo, boards);  // its own error: no [campaign]
  return parseCampaign("# " + path.filename().string() + ", run on bench " + (ec ? bench : absolute).string() + "\n" +
                           *rewritten,
                       path, zoo, boards);
}

namespace {

// A condition's start state and time, its window and whether its trace may
// wrap (fixtures/campaigns/README.md).
inst::Status parseStart(const TomlFile& c, const toml::table& t, const std::string& key, const CampaignFile& f,
                        double tracePeriod, HarvestCondition& h) {
  if (t.contains("start_s") && t.contains("starts"))
    return c.error(t.get("starts"), key + "starts", "give start_s or starts, not both");
  if (const toml::node* wrap = t.get("wrap")) {
    if (!wrap->is_boolean()) return c.error(wrap, key + "wrap", "must be true or false");
    h.window.wrap = wrap->value_or(true);
  }
  auto window = c.number<double>(t, "window_s", key + "window_s", kDefaultWindowS, 1e-3, kMaxSimulatedS);
  if (!window) return std::unexpected(window.error());
  h.window.windowS = *window;
  const bool ends = !h.window.wrap && tracePeriod > 0;  // the trace's end bounds the runs
  auto start = c.number<double>(t, "start_s", key + "start_s", 0.0, 0.0, ends ? tracePeriod : kMaxSimulatedS);
  if (!start) return std::unexpected(start.error());
  h.window.startS = *start;
  if (ends && h.window.startS >= tracePeriod)
    return c.error(t.get("start_s"), key + "start_s",
                   fmt::format("starts at or after the end of the trace ({:g} s), which does not wrap", tracePeriod));
  if (ends && t.contains("window_s") && h.window.startS + h.window.windowS > tracePeriod)
    return c.error(t.get("window_s"), key + "window_s",
                   fmt::format("the window ends at {:g} s, after the end of the trace ({:g} s), which does not wrap",
                               h.window.startS + h.window.windowS, tracePeriod));
  auto starts = c.number<int>(t, "starts", key + "starts", 1, 1, 1000);
  if (!starts) return std::unexpected(starts.error());
  h.starts = *starts;
  if (h.starts > 1 && !f.benchFile.empty())
    return c.error(t.get("starts"), key + "starts", "start times are spread on the virtual bench only");
  auto seed = c.number<std::int64_t>(t, "seed", key + "seed", 1, 0, 4294967295.0);
  if (!seed) return std::unexpected(seed.error());
  h.seed = static_cast<std::uint32_t>(*seed);
  if (t.contains("v_start")) {
    double ceiling = 60;
    for (const auto& board : f.boards) ceiling = std::min(ceiling, h.storage(board).vMax);
    auto v = c.number<double>(t, "v_start", key + "v_start", 0.0, 0.0, ceiling);
    if (!v) return std::unexpected(v.error());
    h.window.vStart = *v;
  }
  // Continuous operation.
  auto mode = c.text(t, "mode", key + "mode", "single");
  if (!mode) return std::unexpected(mode.error());
  if (*mode != "single" && *mode != "continuous")
    return c.error(t.get("mode"), key + "mode", "must be \"single\" or \"continuous\"");
  if (*mode == "single") {
    for (const char* k : {"duration_s", "period_s", "deadline_s"})
      if (t.contains(k)) return c.error(t.get(k), key + k, "only with mode = \"continuous\"");
    return {};
  }
  if (h.starts > 1) return c.error(t.get("starts"), key + "starts", "a continuous run starts once: give start_s");
  if (!f.benchFile.empty()) return c.error(t.get("mode"), key + "mode", "continuous operation runs on the virtual bench only");
  if (!t.contains("duration_s")) return c.error(&t, key + "duration_s", "a continuous run needs its duration");
  ContinuousPlan plan;
  auto duration = c.number<double>(t, "duration_s", key + "duration_s", 0.0, 1e-3, kMaxSimulatedS);
  if (!duration) return std::unexpected(duration.error());
  plan.durationS = *duration;
  if (ends && h.window.startS + plan.durationS > tracePeriod)
    return c.error(t.get("duration_s"), key + "duration_s",
                   fmt::format("the run ends at {:g} s, after the end of the trace ({:g} s), which does not wrap",
                               h.window.startS + plan.durationS, tracePeriod));
  for (const auto& [k, field] : {std::pair<const char*, double*>{"period_s", &plan.periodS}, {"deadline_s", &plan.deadlineS}}) {
    if (!t.contains(k)) continue;
    auto v = c.number<double>(t, k, key + k, 0.0, 0.0, kMaxSimulatedS);
    if (!v) return std::unexpected(v.error());
    if (*v <= 0)
      return c.error(t.get(k), key + k,
                     std::string(k) == "period_s" ? "must be above 0 (leave it out for back-to-back requests)"
                                                  : "must be above 0 (leave it out for no deadline)");
    *field = *v;
  }
  h.continuous = plan;
  return {};
}

}  // namespace

inst::Result<CampaignFile> parseCampaign(const std::string& text, const std::filesystem::path& path,
                                         const std::filesystem::path& zoo, const std::filesystem::path& boardDir,
                                         const std::vector<BoardProfile>& recordedBoards) {
  const Checker c{path.string()};
  auto parsed = parseToml(text, path);
  if (!parsed) return std::unexpected(parsed.error());
  const toml::table& root = *parsed;
  CampaignFile f;
  f.path = path;
  f.text = text;
  if (auto ok = c.onlyKeys(root, "", {"campaign", "matrix", "condition"}); !ok) return std::unexpected(ok.error());

  const toml::table* campaign = root["campaign"].as_table();
  if (!campaign) return c.error(&root, "[campaign]", "missing section");
  if (auto ok = c.onlyKeys(*campaign, "campaign.", {"name", "samples", "repetitions", "time_limit_s", "bench", "sensing", "waveforms"});
      !ok)
    return std::unexpected(ok.error());
  const auto name = (*campaign)["name"].value<std::string>();
  if (!name || name->empty()) return c.error(campaign->get("name") ? campaign->get("name") : campaign, "campaign.name", "needs a name");
  f.name = *name;
  auto samples = c.number<int>(*campaign, "samples", "campaign.samples (images of the fixture subset)", 1, 1, 1000);
  if (!samples) return std::unexpected(samples.error());
  f.samples = *samples;
  auto reps = c.number<int>(*campaign, "repetitions", "campaign.repetitions", 1, 1, double(kMaxPlannedRuns));
  if (!reps) return std::unexpected(reps.error());
  f.repetitions = *reps;
  auto limit = c.number<double>(*campaign, "time_limit_s", "campaign.time_limit_s", 600.0, 1, 7 * 86400);
  if (!limit) return std::unexpected(limit.error());
  f.timeLimitS = *limit;
  auto sensing = c.text(*campaign, "sensing", "campaign.sensing", "adc");
  if (!sensing) return std::unexpected(sensing.error());
  if (*sensing != "adc" && *sensing != "oracle")
    return c.error(campaign->get("sensing"), "campaign.sensing", "must be \"adc\" or \"oracle\"");
  f.oracleSensing = *sensing == "oracle";
  if (const toml::node* waveforms = campaign->get("waveforms")) {
    if (!waveforms->is_boolean()) return c.error(waveforms, "campaign.waveforms", "must be true or false");
    f.waveforms = waveforms->value_or(false);
  }
  auto benchText = c.text(*campaign, "bench", "campaign.bench", "virtual");
  if (!benchText) return std::unexpected(benchText.error());
  f.bench = *benchText;
  if (f.bench != "virtual") {
    // A bench file, validated now: a wrong one must not wait for the first run.
    f.benchFile = std::filesystem::path(f.bench).is_absolute() ? std::filesystem::path(f.bench) : path.parent_path() / f.bench;
    if (auto bench = loadBenchFile(f.benchFile); !bench)
      return c.error(campaign->get("bench"), "campaign.bench", bench.error().message);
  }

  const toml::table* matrix = root["matrix"].as_table();
  if (!matrix) return c.error(&root, "[matrix]", "missing section");
  if (auto ok = c.onlyKeys(*matrix, "matrix.", {"models", "policies", "boards"}); !ok) return std::unexpected(ok.error());
  auto models = stringList(c, *matrix, "models", "matrix.models");
  if (!models) return std::unexpected(models.error());
  for (std::size_t i = 0; i < models->size(); ++i) {
    if (!isModelInZoo(zoo, (*models)[i]))
      return c.error(matrix->get("models")->as_array()->get(i), "matrix.models",
                     "unknown model \"" + (*models)[i] + "\" (not in " + zoo.string() + ")");
  }
  f.models = *models;
  auto policies = stringList(c, *matrix, "policies", "matrix.policies");
  if (!policies) return std::unexpected(policies.error());
  for (std::size_t i = 0; i < policies->size(); ++i) {
    if (!findPolicy((*policies)[i]))
      return c.error(matrix->get("policies")->as_array()->get(i), "matrix.policies",
                     "unknown policy \"" + (*policies)[i] + "\" (" + policyList() + ")");
  }
  f.policies = *policies;

  // Boards: named profiles (boards/NAME.toml); by default the bench's own.
  std::vector<std::string> boardNames;
  if (matrix->contains("boards")) {
    auto names = stringList(c, *matrix, "boards", "matrix.boards");
    if (!names) return std::unexpected(names.error());
    boardNames = *names;
  } else if (!f.benchFile.empty()) {
    auto bench = loadBenchFile(f.benchFile);
    if (bench) boardNames = {bench->target};
  } else {
    boardNames = {kDefaultBoard};
  }
  for (std::size_t i = 0; i < boardNames.size(); ++i) {
    const toml::node* where = matrix->contains("boards") ? matrix->get("boards")->as_array()->get(i) : matrix;
    inst::Result<BoardProfile> profile = inst::fail(inst::ErrorCode::NotFound, "");
    const auto recorded = std::find_if(recordedBoards.begin(), recordedBoards.end(),
                                       [&](const BoardProfile& b) { return b.name == boardNames[i]; });
    profile = recorded != recordedBoards.end() ? inst::Result<BoardProfile>(*recorded)
                                               : findBoardProfile(boardNames[i], boardDir);
    if (!profile) return c.error(where, "matrix.boards", profile.error().message);
    const bool virtualBoard = profile->target == kDefaultBoard;
    if (f.benchFile.empty() != virtualBoard)
      return c.error(where, "matrix.boards",
                     "board \"" + profile->name + "\" runs on " + profile->target + ", " +
                         (virtualBoard ? "not on a real bench" : "not on the virtual bench"));
    f.boards.push_back(std::move(*profile));
  }

  const toml::array* conditions = root["condition"].as_array();
  if (!conditions || conditions->empty()) return c.error(&root, "[[condition]]", "at least one harvest condition is needed");
  std::set<std::string> names;
  for (std::size_t i = 0; i < conditions->size(); ++i) {
    const toml::table* t = conditions->get(i)->as_table();
    const std::string key = "condition[" + std::to_string(i) + "].";
    if (!t) return c.error(conditions->get(i), key, "must be a table");
    if (auto ok = c.onlyKeys(*t, key, {"name", "trace", "constant_w", "capacitor_uf", "v_on", "v_off", "v_max", "efficiency",
                                       "leakage_w", "v_start", "start_s", "starts", "seed", "window_s", "wrap", "mode",
                                       "duration_s", "period_s", "deadline_s"});
        !ok)
      return std::unexpected(ok.error());
    HarvestCondition h;
    auto conditionName = c.text(*t, "name", key + "name", "");
    if (!conditionName) return std::unexpected(conditionName.error());
    h.name = *conditionName;
    if (h.name.empty()) return c.error(t, key + "name", "needs a name");
    if (!names.insert(h.name).second) return c.error(t->get("name"), key + "name", "duplicate condition \"" + h.name + "\"");
    const auto trace = (*t)["trace"].value<std::string>();
    double tracePeriod = 0;  // 0: a constant, no end
    if (trace && t->contains("constant_w")) return c.error(t->get("constant_w"), key + "constant_w", "give a trace or a constant, not both");
    if (trace) {
      h.trace = std::filesystem::path(*trace).is_absolute() ? std::filesystem::path(*trace) : path.parent_path() / *trace;
      std::error_code ec;
      if (std::filesystem::is_directory(h.trace, ec))
        return c.error(t->get("trace"), key + "trace", h.trace.string() + " is a directory, not a trace file");
      auto loaded = inst::HarvestTrace::load(h.trace);
      if (!loaded) return c.error(t->get("trace"), key + "trace", loaded.error().message);
      tracePeriod = loaded->period();
    } else {
      if (!t->contains("constant_w")) return c.error(t, key + "trace", "give a trace file or constant_w");
      auto watts = c.number<double>(*t, "constant_w", key + "constant_w", 0.0, 0, inst::HarvestTrace::kMaxPowerW);
      if (!watts) return std::unexpected(watts.error());
      h.constantWatts = *watts;
    }
    auto cap = c.number<double>(*t, "capacitor_uf", key + "capacitor_uf", 0.0, 1e-3, 1e7, true);
    if (!cap) return std::unexpected(cap.error());
    h.capacitorUf = *cap;
    h.capacitanceF = *cap * 1e-6;
    for (const auto& [k, field] : {std::pair<const char*, std::optional<double>*>{"v_on", &h.vOn}, {"v_off", &h.vOff},
                                   {"v_max", &h.vMax}, {"efficiency", &h.efficiency}}) {
      if (!t->contains(k)) continue;
      auto v = c.number<double>(*t, k, key + k, 0.0, 0.0, std::string(k) == "efficiency" ? 1.0 : 60.0);
      if (!v) return std::unexpected(v.error());
      *field = *v;
    }
    if (t->contains("leakage_w")) {
      auto v = c.number<double>(*t, "leakage_w", key + "leakage_w", 0.0, 0.0, 1.0);
      if (!v) return std::unexpected(v.error());
      h.leakageW = *v;
    }
    for (const auto& board : f.boards)
      if (auto ok = h.storage(board).validate(); !ok)
        return c.error(t, key.substr(0, key.size() - 1), ok.error().message + " (on board " + board.name + ")");
    if (auto ok = parseStart(c, *t, key, f, tracePeriod, h); !ok) return std::unexpected(ok.error());
    f.conditions.push_back(std::move(h));
  }
  if (f.runCount() > kMaxPlannedRuns)
    return c.error(campaign, "campaign.repetitions",
                   fmt::format("the matrix plans {} runs; at most {} per campaign", f.runCount(), kMaxPlannedRuns));
  return f;
}

}  // namespace aidi::core
