#include "aidi/core/api_messages.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace aidi::core {

using json = nlohmann::json;

namespace {

constexpr std::array<std::pair<CampaignEvent::Kind, std::string_view>, 5> kKinds{{
    {CampaignEvent::Kind::RunStarted, "run_started"},
    {CampaignEvent::Kind::PowerCycle, "power_cycle"},
    {CampaignEvent::Kind::Checkpoint, "checkpoint"},
    {CampaignEvent::Kind::SampleDone, "sample_done"},
    {CampaignEvent::Kind::RunEnded, "run_ended"},
}};

// JSON has no NaN or infinity: a number that is not finite is sent as null.
json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json statsMessage(const db::Stats& s) {
  return json{{"count", s.count}, {"mean", number(s.mean)}, {"median", number(s.median)}, {"p95", number(s.p95)},
              {"min", number(s.min)}, {"max", number(s.max)}};
}

// Reading back: a missing or mistyped field leaves `out` as it was and
// makes the whole message unreadable.
template <class T>
bool read(const json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end()) return false;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
  } else if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer()) return false;
  } else if constexpr (std::is_floating_point_v<T>) {
    if (it->is_null()) return out = std::numeric_limits<T>::quiet_NaN(), true;
    if (!it->is_number()) return false;
  } else {
    if (!it->is_string()) return false;
  }
  out = it->get<T>();
  return true;
}
template <class T>
void readOptional(const json& j, const char* key, T& out) {
  if (j.contains(key)) read(j, key, out);
}

bool readStats(const json& j, const char* key, db::Stats& s) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return false;
  return read(*it, "count", s.count) && read(*it, "mean", s.mean) && read(*it, "median", s.median) &&
         read(*it, "p95", s.p95) && read(*it, "min", s.min) && read(*it, "max", s.max);
}

}  // namespace

json progressMessage(const CampaignEvent& e) {
  const auto kind = std::find_if(kKinds.begin(), kKinds.end(), [&](const auto& k) { return k.first == e.kind; });
  json j{{"type", "progress"},          {"event", kind->second},          {"campaign", e.campaignId},
         {"runs_ended", e.runsEnded},   {"runs_total", e.runsTotal},      {"run", e.run.runId},
         {"model", e.run.plan.model},   {"policy", e.run.plan.policy},    {"condition", e.run.plan.condition},
         {"board", e.run.plan.board},   {"sample", e.sample},             {"samples", e.samples},
         {"elapsed_s", number(e.elapsedS)}, {"frames_dropped", e.framesDropped}};
  if (e.etaS >= 0) j["eta_s"] = number(e.etaS);
  if (e.kind == CampaignEvent::Kind::PowerCycle) {
    j["power_cycles"] = e.powerCycles;
    const auto& c = e.cycle;
    j["cycle"] = {{"index", c.index},    {"start_s", number(c.startS)}, {"off_s", number(c.offS)},
                  {"on_s", number(c.onS)}, {"sleep_s", number(c.sleepS)}, {"v_on", number(c.vOn)},
                  {"v_off", number(c.vOff)}, {"finished", c.finished}};
  }
  if (e.kind == CampaignEvent::Kind::Checkpoint) {
    j["layer"] = e.layer;
    j["layers"] = e.layers;
    j["since_boot_s"] = number(e.sinceBootS);
  }
  if (e.kind == CampaignEvent::Kind::SampleDone) {
    j["ok"] = e.ok;
    j["predicted"] = e.predicted;
    j["label"] = e.label;
    j["latency_s"] = number(e.latencyS);
  }
  if (e.kind == CampaignEvent::Kind::RunEnded) j["ok"] = e.ok;
  if ((e.kind == CampaignEvent::Kind::RunEnded || e.kind == CampaignEvent::Kind::SampleDone) && !e.failure.empty())
    j["failure"] = e.failure;
  return j;
}

std::optional<CampaignEvent> campaignEventOf(const json& j) {
  if (!j.is_object() || j.value("type", "") != "progress" || !j.contains("event") || !j["event"].is_string())
    return std::nullopt;
  const std::string name = j["event"].get<std::string>();
  const auto kind = std::find_if(kKinds.begin(), kKinds.end(), [&](const auto& k) { return k.second == name; });
  if (kind == kKinds.end()) return std::nullopt;
  CampaignEvent e;
  e.kind = kind->first;
  if (!read(j, "campaign", e.campaignId) || !read(j, "runs_ended", e.runsEnded) || !read(j, "runs_total", e.runsTotal) ||
      !read(j, "run", e.run.runId) || !read(j, "model", e.run.plan.model) || !read(j, "policy", e.run.plan.policy) ||
      !read(j, "condition", e.run.plan.condition) || !read(j, "sample", e.sample))
    return std::nullopt;
  readOptional(j, "board", e.run.plan.board);
  readOptional(j, "samples", e.samples);
  readOptional(j, "elapsed_s", e.elapsedS);
  readOptional(j, "eta_s", e.etaS);
  readOptional(j, "frames_dropped", e.framesDropped);
  e.run.plan.samples = e.samples;
  switch (e.kind) {
    case CampaignEvent::Kind::PowerCycle: {
      if (!read(j, "power_cycles", e.powerCycles) || !j.contains("cycle") || !j["cycle"].is_object()) return std::nullopt;
      const json& c = j["cycle"];
      auto& r = e.cycle;
      if (!read(c, "index", r.index) || !read(c, "start_s", r.startS) || !read(c, "off_s", r.offS) ||
          !read(c, "on_s", r.onS) || !read(c, "sleep_s", r.sleepS) || !read(c, "v_on", r.vOn) ||
          !read(c, "v_off", r.vOff) || !read(c, "finished", r.finished))
        return std::nullopt;
      break;
    }
    case CampaignEvent::Kind::Checkpoint:
      if (!read(j, "layer", e.layer)) return std::nullopt;
      readOptional(j, "layers", e.layers);
      readOptional(j, "since_boot_s", e.sinceBootS);
      break;
    case CampaignEvent::Kind::SampleDone:
      if (!read(j, "ok", e.ok) || !read(j, "predicted", e.predicted) || !read(j, "label", e.label) ||
          !read(j, "latency_s", e.latencyS))
        return std::nullopt;
      readOptional(j, "failure", e.failure);
      break;
    case CampaignEvent::Kind::RunEnded:
      if (!read(j, "ok", e.ok)) return std::nullopt;
      readOptional(j, "failure", e.failure);
      break;
    case CampaignEvent::Kind::RunStarted: break;
  }
  return e;
}

json runMessage(const RunSummary& r) {
  json run{{"id", r.runId},
           {"plan_index", r.planIndex},
           {"model", r.model},
           {"policy", r.policy},
           {"condition", r.condition},
           {"board", r.board},
           {"repetition", r.repetition},
           {"state", r.state},
           {"inferences", r.inferences},
           {"finished", r.finished},
           {"correct", r.correct},
           {"latency_s", statsMessage(r.latencyS)},
           {"energy_uj", statsMessage(r.energyUj)},
           {"power_cycles", statsMessage(r.powerCycles)},
           {"latency_ratio", statsMessage(r.latencyRatio)},
           {"harvest_w", number(r.harvestW)}};
  if (r.capacitorUf) run["capacitor_uf"] = number(*r.capacitorUf);
  if (!r.failure.empty()) run["failure"] = r.failure;
  if (r.finished > 0) run["latency_median_s"] = number(r.latencyS.median);
  return run;
}

std::optional<RunSummary> runSummaryOf(const json& j) {
  if (!j.is_object()) return std::nullopt;
  RunSummary r{};
  if (!read(j, "id", r.runId) || !read(j, "model", r.model) || !read(j, "policy", r.policy) ||
      !read(j, "condition", r.condition) || !read(j, "board", r.board) || !read(j, "state", r.state) ||
      !read(j, "inferences", r.inferences) || !read(j, "finished", r.finished) || !readStats(j, "latency_s", r.latencyS) ||
      !readStats(j, "energy_uj", r.energyUj) || !readStats(j, "power_cycles", r.powerCycles) ||
      !readStats(j, "latency_ratio", r.latencyRatio))
    return std::nullopt;
  readOptional(j, "plan_index", r.planIndex);
  readOptional(j, "repetition", r.repetition);
  readOptional(j, "correct", r.correct);
  readOptional(j, "failure", r.failure);
  readOptional(j, "harvest_w", r.harvestW);
  if (double uf = 0; j.contains("capacitor_uf") && read(j, "capacitor_uf", uf)) r.capacitorUf = uf;
  return r;
}

std::vector<json> waveformMessages(const WaveformChunk& chunk, std::int64_t campaignId, std::size_t maxPoints) {
  std::vector<json> messages;
  const std::size_t size = chunk.size();
  maxPoints = std::max<std::size_t>(maxPoints, 1);
  for (std::size_t from = 0; from < size; from += maxPoints) {
    const std::size_t n = std::min(maxPoints, size - from);
    json channels = json::object();
    for (std::size_t c = 0; c < chunk.channels.size() && c < chunk.columns.size(); ++c) {
      json values = json::array();
      for (std::size_t i = from; i < from + n; ++i) values.push_back(number(chunk.columns[c][i]));
      channels[chunk.channels[c]] = std::move(values);
    }
    messages.push_back(json{{"type", "waveform"},
                            {"campaign", campaignId},
                            {"run", chunk.runId},
                            {"attempt", chunk.attempt},
                            {"sample", chunk.sample},
                            {"source", chunk.source},
                            {"first", chunk.firstIndex + from},
                            {"t0", number(chunk.t0 + static_cast<double>(from) / chunk.rateHz)},
                            {"rate_hz", number(chunk.rateHz)},
                            {"count", n},
                            {"channels", std::move(channels)}});
  }
  return messages;
}

}  // namespace aidi::core
