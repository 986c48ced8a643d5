#include "aidi/core/campaign_file.hpp"
#include "aidi/core/policies.hpp"

#include <fstream>
#include <set>

#include <toml++/toml.h>

#include "aidi/core/bench_file.hpp"

namespace aidi::core {
namespace {

struct Checker {
  std::string file;
  std::string where(const toml::node* node) const {
    if (node && node->source().begin.line) return file + ":" + std::to_string(node->source().begin.line);
    return file;
  }
  std::unexpected<inst::Error> error(const toml::node* node, const std::string& key, const std::string& why) const {
    return inst::fail(inst::ErrorCode::Protocol, where(node) + ": " + key + ": " + why);
  }
};


// Refuses keys the format does not know (a typo must not be ignored).
inst::Status onlyKeys(const Checker& c, const toml::table& t, const std::string& section,
                      const std::set<std::string>& allowed) {
  for (const auto& [key, node] : t) {
    if (!allowed.contains(std::string(key.str())))
      return c.error(&node, section + std::string(key.str()), "unknown key");
  }
  return {};
}

inst::Result<std::vector<std::string>> stringList(const Checker& c, const toml::table& t, const std::string& key,
                                                  const std::string& name) {
  const toml::node* node = t.get(key);
  const toml::array* array = node ? node->as_array() : nullptr;
  if (!array || array->empty()) return c.error(node ? node : &t, name, "needs a non-empty list of strings");
  std::vector<std::string> out;
  for (const auto& item : *array) {
    const auto s = item.value<std::string>();
    if (!s) return c.error(&item, name, "every entry must be a string");
    out.push_back(*s);
  }
  return out;
}

template <class T>
inst::Result<T> number(const Checker& c, const toml::table& t, const std::string& key, const std::string& name,
                       T fallback, bool required = false) {
  const toml::node* node = t.get(key);
  if (!node) {
    if (required) return c.error(&t, name, "missing");
    return fallback;
  }
  const auto v = node->value<double>();
  if (!v) return c.error(node, name, "must be a number");
  return static_cast<T>(*v);
}

}  // namespace

inst::Result<CampaignFile> loadCampaignFile(const std::filesystem::path& path, const std::filesystem::path& zoo) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return inst::fail(inst::ErrorCode::NotFound, path.string() + ": cannot open the campaign file");
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  return parseCampaign(text, path, zoo);
}

inst::Result<CampaignFile> parseCampaign(const std::string& text, const std::filesystem::path& path,
                                         const std::filesystem::path& zoo) {
  const Checker c{path.string()};
  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    return inst::fail(inst::ErrorCode::Protocol, path.string() + ":" + std::to_string(e.source().begin.line) +
                                                     ": bad TOML: " + std::string(e.description()));
  }
  CampaignFile f;
  f.path = path;
  f.text = text;
  if (auto ok = onlyKeys(c, root, "", {"campaign", "matrix", "condition"}); !ok) return std::unexpected(ok.error());

  const toml::table* campaign = root["campaign"].as_table();
  if (!campaign) return c.error(&root, "[campaign]", "missing section");
  if (auto ok = onlyKeys(c, *campaign, "campaign.", {"name", "samples", "repetitions", "time_limit_s", "bench"}); !ok)
    return std::unexpected(ok.error());
  const auto name = (*campaign)["name"].value<std::string>();
  if (!name || name->empty()) return c.error(campaign->get("name") ? campaign->get("name") : campaign, "campaign.name", "needs a name");
  f.name = *name;
  auto samples = number<int>(c, *campaign, "samples", "campaign.samples", 1);
  if (!samples) return std::unexpected(samples.error());
  if (*samples < 1 || *samples > 1000) return c.error(campaign->get("samples"), "campaign.samples", "must be 1 to 1000 (the fixture subset)");
  f.samples = *samples;
  auto reps = number<int>(c, *campaign, "repetitions", "campaign.repetitions", 1);
  if (!reps) return std::unexpected(reps.error());
  if (*reps < 1) return c.error(campaign->get("repetitions"), "campaign.repetitions", "must be at least 1");
  f.repetitions = *reps;
  auto limit = number<double>(c, *campaign, "time_limit_s", "campaign.time_limit_s", 600.0);
  if (!limit) return std::unexpected(limit.error());
  if (!(*limit > 0)) return c.error(campaign->get("time_limit_s"), "campaign.time_limit_s", "must be positive");
  f.timeLimitS = *limit;
  f.bench = (*campaign)["bench"].value_or(std::string("virtual"));
  if (f.bench != "virtual") {
    // A bench file, validated now: a wrong one must not wait for the first run.
    f.benchFile = std::filesystem::path(f.bench).is_absolute() ? std::filesystem::path(f.bench) : path.parent_path() / f.bench;
    if (auto bench = loadBenchFile(f.benchFile); !bench)
      return c.error(campaign->get("bench"), "campaign.bench", bench.error().message);
  }

  const toml::table* matrix = root["matrix"].as_table();
  if (!matrix) return c.error(&root, "[matrix]", "missing section");
  if (auto ok = onlyKeys(c, *matrix, "matrix.", {"models", "policies"}); !ok) return std::unexpected(ok.error());
  auto models = stringList(c, *matrix, "models", "matrix.models");
  if (!models) return std::unexpected(models.error());
  for (std::size_t i = 0; i < models->size(); ++i) {
    if (!std::filesystem::exists(zoo / (*models)[i] / "model.aidi"))
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

  const toml::array* conditions = root["condition"].as_array();
  if (!conditions || conditions->empty()) return c.error(&root, "[[condition]]", "at least one harvest condition is needed");
  std::set<std::string> names;
  for (std::size_t i = 0; i < conditions->size(); ++i) {
    const toml::table* t = conditions->get(i)->as_table();
    const std::string key = "condition[" + std::to_string(i) + "].";
    if (!t) return c.error(conditions->get(i), key, "must be a table");
    if (auto ok = onlyKeys(c, *t, key, {"name", "trace", "constant_w", "capacitor_uf", "v_on", "v_off", "v_max", "efficiency"}); !ok)
      return std::unexpected(ok.error());
    HarvestCondition h;
    h.name = (*t)["name"].value_or(std::string());
    if (h.name.empty()) return c.error(t, key + "name", "needs a name");
    if (!names.insert(h.name).second) return c.error(t->get("name"), key + "name", "duplicate condition \"" + h.name + "\"");
    const auto trace = (*t)["trace"].value<std::string>();
    if (trace && t->contains("constant_w")) return c.error(t->get("constant_w"), key + "constant_w", "give a trace or a constant, not both");
    if (trace) {
      h.trace = std::filesystem::path(*trace).is_absolute() ? std::filesystem::path(*trace) : path.parent_path() / *trace;
      auto loaded = inst::HarvestTrace::load(h.trace);
      if (!loaded) return c.error(t->get("trace"), key + "trace", loaded.error().message);
    } else {
      auto watts = number<double>(c, *t, "constant_w", key + "constant_w", 0.0, true);
      if (!watts) return c.error(t, key + "trace", "give a trace file or constant_w");
      if (*watts < 0) return c.error(t->get("constant_w"), key + "constant_w", "must not be negative");
      h.constantWatts = *watts;
    }
    auto cap = number<double>(c, *t, "capacitor_uf", key + "capacitor_uf", 0.0, true);
    if (!cap) return std::unexpected(cap.error());
    if (!(*cap > 0)) return c.error(t->get("capacitor_uf"), key + "capacitor_uf", "must be positive (got " + std::to_string(*cap) + ")");
    h.storage.capacitanceF = *cap * 1e-6;
    for (const auto& [k, field] : {std::pair<const char*, double*>{"v_on", &h.storage.vOn}, {"v_off", &h.storage.vOff},
                                   {"v_max", &h.storage.vMax}, {"efficiency", &h.storage.efficiency}}) {
      auto v = number<double>(c, *t, k, key + k, *field);
      if (!v) return std::unexpected(v.error());
      *field = *v;
    }
    if (auto ok = h.storage.validate(); !ok) return c.error(t, key.substr(0, key.size() - 1), ok.error().message);
    f.conditions.push_back(std::move(h));
  }
  return f;
}

}  // namespace aidi::core
