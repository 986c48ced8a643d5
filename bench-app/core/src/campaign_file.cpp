#include "aidi/core/campaign_file.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

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
  return s;
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
  if (auto ok = c.onlyKeys(*campaign, "campaign.", {"name", "samples", "repetitions", "time_limit_s", "bench"}); !ok)
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
    if (auto ok = c.onlyKeys(*t, key, {"name", "trace", "constant_w", "capacitor_uf", "v_on", "v_off", "v_max", "efficiency"}); !ok)
      return std::unexpected(ok.error());
    HarvestCondition h;
    auto conditionName = c.text(*t, "name", key + "name", "");
    if (!conditionName) return std::unexpected(conditionName.error());
    h.name = *conditionName;
    if (h.name.empty()) return c.error(t, key + "name", "needs a name");
    if (!names.insert(h.name).second) return c.error(t->get("name"), key + "name", "duplicate condition \"" + h.name + "\"");
    const auto trace = (*t)["trace"].value<std::string>();
    if (trace && t->contains("constant_w")) return c.error(t->get("constant_w"), key + "constant_w", "give a trace or a constant, not both");
    if (trace) {
      h.trace = std::filesystem::path(*trace).is_absolute() ? std::filesystem::path(*trace) : path.parent_path() / *trace;
      std::error_code ec;
      if (std::filesystem::is_directory(h.trace, ec))
        return c.error(t->get("trace"), key + "trace", h.trace.string() + " is a directory, not a trace file");
      auto loaded = inst::HarvestTrace::load(h.trace);
      if (!loaded) return c.error(t->get("trace"), key + "trace", loaded.error().message);
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
    for (const auto& board : f.boards)
      if (auto ok = h.storage(board).validate(); !ok)
        return c.error(t, key.substr(0, key.size() - 1), ok.error().message + " (on board " + board.name + ")");
    f.conditions.push_back(std::move(h));
  }
  if (f.runCount() > kMaxPlannedRuns)
    return c.error(campaign, "campaign.repetitions",
                   fmt::format("the matrix plans {} runs; at most {} per campaign", f.runCount(), kMaxPlannedRuns));
  return f;
}

}  // namespace aidi::core
