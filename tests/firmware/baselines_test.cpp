// The published runtimes on the job engine (docs/baselines.md): what each
// writes to NVM, how each finds its progress after a power failure, and the
// decisions that choose their tiles (iNAS offline, DynBal at every boot).
// Crash consistency at every failure point is crash_consistency_test's.
#include <gtest/gtest.h>

#include <cstring>
#include <optional>

#include "baseline_decisions.hpp"
#include "board_profile.hpp"
#include "failing_nvm.hpp"
#include "intermittent_runtime.hpp"
#include "model_fixtures.hpp"
#include "zoo_model.hpp"

using namespace aidi::fw;
using namespace aidi::test;

namespace {

constexpr std::uint32_t kNvmBytes = 512 * 1024;

// The last progress the runtime reported preserved.
struct LastCommit final : JobObserver {
  std::optional<Progress> last;
  void onCommit(const Progress& p, std::uint16_t, std::uint32_t) override { last = p; }
};

// One policy's job engine over a failing NVM, booted as often as asked.
struct Device {
  const ZooModel& model;
  const aidi::proto::PolicyInfo& policy;
  JobPlan plan{};
  NvmLayout layout{};
  JobEngineOptions options;
  std::vector<std::int8_t> scratch;
  host::FailingNvm nvm{kNvmBytes};

  Device(const ZooModel& m, const char* name, std::uint64_t cyclesPerPowerCycle = 250'000)
      : model(m), policy(*aidi::proto::findPolicy(name)) {
    EXPECT_TRUE(planJobs(m.view, policy.policy, cyclesPerPowerCycle, board::kNvmCosts, plan));
    EXPECT_TRUE(planNvm(m.view, kNvmBytes, layout, policy.progress));
    options = jobEngineOptions(policy, board::kNvmCosts);
    scratch.resize(64 * 1024);
  }
  IntermittentRuntime boot() {
    std::memset(scratch.data(), 0x5A, scratch.size());  // SRAM is never trusted
    return IntermittentRuntime(model.view, cm4Kernels(), plan, layout, nvm, scratch.data(),
                               static_cast<std::uint32_t>(scratch.size()), options);
  }
  std::uint64_t writes() const { return nvm.writeSizes().size(); }
};

std::uint64_t totalRows(const ModelView& model) {
  std::uint64_t rows = 0;
  for (std::uint16_t i = 0; i < model.layerCount(); ++i) rows += model.tensor(model.layer(i).output).shape.h;
  return rows;
}

// Writes every start makes: the image in 64-byte pieces, the plan, the record's three.
std::uint64_t startWrites(const ModelView& model) {
  return (model.tensor(model.inputTensor()).shape.size() + 63) / 64 + 1 + 3;
}

}  // namespace

// Stateful's point against HAWAII: the state rides in the row's own write,
// so it saves exactly one write per row; both commit the progress record
// only once per layer.
TEST(Baselines, StatefulSavesHawaiisFootprintWritePerRow) {
  const ZooModel model = loadZooModel("mcunet-s");
  const Subset subset = loadSubset();
  Device hawaii(model, "hawaii"), stateful(model, "stateful");
  ASSERT_EQ(hawaii.boot().start(subset.image(0), 1), RunStatus::Done);
  ASSERT_EQ(stateful.boot().start(subset.image(0), 1), RunStatus::Done);
  const std::uint64_t rows = totalRows(model.view), layers = model.view.layerCount();
  EXPECT_EQ(stateful.writes(), startWrites(model.view) + 3 * layers + rows);
  EXPECT_EQ(hawaii.writes(), startWrites(model.view) + 3 * layers + 2 * rows);
}

// After a power failure at any write, HAWAII's footprints and Stateful's
// states give back exactly the rows the device had preserved.
TEST(Baselines, RecoveryFindsExactlyThePreservedRows) {
  const ZooModel model = loadZooModel("inas-tiny");
  const Subset subset = loadSubset();
  for (const char* name : {"hawaii", "stateful"}) {
    Device probe(model, name);
    ASSERT_EQ(probe.boot().start(subset.image(1), 1), RunStatus::Done);
    const std::int64_t writes = static_cast<std::int64_t>(probe.writes());
    for (std::int64_t at = static_cast<std::int64_t>(startWrites(model.view)); at < writes; ++at) {
      Device device(model, name);
      LastCommit seen;
      device.nvm.failAtWrite(at, host::FailingNvm::kHalf);
      ASSERT_EQ(device.boot().start(subset.image(1), 1, &seen), RunStatus::PowerFailed) << name << " at " << at;
      device.nvm.failAtWrite(-1);
      auto again = device.boot();
      again.restore();
      const Progress& p = again.progress();
      if (!seen.last) {
        EXPECT_EQ(p.layer * 1000 + p.job, 0) << name << " at " << at;
        continue;
      }
      // The row after the last one reported, unless the layer's record was
      // committed after its last row (then the next layer from its start).
      const Progress& last = *seen.last;
      const auto rows = model.view.tensor(model.view.layer(last.layer).output).shape.h;
      const bool sameRow = p.layer == last.layer && p.job == last.job;
      const bool nextLayer = last.job == rows && p.layer == last.layer + 1 && p.job == 0;
      EXPECT_TRUE(sameRow || nextLayer) << name << " failing at write " << at << ": reported layer " << last.layer
                                        << " row " << last.job << ", restored layer " << p.layer << " row " << p.job;
    }
  }
}

// Rows an earlier start preserved never pass for a later start's: a new
// start is a new generation, and its restore begins at row 0.
TEST(Baselines, RowsOfAnEarlierStartDoNotCount) {
  const ZooModel model = loadZooModel("inas-tiny");
  const Subset subset = loadSubset();
  for (const char* name : {"hawaii", "stateful"}) {
    Device device(model, name);
    // A first start preserves layer 0 and more, then power fails.
    device.nvm.failAtWrite(static_cast<std::int64_t>(startWrites(model.view)) + 20);
    ASSERT_EQ(device.boot().start(subset.image(2), 1), RunStatus::PowerFailed);
    // A second start fails right after committing its record.
    device.nvm.failAtWrite(static_cast<std::int64_t>(startWrites(model.view)));
    auto second = device.boot();
    second.restore();
    ASSERT_EQ(second.start(subset.image(3), 2), RunStatus::PowerFailed);
    device.nvm.failAtWrite(-1);
    auto third = device.boot();
    third.restore();
    EXPECT_EQ(third.progress().inference, 2u) << name;
    EXPECT_EQ(third.progress().layer, 0) << name;
    EXPECT_EQ(third.progress().job, 0) << name << ": layer 0's rows are the first start's";
  }
}

// DynBal measures the work of the last power cycle at boot and re-balances
// the tile of the layer it resumes with the usage span's search.
TEST(Baselines, DynBalRebalancesTheTileFromTheLastPowerCycle) {
  const ZooModel model = loadZooModel("mcunet-s");
  const Subset subset = loadSubset();
  Device device(model, "dynbal");
  ASSERT_EQ(device.boot().start(subset.image(0), 1), RunStatus::Done);
  const std::int64_t writes = static_cast<std::int64_t>(device.writes());
  Device cut(model, "dynbal");
  cut.nvm.failAtWrite(writes / 2);
  ASSERT_EQ(cut.boot().start(subset.image(0), 1), RunStatus::PowerFailed);
  cut.nvm.failAtWrite(-1);
  auto again = cut.boot();
  again.restore();
  const std::uint64_t work = again.lastPowerCycleWork();
  EXPECT_GT(work, 0u) << "the first power cycle did work";
  const Progress& p = again.progress();
  const std::uint16_t rows = static_cast<std::uint16_t>(model.view.tensor(model.view.layer(p.layer).output).shape.h);
  std::uint16_t most = 1;
  while (most < rows && tileScratchBytes(model.view, p.layer, most + 1, JobProgress::States) <= cut.scratch.size()) ++most;
  EXPECT_EQ(p.rowsPerJob, balanceTile(model.view, p.layer, cut.plan.rowsPerJob[p.layer], most, work, board::kNvmCosts));
  ASSERT_EQ(again.resume(), RunStatus::Done);
}

// The usage span trades reuse against refetch: with much work per power
// cycle the tiles grow, with little they shrink, and unknown work keeps the
// static tile.
TEST(Baselines, UsageSpanTilesFollowTheIntermittency) {
  const ZooModel model = loadZooModel("mcunet-s");
  std::uint64_t weak = 0, strong = 0;
  for (std::uint16_t i = 0; i < model.view.layerCount(); ++i) {
    const std::uint16_t rows = static_cast<std::uint16_t>(model.view.tensor(model.view.layer(i).output).shape.h);
    EXPECT_EQ(balanceTile(model.view, i, 4, rows, 0, board::kNvmCosts), std::min<std::uint16_t>(4, rows));
    const std::uint16_t w = balanceTile(model.view, i, 4, rows, 50'000, board::kNvmCosts);
    const std::uint16_t s = balanceTile(model.view, i, 4, rows, 50'000'000, board::kNvmCosts);
    EXPECT_GE(w, 1);
    EXPECT_LE(s, rows);
    weak += w, strong += s;
  }
  EXPECT_LT(weak, strong) << "weak power, smaller tiles";
}

// iNAS's plan keeps its atomicity constraint (a tile and its preservation
// fit a power cycle, unless one row alone does not), and a larger capacitor
// gets fewer, larger tiles.
TEST(Baselines, InasPlanFitsThePowerCycleAndGrowsWithTheCapacitor) {
  const ZooModel model = loadZooModel("mcunet-s");
  JobPlan small{}, large{};
  const std::uint64_t smallCycles = 250'000, largeCycles = 20'000'000;
  ASSERT_TRUE(searchInasPlan(model.view, smallCycles, board::kNvmCosts, sizeof(Progress), 160 * 1024, small));
  ASSERT_TRUE(searchInasPlan(model.view, largeCycles, board::kNvmCosts, sizeof(Progress), 160 * 1024, large));
  std::uint64_t smallTiles = 0, largeTiles = 0;
  for (std::uint16_t i = 0; i < model.view.layerCount(); ++i) {
    // A tile is one kernel call: n rows cost n * (row - call) + call.
    const std::uint64_t call = estimateCallCycles(model.view, i);
    const std::uint64_t row = estimateRowCycles(model.view, i, board::kNvmCosts.cyclesPerByte) - call;
    if (small.rowsPerJob[i] > 1) {
      EXPECT_LE(small.rowsPerJob[i] * row + call, smallCycles) << "layer " << i;
    }
    smallTiles += small.jobs[i], largeTiles += large.jobs[i];
  }
  EXPECT_LT(largeTiles, smallTiles);
  // Its spatial constraint: with little SRAM, every tile of more than a row fits it.
  JobPlan tight{};
  ASSERT_TRUE(searchInasPlan(model.view, largeCycles, board::kNvmCosts, sizeof(Progress), 4096, tight));
  for (std::uint16_t i = 0; i < model.view.layerCount(); ++i) {
    if (tight.rowsPerJob[i] > 1) {
      EXPECT_LE(tileScratchBytes(model.view, i, tight.rowsPerJob[i], JobProgress::Record), 4096u) << "layer " << i;
    }
  }
}

// SONIC's fully connected pass updates its sums in place: the old sums and
// the log's header go first; a boot after a torn update puts the old sums
// back before the pass runs again, and the result is the plain one.
TEST(Baselines, SonicUndoesATornInPlaceUpdate) {
  const ZooModel model = loadZooModel("inas-tiny");
  const Subset subset = loadSubset();
  const LayerInfo fc = model.view.layer(static_cast<std::uint16_t>(model.view.layerCount() - 1));
  ASSERT_EQ(fc.op, ModelOp::FullyConnected);
  ASSERT_EQ(sonicPasses(model.view, fc), 3) << "the test needs a pass that is neither first nor last";
  const std::uint32_t sums = static_cast<std::uint32_t>(model.view.tensor(fc.output).shape.size()) * 4;
  Device probe(model, "sonic");
  ASSERT_EQ(probe.boot().start(subset.image(4), 1), RunStatus::Done);
  const auto& sizes = probe.nvm.writeSizes();
  const std::size_t n = sizes.size();
  // ... old sums, header, sums in place, index | last pass: row, index | the record's three writes.
  ASSERT_GE(n, 9u);
  EXPECT_EQ(sizes[n - 9], sums);
  EXPECT_EQ(sizes[n - 8], 8u);
  EXPECT_EQ(sizes[n - 7], sums);
  EXPECT_EQ(sizes[n - 6], 8u);

  Device device(model, "sonic");
  device.nvm.failAtWrite(static_cast<std::int64_t>(n - 7), sums / 2);  // the update torn halfway
  ASSERT_EQ(device.boot().start(subset.image(4), 1), RunStatus::PowerFailed);
  device.nvm.failAtWrite(-1);
  std::vector<std::int8_t> logged(sums), inPlace(sums);
  device.nvm.read(device.layout.undoOffset, logged.data(), sums);
  device.nvm.read(device.layout.partialOffset[0], inPlace.data(), sums);
  EXPECT_NE(logged, inPlace) << "the torn update changed the sums";
  auto again = device.boot();
  again.restore();
  device.nvm.read(device.layout.partialOffset[0], inPlace.data(), sums);
  EXPECT_EQ(logged, inPlace) << "the boot put the logged sums back";
  ASSERT_EQ(again.resume(), RunStatus::Done);
  std::int8_t got[16], want[16];
  again.result(got, 16);
  Device plain(model, "sonic");
  ASSERT_EQ(plain.boot().start(subset.image(4), 1), RunStatus::Done);
  plain.boot().result(want, 16);
  EXPECT_EQ(std::memcmp(got, want, 10), 0);
}
