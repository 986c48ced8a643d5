#include "aidi/core/report.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "aidi/core/model_zoo.hpp"
#include "aidi/core/policies.hpp"
#include "aidi/db/campaign_store.hpp"
#include "aidi/db/database.hpp"
#include "read_database.hpp"
#include "recorded_boards.hpp"
#include "recorded_energy.hpp"
#include "aidi/db/export.hpp"
#include "svg_plot.hpp"

namespace aidi::core {
const char* policyColor(const std::string& policy) {
  // One colour per row of the policy table (grey is for what is not a policy).
  static const char* colors[] = {"#d62728", "#1f77b4", "#9467bd", "#2ca02c", "#ff7f0e", "#8c564b",
                                 "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939", "#843c39"};
  static_assert(sizeof colors / sizeof colors[0] >= proto::kPolicyCount, "a colour for every policy");
  for (std::size_t i = 0; i < proto::kPolicyCount; ++i)
    if (policy == proto::kPolicies[i].name) return colors[i];
  return "#7f7f7f";
}

namespace {

const char* modelColor(std::size_t index) {
  static const char* colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"};
  return colors[index % 6];
}

// The physical figures every number of the report rests on: each board's
// profile as the campaign recorded it, figure by figure with its source.
std::vector<std::pair<std::string, std::string>> assumptions(const Report& r) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& b : r.boards) {
    const auto row = [&](const std::string& what, const std::string& value, const char* key) {
      const auto it = b.sources.find(key);
      rows.emplace_back(b.name + ": " + what, value + (it == b.sources.end() ? "" : " (" + it->second + ")"));
    };
    rows.emplace_back("board " + b.name, b.description + " [" + b.path.string() + ", runs on " + b.target + "]");
    row("CPU clock", fmt::format("{:g} MHz", b.clockHz / 1e6), "clock_hz");
    row("active power", fmt::format("{:.4g} mW", b.activePowerW * 1e3), "active_power_w");
    row("sleep power", fmt::format("{:.4g} uW", b.sleepPowerW * 1e6), "sleep_power_w");
    row("NVM cost", fmt::format("{} ({}): {} CPU cycles per byte, {} per write command, {} per read", b.nvmKind,
                                fmt::format("{} KiB", b.nvmBytes / 1024), b.nvmCyclesPerByte, b.nvmWriteOverheadCycles,
                                b.nvmReadOverheadCycles),
        "nvm_cycles_per_byte");
    row("NVM standby power", fmt::format("{:.4g} uW (added to the active power while the board runs)",
                                         b.nvmStandbyPowerW * 1e6), "nvm_standby_power_w");
    row("NVM transfer power", fmt::format("{:.4g} mW (in place of standby while a read or write transfers)",
                                          b.nvmActivePowerW * 1e3), "nvm_active_power_w");
    row("NVM sleep power", fmt::format("{:.4g} uW (added while the board sleeps)", b.nvmSleepPowerW * 1e6),
        "nvm_sleep_power_w");
    row("NVM wake-up", fmt::format("{:g} us ({} cycles waited after every wake)", b.nvmWakeS * 1e6, b.nvmWakeCycles()),
        "nvm_wake_s");
    if (b.telemetryBaud > 0)
      row("telemetry", fmt::format("{} Bd, polled: {:.0f} CPU cycles per frame byte", b.telemetryBaud,
                                   b.telemetryCyclesPerByte()), "telemetry_baud");
    else
      row("telemetry", "not charged (the bench observes the virtual board for free)", "telemetry_baud");
    row("V_on", fmt::format("{:g} V", b.vOn), "v_on");
    row("V_off", fmt::format("{:g} V", b.vOff), "v_off");
    row("V_max", fmt::format("{:g} V", b.vMax), "v_max");
    row("converter efficiency", fmt::format("{:g} %", b.efficiency * 100), "efficiency");
    row("capacitor leakage", fmt::format("{:g} uW", b.leakageW * 1e6), "leakage_w");
  }
  rows.emplace_back("energy-bound limit",
                    "max(N/f, first t with usable stored energy + efficiency x harvested(0..t) >= N/f x P_plain), "
                    "N = instructions of the plain inference on the same board, f from the run's board, P_plain its "
                    "active power with the NVM asleep (a plain inference needs none)");
  return rows;
}

// Where the results come from: the campaign file, when and by what it was
// planned and finished, the boards and the firmware builds.
std::vector<std::pair<std::string, std::string>> provenanceRows(const Report& r) {
  const auto& p = r.provenance;
  const auto orUnknown = [](const std::string& v) { return v.empty() ? std::string("not recorded") : v; };
  std::vector<std::pair<std::string, std::string>> rows = {
      {"campaign file", orUnknown(p.campaignFile) + " (its text as planned is in the database)"},
      {"planned", orUnknown(p.plannedAt) + " by aidi " + orUnknown(p.benchVersion) + " on " + orUnknown(p.host)},
      {"finished", p.finishedAt.empty() ? "not yet" : p.finishedAt},
      {"database", r.databasePath}};
  for (const auto& b : r.boards) rows.emplace_back("board " + b.name, b.path.string() + " (as the campaign recorded it)");
  std::string builds;
  for (const auto& [hash, n] : p.firmwareBuilds) builds += fmt::format("{}{} ({} inferences)", builds.empty() ? "" : ", ", hash, n);
  if (p.inferencesWithoutBuild > 0)
    builds += fmt::format("{}{} inferences without a recorded build", builds.empty() ? "" : "; ", p.inferencesWithoutBuild);
  rows.emplace_back("firmware builds", builds.empty() ? "none recorded" : builds);
  rows.emplace_back("this report", fmt::format("aidi {}", AIDI_VERSION));
  return rows;
}

const BoardProfile* boardOf(const Report& r, const std::string& name) {
  for (const auto& b : r.boards)
    if (b.name == name) return &b;
  return nullptr;
}

std::string percent(double v) { return fmt::format("{:.2f} %", v * 100); }
std::string optNumber(const std::optional<double>& v, const char* f = "{:g}") {
  return v ? fmt::format(fmt::runtime(f), *v) : std::string("-");
}

}  // namespace

std::string escapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// Where each cell's energy went: the recorded parts of its finished
// inferences (the same split as aidi sim's), averaged per inference.
inst::Status addEnergySplits(db::Database& db, Report& report,
                             const std::map<std::pair<std::int64_t, std::uint32_t>, std::size_t>& finishedIn) {
  auto parts = db::campaignEnergy(db, report.campaignId);
  if (!parts) return std::unexpected(parts.error());
  const auto inferences = gatherEnergy(*parts, [&](const InferenceKey& key) { return finishedIn.contains(key); });
  std::map<std::size_t, std::vector<EnergySplit>> splits;
  std::map<std::size_t, double> asleep;
  for (const auto& [key, i] : inferences) {
    const std::size_t index = finishedIn.at(key);
    splits[index].push_back(splitEnergy(i.activity));
    asleep[index] += i.asleepJ;
  }
  for (const auto& [index, list] : splits) {
    report.cells[index].energySplit = meanSplit(list);
    report.cells[index].asleepJ = asleep[index] / static_cast<double>(list.size());
  }
  return {};
}

}  // namespace

inst::Result<Report> buildReport(const std::filesystem::path& database, std::int64_t campaignId,
                                 const std::filesystem::path& modelZoo, std::optional<std::int64_t> timelineRun) {
  auto db = openForReading(database);  // an older schema is migrated: reports need its columns
  if (!db) return std::unexpected(db.error());
  db::CampaignStore store(*db);
  auto recorded = store.recorded(campaignId);
  if (!recorded) return std::unexpected(recorded.error());
  Report report;
  report.campaignId = campaignId;
  report.campaignName = recorded->name;
  report.campaignState = recorded->state;
  report.databasePath = database.string();
  report.provenance.campaignFile = recorded->sourcePath;
  report.provenance.plannedAt = recorded->createdAt;
  report.provenance.finishedAt = recorded->finishedAt;
  report.provenance.benchVersion = recorded->provenance.benchVersion;
  report.provenance.host = recorded->provenance.host;
  auto progress = store.progress(campaignId);
  if (!progress) return std::unexpected(progress.error());
  report.progress = *progress;
  auto runs = db::runSummaries(*db, campaignId);
  if (!runs) return std::unexpected(runs.error());
  report.runs = std::move(*runs);
  auto inferences = db::campaignInferences(*db, campaignId);
  if (!inferences) return std::unexpected(inferences.error());

  auto boards = recordedBoards(*recorded);
  if (!boards) return std::unexpected(boards.error());
  report.boards = std::move(*boards);

  // Cells in plan order; runs without any inference (failed before the first) count too.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::size_t> cellIndex;
  const auto cellOf = [&](const std::string& m, const std::string& b, const std::string& p,
                          const std::string& c) -> ReportCell& {
    auto [it, inserted] = cellIndex.try_emplace({m, b, p, c}, report.cells.size());
    if (inserted) report.cells.push_back(ReportCell{m, p, c, b});
    return report.cells[it->second];
  };
  std::map<std::string, ReportModel> models;
  std::vector<std::string> modelOrder;
  for (const auto& run : report.runs) {
    ReportCell& cell = cellOf(run.model, run.board, run.policy, run.condition);
    cell.capacitorUf = run.capacitorUf;
    ++cell.runs;
    if (run.state == "done") ++cell.runsDone;
    if (cell.failure.empty() && !run.failure.empty()) cell.failure = run.failure;
    if (!models.contains(run.model)) {
      modelOrder.push_back(run.model);
      models[run.model].name = run.model;
    }
  }
  struct Acc {
    std::vector<double> latency, ratio, cycles, bound;
    double harvest = 0, energyJ = 0, latencySum = 0;
    std::uint64_t plain = 0, boot = 0, checkpoint = 0, reexecuted = 0;
  };
  // The finished inferences, by (run, inference): their cells.
  std::map<std::pair<std::int64_t, std::uint32_t>, std::size_t> finishedIn;
  std::map<std::size_t, Acc> acc;
  for (const auto& r : *inferences) {
    if (r.firmwareBuild.empty()) ++report.provenance.inferencesWithoutBuild;
    else ++report.provenance.firmwareBuilds[r.firmwareBuild];
    ReportCell& cell = cellOf(r.model, r.board, r.policy, r.condition);
    Acc& a = acc[cellIndex[{r.model, r.board, r.policy, r.condition}]];
    ++cell.inferences;
    // The limit is recorded for every inference, finished or not.
    if (r.energyBoundS) a.bound.push_back(*r.energyBoundS);
    if (!r.finished) continue;
    ++cell.finished;
    const bool correct = r.label && r.predicted && *r.label == *r.predicted;
    if (correct) ++cell.correct;
    ReportModel& m = models[r.model];
    if (r.label) {
      ++m.deviceSamples;
      if (correct) ++m.deviceCorrect;
    }
    if (r.latencyS) a.latency.push_back(*r.latencyS);
    if (r.latencyS && r.energyBoundS && *r.energyBoundS > 0) a.ratio.push_back(*r.latencyS / *r.energyBoundS);
    a.cycles.push_back(static_cast<double>(r.powerCycles));
    a.harvest += r.harvestW.value_or(0);
    a.energyJ += r.energyUj.value_or(0) * 1e-6;
    a.latencySum += r.latencyS.value_or(0);
    finishedIn[{r.runId, r.inference}] = cellIndex[{r.model, r.board, r.policy, r.condition}];
    a.plain += r.plainCycles;
    a.boot += r.bootCycles;
    a.checkpoint += r.checkpointCycles;
    a.reexecuted += r.reexecutedCycles;
  }
  for (auto& [index, a] : acc) {
    ReportCell& cell = report.cells[index];
    cell.latencyS = db::statsOf(a.latency);
    cell.ratio = db::statsOf(a.ratio);
    cell.powerCycles = db::statsOf(a.cycles);
    cell.energyBoundS = db::statsOf(a.bound).median;
    cell.harvestW = cell.finished ? a.harvest / cell.finished : 0;
    if (cell.finished) cell.energyJ = a.energyJ / cell.finished;
    if (a.latencySum > 0) cell.averagePowerW = a.energyJ / a.latencySum;
    if (a.plain) {
      cell.bootShare = static_cast<double>(a.boot) / static_cast<double>(a.plain);
      cell.checkpointShare = static_cast<double>(a.checkpoint) / static_cast<double>(a.plain);
      cell.reexecutedShare = static_cast<double>(a.reexecuted) / static_cast<double>(a.plain);
    }
  }
  if (auto ok = addEnergySplits(*db, report, finishedIn); !ok) return std::unexpected(ok.error());
  for (const auto& name : modelOrder) {
    ReportModel m = models[name];
    if (auto summary = loadModelSummary(modelZoo / name)) {
      m.inZoo = true;
      m.params = summary->params;
      m.macs = summary->macs;
      m.peakSramBytes = summary->peakSramBytes;
      m.flashBytes = summary->modelBytes;
      m.floatAccuracy = summary->floatAccuracy;
      m.int8Accuracy = summary->int8Accuracy;
    }
    report.models.push_back(std::move(m));
  }

  // The run whose capacitor voltage is plotted.
  std::optional<db::RunSummary> chosen;
  if (timelineRun) {
    for (const auto& run : report.runs)
      if (run.runId == *timelineRun) chosen = run;
    if (!chosen)
      return inst::fail(inst::ErrorCode::NotFound, "run " + std::to_string(*timelineRun) + " is not in campaign " +
                                                       std::to_string(campaignId));
  } else {
    for (const auto& run : report.runs) {
      if (run.finished == 0) continue;
      const bool better = !chosen || (run.policy == "aidi" && chosen->policy != "aidi") ||
                          (run.policy == chosen->policy && run.powerCycles.median > chosen->powerCycles.median);
      if (better) chosen = run;
    }
  }
  if (chosen) {
    auto timeline = db::runTimeline(*db, chosen->runId, 0);
    if (!timeline) return std::unexpected(timeline.error());
    report.timeline = std::move(*timeline);
    if (const BoardProfile* board = boardOf(report, chosen->board)) report.timelineClockHz = board->clockHz;
    report.timelineLabel = fmt::format("run {}: {} / {} / {} / {} (repetition {}, sample 0)", chosen->runId,
                                       chosen->model, chosen->board, chosen->policy, chosen->condition,
                                       chosen->repetition);
  }
  return report;
}

namespace {

// The cells of one model, board and harvest condition, policy by policy.
using CellGroup = std::vector<const ReportCell*>;
std::vector<std::pair<std::string, CellGroup>> cellsByModelAndCondition(const Report& r) {
  std::vector<std::pair<std::string, CellGroup>> groups;
  std::map<std::string, std::size_t> index;
  for (const auto& c : r.cells) {
    const std::string key = c.model + " / " + c.board + " / " + c.condition;
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) groups.push_back({key, {}});
    groups[it->second].second.push_back(&c);
  }
  return groups;
}

std::string layerEnergyChart(const std::string& title, const CellGroup& cells) {
  std::vector<LayerEnergySeries> series;
  for (const ReportCell* c : cells)
    if (c->energySplit) series.push_back({c->policy, policyColor(c->policy), *c->energySplit});
  return layerEnergySvg(title, series);
}

}  // namespace

std::string layerEnergySvg(const std::string& title, const std::vector<LayerEnergySeries>& series) {
  std::vector<const LayerEnergySeries*> shown;
  std::size_t layers = 0;
  double top = 0;
  for (const auto& c : series) {
    if (c.split.layers.empty()) continue;
    shown.push_back(&c);
    layers = std::max(layers, c.split.layers.size());
    for (const auto& l : c.split.layers) top = std::max(top, (l.computeJ + l.nvmJ + l.reexecutedJ) * 1e6);
  }
  if (shown.empty() || top <= 0) return {};
  const int barW = 6, gap = 6, left = 70, right = 150, plotH = 220, topPad = 34, bottom = 40;
  const int groupW = static_cast<int>(shown.size()) * barW + gap;
  const int width = std::max(620, left + static_cast<int>(layers) * groupW + right), height = topPad + plotH + bottom;
  std::ostringstream o;
  o << fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {0} {1}" width="{0}" height="{1}" role="img">)",
                   width, height);
  o << fmt::format(R"(<text x="{}" y="18" class="t">{}</text>)", left,
                   escapeHtml("Where the energy goes, layer by layer: " + title));
  const auto y = [&](double uj) { return topPad + plotH - uj / top * plotH; };
  o << fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#888"/>)", left, topPad, topPad + plotH);
  for (int k = 0; k <= 4; ++k) {
    const double v = top * k / 4;
    o << fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end" class="k">{:.3g}</text>)", left - 4, y(v) + 4, v);
  }
  o << fmt::format(R"svg(<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle" class="a">uJ per inference</text>)svg",
                   topPad + plotH / 2, topPad + plotH / 2);
  for (std::size_t l = 0; l < layers; ++l) {
    const int x0 = left + static_cast<int>(l) * groupW + gap / 2;
    if (layers <= 40 || l % 5 == 0)
      o << fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="k">{}</text>)", x0 + groupW / 2 - gap / 2,
                       topPad + plotH + 14, l);
    for (std::size_t p = 0; p < shown.size(); ++p) {
      const auto& ls = shown[p]->split.layers;
      if (l >= ls.size()) continue;
      const LayerEnergy& e = ls[l];
      double base = 0;
      const int x = x0 + static_cast<int>(p) * barW;
      for (const auto& [uj, opacity, what] : {std::tuple{e.computeJ * 1e6, 1.0, "compute"},
                                              std::tuple{e.nvmJ * 1e6, 0.5, "NVM"},
                                              std::tuple{e.reexecutedJ * 1e6, 0.2, "re-executed"}}) {
        if (uj <= 0) continue;
        o << fmt::format(R"(<rect x="{}" y="{:.1f}" width="{}" height="{:.1f}" fill="{}" fill-opacity="{}" stroke="{}" stroke-width="0.5"><title>{}</title></rect>)",
                         x, y(base + uj), barW - 1, y(base) - y(base + uj), shown[p]->color, opacity,
                         shown[p]->color, escapeHtml(fmt::format("layer {}, {}: {} {:.4g} uJ", l, shown[p]->name, what, uj)));
        base += uj;
      }
    }
  }
  o << fmt::format(R"(<text x="{}" y="{}" text-anchor="middle" class="a">layer</text>)",
                   left + static_cast<int>(layers) * groupW / 2, height - 6);
  int ly = topPad + 4;
  for (const LayerEnergySeries* c : shown) {
    o << fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" class="l">{}</text>)",
                     width - right + 12, ly, c->color, width - right + 26, ly + 9, escapeHtml(c->name));
    ly += 15;
  }
  ly += 6;
  for (const auto& [opacity, what] : {std::pair{1.0, "compute"}, std::pair{0.5, "NVM"}, std::pair{0.2, "re-executed"}}) {
    o << fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" fill="#555" fill-opacity="{}" stroke="#555"/><text x="{}" y="{}" class="l">{}</text>)",
                     width - right + 12, ly, opacity, width - right + 26, ly + 9, what);
    ly += 15;
  }
  o << "</svg>";
  return o.str();
}

namespace {

// One model's cells (every condition): models are not mixed in one plot.
std::string latencyVsPowerPlot(const Report& r, const std::string& model) {
  svg::Plot plot("Latency / energy-bound limit vs harvested power: " + model + " (median per condition)",
                 {"mean harvested power (W)", true}, {"latency / energy-bound limit", false});
  std::map<std::string, svg::Series> byPolicy;
  for (const auto& c : r.cells) {
    if (c.model != model || c.finished == 0 || c.ratio.count == 0) continue;
    auto& s = byPolicy[c.policy];
    s.name = c.policy;
    s.color = policyColor(c.policy);
    s.points.push_back({c.harvestW, c.ratio.median,
                        fmt::format("{} / {} / {}: {:.3f}x at {:.3g} W", c.model, c.policy, c.condition,
                                    c.ratio.median, c.harvestW)});
  }
  for (auto& [_, s] : byPolicy) plot.add(std::move(s));
  plot.autoscale();
  return plot.render();
}

std::string accuracyVsLatencyPlot(const Report& r) {
  svg::Plot plot("Accuracy on device vs median latency (per model and policy, all conditions)",
                 {"median latency (s)", true}, {"accuracy on device (%)", false});
  std::map<std::string, std::size_t> modelIndex;
  for (std::size_t i = 0; i < r.models.size(); ++i) modelIndex[r.models[i].name] = i;
  std::map<std::string, svg::Series> byModel;
  std::map<std::pair<std::string, std::string>, std::pair<std::vector<double>, std::pair<int, int>>> groups;
  for (const auto& c : r.cells) {
    if (c.finished == 0) continue;
    auto& g = groups[{c.model, c.policy}];
    g.first.push_back(c.latencyS.median);
    g.second.first += c.correct;
    g.second.second += c.finished;
  }
  for (const auto& [key, g] : groups) {
    auto& s = byModel[key.first];
    s.name = key.first;
    s.color = modelColor(modelIndex[key.first]);
    const double latency = db::statsOf(g.first).median;
    const double accuracy = 100.0 * g.second.first / g.second.second;
    s.points.push_back({latency, accuracy,
                        fmt::format("{} / {}: {:.1f} % at {:.3g} s ({} samples)", key.first, key.second, accuracy,
                                    latency, g.second.second)});
  }
  for (auto& [_, s] : byModel) plot.add(std::move(s));
  plot.autoscale();
  return plot.render();
}

constexpr const char* kTimelineNote =
    "<p class=\"n\">Shaded: device powered. Voltage drawn between the recorded values at power-on and "
    "brown-out (charging is not linear in reality).</p>";

// The plot of the chosen run's timeline; none when no run finished.
std::optional<std::string> timelinePlot(const Report& r) {
  if (!r.timeline || r.timeline->cycles.empty()) return std::nullopt;
  const TimelineDrawing drawing = drawTimeline(*r.timeline, r.timelineClockHz);
  svg::Plot plot("Capacitor voltage and checkpoints: " + r.timelineLabel, {"time (s)", false},
                 {"capacitor voltage (V)", false}, 900, 360);
  svg::Series voltage{"capacitor", "#1f77b4", {}, true, false};
  svg::Series commits{"checkpoint", "#d62728", {}, false, true};
  for (const auto& p : drawing.voltage) voltage.points.push_back({p.t, p.v, ""});
  for (const auto& [t0, t1] : drawing.powered) plot.band(t0, t1);
  for (const auto& m : drawing.checkpoints) commits.points.push_back({m.t, m.v, m.label});
  plot.add(std::move(voltage));
  plot.add(std::move(commits));
  plot.autoscale();
  return plot.render();
}

}  // namespace

TimelineDrawing drawTimeline(const db::Timeline& t, double clockHz) {
  TimelineDrawing d;
  double vPrev = t.cycles.empty() ? 0.0 : t.cycles.front().vEnd.value_or(0);
  for (const auto& c : t.cycles) {
    const double end = c.startS + c.onS + c.sleepS;  // a powered sleep keeps the device on
    if (c.offS > 0) d.voltage.push_back({c.startS - c.offS, vPrev});
    d.voltage.push_back({c.startS, c.vStart.value_or(0)});
    d.voltage.push_back({end, c.vEnd.value_or(0)});
    d.powered.emplace_back(c.startS, end);
    vPrev = c.vEnd.value_or(0);
  }
  for (const auto& k : t.checkpoints) {
    if (k.bootId == 0 || k.bootId > t.cycles.size() || !(clockHz > 0)) continue;
    const auto& c = t.cycles[k.bootId - 1];
    const double dt = k.cyclesSinceBoot / clockHz;
    const double span = c.onS + c.sleepS;
    const double f = span > 0 ? std::clamp(dt / span, 0.0, 1.0) : 0.0;
    const double v2 = (1 - f) * std::pow(c.vStart.value_or(0), 2) + f * std::pow(c.vEnd.value_or(0), 2);
    d.checkpoints.push_back({c.startS + dt, std::sqrt(v2), fmt::format("layer {} job {} (boot {})", k.layer, k.job, k.bootId)});
  }
  return d;
}

std::vector<std::pair<std::string, std::string>> plotSvgs(const Report& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& m : r.models) {
    // A file name: the model's name with anything but letters, digits, '.', '-' and '_' replaced.
    std::string name = "latency-vs-power-" + m.name;
    for (char& ch : name)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_') ch = '_';
    out.emplace_back(std::move(name), latencyVsPowerPlot(r, m.name));
  }
  out.emplace_back("accuracy-vs-latency", accuracyVsLatencyPlot(r));
  if (auto timeline = timelinePlot(r)) out.emplace_back("timeline", std::move(*timeline));
  return out;
}

namespace {

std::string mj(double joules) { return fmt::format("{:.4g}", joules * 1e3); }

// Energy per inference and where it went; the best policy per model and
// condition; the per-layer bars.
void writeEnergyHtml(const Report& r, std::ostream& out) {
  const auto e = escapeHtml;
  out << "<h2>Energy per inference</h2>\n<table><tr><th class=\"s\">model</th><th class=\"s\">board</th>"
         "<th class=\"s\">policy</th><th class=\"s\">condition</th><th>energy (mJ)</th><th>average power (mW)</th>"
         "<th>compute</th><th>NVM</th><th>boot+restore</th><th>re-executed</th><th>ADC</th><th>asleep</th>"
         "<th>beyond compute</th></tr>\n";
  for (const auto& c : r.cells) {
    if (!c.finished) continue;
    out << fmt::format("<tr><td class=\"s\">{}</td><td class=\"s\">{}</td><td class=\"s\">{}</td><td class=\"s\">{}</td>"
                       "<td>{}</td><td>{:.4g}</td>",
                       e(c.model), e(c.board), e(c.policy), e(c.condition), mj(c.energyJ), c.averagePowerW * 1e3);
    if (const auto& s = c.energySplit)
      out << fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                         mj(s->computeJ), mj(s->nvmJ), mj(s->bootJ), mj(s->reexecutedJ), mj(s->sensingJ), mj(c.asleepJ),
                         c.energyJ > 0 ? percent(1 - s->computeJ / c.energyJ) : "-");
    else
      out << "<td colspan=\"7\" class=\"s\">not split (a real board: nothing marks its work)</td>";
    out << "</tr>\n";
  }
  out << "</table>\n<p class=\"n\">Means per finished inference. Average power: energy over latency. The split "
         "comes from the virtual board's activity marks: boot+restore is everything before a power cycle turns to a "
         "layer; re-executed is work after a cycle's last commit, lost to its brown-out; NVM is the FRAM's transfers "
         "and wake-ups at their own power; compute is the rest of the active time (the runtime's own decisions "
         "included). Beyond compute: the share of the energy that is not compute.</p>\n";

  out << "<h2>Best policy per model and condition</h2>\n<table><tr><th class=\"s\">model / board / condition</th>"
         "<th class=\"s\">fastest (median latency)</th><th>latency (s)</th><th>ratio</th>"
         "<th class=\"s\">least energy</th><th>energy (mJ)</th><th class=\"s\">did not finish</th></tr>\n";
  for (const auto& [key, cells] : cellsByModelAndCondition(r)) {
    const ReportCell *fastest = nullptr, *frugal = nullptr;
    std::string unfinished;
    for (const ReportCell* c : cells) {
      if (!c->allFinished()) {
        unfinished += (unfinished.empty() ? "" : ", ") + c->policy;
        continue;
      }
      if (!fastest || c->latencyS.median < fastest->latencyS.median) fastest = c;
      if (!frugal || c->energyJ < frugal->energyJ) frugal = c;
    }
    out << "<tr><td class=\"s\">" << e(key) << "</td>";
    if (fastest)
      out << fmt::format("<td class=\"s ok\">{}</td><td>{:.4g}</td><td>{:.3f}</td><td class=\"s ok\">{}</td><td>{}</td>",
                         e(fastest->policy), fastest->latencyS.median, fastest->ratio.median, e(frugal->policy),
                         mj(frugal->energyJ));
    else
      out << "<td colspan=\"5\" class=\"s bad\">no policy finished every inference</td>";
    out << "<td class=\"s\">" << e(unfinished.empty() ? "-" : unfinished) << "</td></tr>\n";
  }
  out << "</table>\n";

  std::string charts;
  for (const auto& [key, cells] : cellsByModelAndCondition(r)) charts += layerEnergyChart(key, cells);
  if (!charts.empty())
    out << "<h2>Where the energy goes</h2>\n" << charts
        << "\n<p class=\"n\">Per layer, one bar per policy: compute (solid), NVM (lighter), re-executed (faint), "
           "in uJ per finished inference. Boot and restore belong to no layer (see the table above).</p>\n";
}

}  // namespace

void writeHtml(const Report& r, std::ostream& out) {
  const auto e = escapeHtml;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>AIDI Bench report: "
      << e(r.campaignName) << "</title>\n<style>\n"
         "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}"
         "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
         "th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f0f0f0}"
         "td.s,th.s{text-align:left}.bad{color:#b00}.ok{color:#070}"
         "svg{background:#fff;margin:0.5em 0}svg .t{font-size:14px;font-weight:600}svg .a{font-size:12px}"
         "svg .k,svg .l{font-size:11px}.n{font-size:12px;color:#666}\n</style></head><body>\n";
  out << "<h1>AIDI Bench report: " << e(r.campaignName) << "</h1>\n";
  out << fmt::format("<p>Campaign {} ({}) in <code>{}</code>: {} runs, {} done, {} failed, {} not yet run.</p>\n",
                     r.campaignId, e(r.campaignState), e(r.databasePath), r.progress.total(), r.progress.done,
                     r.progress.failed, r.progress.planned + r.progress.running);

  out << "<h2>Models</h2>\n<table><tr><th class=\"s\">model</th><th>params</th><th>MACs</th><th>peak SRAM (B)</th>"
         "<th>flash (B)</th><th>float acc.</th><th>int8 acc. (host ref.)</th><th>acc. on device (this campaign)</th></tr>\n";
  for (const auto& m : r.models) {
    out << "<tr><td class=\"s\">" << e(m.name) << "</td>";
    if (m.inZoo)
      out << fmt::format("<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>", m.params, m.macs,
                         m.peakSramBytes, m.flashBytes, percent(m.floatAccuracy), percent(m.int8Accuracy));
    else
      out << "<td colspan=\"6\" class=\"s bad\">not in the model zoo</td>";
    out << "<td>"
        << (m.deviceSamples ? fmt::format("{} ({}/{})", percent(static_cast<double>(m.deviceCorrect) / m.deviceSamples),
                                          m.deviceCorrect, m.deviceSamples)
                            : std::string("-"))
        << "</td></tr>\n";
  }
  out << "</table>\n<p class=\"n\">Host reference accuracies are over the full Fashion-MNIST test set (manifest); "
         "on-device accuracy is over this campaign's samples.</p>\n";

  out << "<h2>Latency per model, board, policy and harvest condition</h2>\n<table><tr><th class=\"s\">model</th>"
         "<th class=\"s\">board</th><th class=\"s\">policy</th><th class=\"s\">condition</th><th>C (uF)</th><th>harvest (W)</th>"
         "<th>finished</th><th>latency mean (s)</th><th>median (s)</th><th>p95 (s)</th><th>energy bound (s)</th>"
         "<th>ratio median</th><th>ratio p95</th><th>power cycles</th><th>boot</th><th>checkpoint+NVM</th>"
         "<th>re-executed</th><th>accuracy</th></tr>\n";
  for (const auto& c : r.cells) {
    out << "<tr><td class=\"s\">" << e(c.model) << "</td><td class=\"s\">" << e(c.board) << "</td><td class=\"s\">"
        << e(c.policy) << "</td><td class=\"s\">" << e(c.condition) << "</td>";
    out << fmt::format("<td>{}</td><td>{:.3g}</td>", optNumber(c.capacitorUf), c.harvestW);
    out << "<td class=\"" << (c.allFinished() ? "ok" : "bad") << "\""
        << (c.failure.empty() ? std::string() : " title=\"" + e(c.failure) + "\"") << ">"
        << fmt::format("{}/{}", c.finished, c.inferences) << (c.allFinished() ? "" : " did not finish") << "</td>";
    if (c.finished)
      out << fmt::format("<td>{:.4g}</td><td>{:.4g}</td><td>{:.4g}</td><td>{:.4g}</td><td>{:.3f}</td><td>{:.3f}</td>"
                         "<td>{:g}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                         c.latencyS.mean, c.latencyS.median, c.latencyS.p95, c.energyBoundS, c.ratio.median,
                         c.ratio.p95, c.powerCycles.median, percent(c.bootShare), percent(c.checkpointShare),
                         percent(c.reexecutedShare), percent(static_cast<double>(c.correct) / c.finished));
    else
      out << "<td colspan=\"11\" class=\"s bad\">" << e(c.failure.empty() ? "no finished inference" : c.failure) << "</td>";
    out << "</tr>\n";
  }
  out << "</table>\n<p class=\"n\">Ratio: latency over the energy-bound limit of the same sample. Overheads are "
         "instructions as a share of the plain inference's: boot (reset to progress restored, the C start-up "
         "included: the budget is armed at reset), checkpoint+NVM (the residual: every instruction neither plain, "
         "boot nor re-executed, i.e. job and commit traffic to FRAM, telemetry and the runtime's own decisions), "
         "re-executed (work lost after the last commit of a cycle that browned out).</p>\n";

  writeEnergyHtml(r, out);
  const auto timeline = timelinePlot(r);
  out << "<h2>Plots</h2>\n";
  for (const auto& m : r.models) out << latencyVsPowerPlot(r, m.name) << "\n";
  out << accuracyVsLatencyPlot(r) << "\n"
      << (timeline ? *timeline + kTimelineNote : std::string("<p>No finished run to show.</p>")) << "\n";

  out << "<h2>Runs</h2>\n<table><tr><th>run</th><th>#</th><th class=\"s\">model</th><th class=\"s\">policy</th>"
         "<th class=\"s\">condition</th><th>rep.</th><th class=\"s\">state</th><th>finished</th><th class=\"s\">failure</th></tr>\n";
  for (const auto& run : r.runs)
    out << fmt::format("<tr><td>{}</td><td>{}</td><td class=\"s\">{}</td><td class=\"s\">{}</td><td class=\"s\">{}</td>"
                       "<td>{}</td><td class=\"s\">{}</td><td>{}/{}</td><td class=\"s\">{}</td></tr>\n",
                       run.runId, run.planIndex, e(run.model), e(run.policy), e(run.condition), run.repetition,
                       e(run.state), run.finished, run.inferences, e(run.failure));
  out << "</table>\n<h2>Provenance</h2>\n<table>";
  for (const auto& [k, v] : provenanceRows(r))
    out << "<tr><th class=\"s\">" << e(k) << "</th><td class=\"s\">" << e(v) << "</td></tr>";
  out << "</table>\n<h2>Physical assumptions</h2>\n<table>";
  for (const auto& [k, v] : assumptions(r))
    out << "<tr><th class=\"s\">" << e(k) << "</th><td class=\"s\">" << e(v) << "</td></tr>";
  out << "</table>\n</body></html>\n";
}

namespace {

nlohmann::json energySplitJson(const ReportCell& c) {
  if (!c.energySplit) return nullptr;
  const auto& s = *c.energySplit;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : s.layers)
    layers.push_back({{"layer", l.layer}, {"compute", l.computeJ}, {"nvm", l.nvmJ}, {"reexecuted", l.reexecutedJ},
                      {"active_s", l.seconds}});
  return {{"compute", s.computeJ}, {"nvm", s.nvmJ}, {"boot", s.bootJ}, {"reexecuted", s.reexecutedJ},
          {"sensing", s.sensingJ}, {"asleep", c.asleepJ}, {"layers", layers}};
}

nlohmann::json statsJson(const db::Stats& s) {
  return {{"count", s.count}, {"mean", s.mean}, {"median", s.median}, {"p95", s.p95}, {"min", s.min}, {"max", s.max}};
}

}  // namespace

void writeCsv(const Report& r, std::ostream& out) {
  out << "model,board,policy,condition,capacitor_uf,harvest_w,runs,runs_done,inferences,finished,correct,latency_mean_s,"
         "latency_median_s,latency_p95_s,energy_bound_s,ratio_median,ratio_p95,power_cycles_median,boot_share,"
         "checkpoint_share,reexecuted_share,failure\n";
  for (const auto& c : r.cells) {
    out << fmt::format("{},{},{},{},{},{:.6g},{},{},{},{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:g},{:.6g},{:.6g},{:.6g},{}\n",
                       db::csvField(c.model), db::csvField(c.board), db::csvField(c.policy), db::csvField(c.condition), optNumber(c.capacitorUf),
                       c.harvestW, c.runs, c.runsDone, c.inferences, c.finished, c.correct, c.latencyS.mean,
                       c.latencyS.median, c.latencyS.p95, c.energyBoundS, c.ratio.median, c.ratio.p95,
                       c.powerCycles.median, c.bootShare, c.checkpointShare, c.reexecutedShare, db::csvField(c.failure));
  }
}

void writeJson(const Report& r, std::ostream& out) {
  nlohmann::json j;
  j["campaign"] = {{"id", r.campaignId}, {"name", r.campaignName}, {"state", r.campaignState},
                   {"database", r.databasePath},
                   {"runs", {{"total", r.progress.total()}, {"done", r.progress.done}, {"failed", r.progress.failed},
                             {"planned", r.progress.planned}, {"running", r.progress.running}}}};
  j["provenance"] = {{"campaign_file", r.provenance.campaignFile}, {"planned_at", r.provenance.plannedAt},
                     {"finished_at", r.provenance.finishedAt}, {"bench_version", r.provenance.benchVersion},
                     {"host", r.provenance.host}, {"firmware_builds", r.provenance.firmwareBuilds},
                     {"inferences_without_build", r.provenance.inferencesWithoutBuild}};
  j["assumptions"] = nlohmann::json::object();
  for (const auto& [k, v] : assumptions(r)) j["assumptions"][k] = v;
  j["boards"] = nlohmann::json::array();
  for (const auto& b : r.boards) {
    nlohmann::json sources = nlohmann::json::object();
    for (const auto& [k, v] : b.sources) sources[k] = v;
    j["boards"].push_back({{"name", b.name}, {"target", b.target}, {"description", b.description},
                           {"profile", b.path.string()}, {"clock_hz", b.clockHz}, {"active_power_w", b.activePowerW},
                           {"sleep_power_w", b.sleepPowerW}, {"nvm_cycles_per_byte", b.nvmCyclesPerByte},
                           {"nvm_write_overhead_cycles", b.nvmWriteOverheadCycles},
                           {"nvm_read_overhead_cycles", b.nvmReadOverheadCycles},
                           {"nvm_standby_power_w", b.nvmStandbyPowerW}, {"nvm_active_power_w", b.nvmActivePowerW},
                           {"nvm_sleep_power_w", b.nvmSleepPowerW}, {"telemetry_baud", b.telemetryBaud},
                           {"nvm_wake_s", b.nvmWakeS}, {"v_on", b.vOn}, {"v_off", b.vOff},
                           {"v_max", b.vMax}, {"efficiency", b.efficiency}, {"leakage_w", b.leakageW},
                           {"sources", sources}});
  }
  j["models"] = nlohmann::json::array();
  for (const auto& m : r.models) {
    nlohmann::json mj = {{"name", m.name}, {"in_zoo", m.inZoo}, {"device_samples", m.deviceSamples},
                         {"device_correct", m.deviceCorrect}};
    if (m.inZoo) {
      mj.update({{"params", m.params}, {"macs", m.macs}, {"peak_sram_bytes", m.peakSramBytes},
                 {"flash_bytes", m.flashBytes}, {"float_accuracy", m.floatAccuracy}, {"int8_accuracy", m.int8Accuracy}});
    }
    j["models"].push_back(std::move(mj));
  }
  j["cells"] = nlohmann::json::array();
  for (const auto& c : r.cells) {
    j["cells"].push_back({{"model", c.model}, {"board", c.board}, {"policy", c.policy}, {"condition", c.condition},
                          {"capacitor_uf", c.capacitorUf ? nlohmann::json(*c.capacitorUf) : nlohmann::json()},
                          {"harvest_w", c.harvestW}, {"runs", c.runs}, {"runs_done", c.runsDone},
                          {"inferences", c.inferences}, {"finished", c.finished}, {"correct", c.correct},
                          {"all_finished", c.allFinished()}, {"latency_s", statsJson(c.latencyS)},
                          {"ratio", statsJson(c.ratio)}, {"energy_bound_s", c.energyBoundS},
                          {"power_cycles", statsJson(c.powerCycles)},
                          {"overhead", {{"boot", c.bootShare}, {"checkpoint", c.checkpointShare},
                                        {"reexecuted", c.reexecutedShare}}},
                          {"energy_per_inference_j", c.energyJ}, {"average_power_w", c.averagePowerW},
                          {"energy_split_j", energySplitJson(c)},
                          {"failure", c.failure}});
  }
  j["runs"] = nlohmann::json::array();
  for (const auto& run : r.runs)
    j["runs"].push_back({{"id", run.runId}, {"plan_index", run.planIndex}, {"model", run.model}, {"board", run.board},
                         {"policy", run.policy}, {"condition", run.condition}, {"repetition", run.repetition},
                         {"state", run.state}, {"failure", run.failure}, {"inferences", run.inferences},
                         {"finished", run.finished}, {"correct", run.correct}});
  out << j.dump(2) << "\n";
}

void writeTerminalTable(const Report& r, std::ostream& out) {
  // The board column only where the campaign compares boards.
  const bool boards = r.boards.size() > 1;
  const auto model = [&](const std::string& m, const std::string& b) {
    return boards ? fmt::format("{:<12} {:<14}", printable(m), printable(b)) : fmt::format("{:<12}", printable(m));
  };
  out << fmt::format("{} {:<10} {:<20} {:>9} {:>11} {:>11} {:>7} {:>7} {:>9}\n", model("model", "board"), "policy",
                     "condition", "finished", "median (s)", "bound (s)", "ratio", "cycles", "accuracy");
  for (const auto& c : r.cells) {
    if (c.finished)
      out << fmt::format("{} {:<10} {:<20} {:>9} {:>11.4g} {:>11.4g} {:>7.3f} {:>7g} {:>9}\n", model(c.model, c.board),
                         printable(c.policy), printable(c.condition), fmt::format("{}/{}", c.finished, c.inferences), c.latencyS.median,
                         c.energyBoundS, c.ratio.median, c.powerCycles.median,
                         fmt::format("{:.1f} %", 100.0 * c.correct / c.finished));
    else
      out << fmt::format("{} {:<10} {:<20} {:>9} did not finish\n", model(c.model, c.board), printable(c.policy),
                         printable(c.condition),
                         fmt::format("0/{}", c.inferences));
  }
}

}  // namespace aidi::core
