#include "crash_sweep.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>

#include "arena_plan.hpp"
#include "board_profile.hpp"
#include "failing_nvm.hpp"
#include "intermittent_runtime.hpp"
#include "plain_inference.hpp"
#include "resident_runtime.hpp"

namespace aidi::fw::host {
namespace {

constexpr int kMaxLogits = 64;
constexpr std::uint32_t kNvmBytes = 512 * 1024;

// The aidi policy runs on the resident engine; on the host an energy monitor
// that reports the energy nearly spent before every kRowsPerCycle-th row
// stands in for the capacitor, so checkpoints fall at many different points.
constexpr int kRowsPerCycle = 5;

struct EveryFewRows final : EnergyMonitor {
  int calls = 0;
  std::uint32_t cyclesLeft() override { return ++calls % kRowsPerCycle == 0 ? 0u : 0xFFFFFFFFu; }
};

struct Setup {
  JobPlan plan;
  JobEngineOptions options;
  bool resident;
  bool fixedBands;  // the resident engine on a static schedule (resident-tile)
  NvmLayout layout;
  ArenaPlan arena;
  std::vector<std::int8_t> scratch;
  std::int8_t expected[kMaxLogits];
  int outputs;
};

// One boot's engine, whichever the policy uses.
class Engine {
 public:
  Engine(const ModelView& model, const KernelSet& kernels, Setup& s, Nvm& nvm) {
    if (s.resident) {
      m_resident.emplace(model, kernels, s.arena, s.layout, nvm, board::kNvmCosts, s.scratch.data(), m_monitor);
      if (s.fixedBands) m_resident->setFixedBandRows(kFixedTileRows);
    } else m_jobs.emplace(model, kernels, s.plan, s.layout, nvm, s.scratch.data(), static_cast<std::uint32_t>(s.scratch.size()), s.options);
  }
  RunStatus restore() { return m_resident ? m_resident->restore() : m_jobs->restore(); }
  RunStatus start(const std::uint8_t* image, std::uint32_t inference) {
    return m_resident ? m_resident->start(image, inference) : m_jobs->start(image, inference);
  }
  RunStatus resume() { return m_resident ? m_resident->resume() : m_jobs->resume(); }
  int result(std::int8_t* logits, int capacity) {
    return m_resident ? m_resident->result(logits, capacity) : m_jobs->result(logits, capacity);
  }
  const Progress& progress() const { return m_resident ? m_resident->progress() : m_jobs->progress(); }

 private:
  EveryFewRows m_monitor;
  std::optional<ResidentRuntime> m_resident;
  std::optional<IntermittentRuntime> m_jobs;
};

Setup prepare(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy, std::uint64_t cycles,
              const std::uint8_t* image) {
  Setup s;
  planJobs(model, policy, cycles, board::kNvmCosts, s.plan);
  const proto::PolicyInfo* info = proto::findPolicy(static_cast<std::uint32_t>(policy));
  s.options = jobEngineOptions(*info, board::kNvmCosts);
  s.resident = info->engine == proto::PolicyEngine::Resident;
  s.fixedBands = s.resident && !info->adapts;
  planNvm(model, kNvmBytes, s.layout, info->progress);
  planArena(model, s.arena);
  // DynBal may widen a tile at a boot: it gets the SRAM aidi's arena would.
  const std::uint32_t jobScratch = scratchBytesNeeded(model, s.plan, s.options.progress);
  s.scratch.resize(s.resident ? s.arena.bytes : (s.options.rebalanceTiles ? std::max(jobScratch, s.arena.bytes) : jobScratch));
  std::vector<std::int8_t> memory(s.arena.bytes);
  runPlainInference(model, s.arena, kernels, image, memory.data(), s.expected, kMaxLogits);
  s.outputs = model.tensor(model.outputTensor()).shape.size();
  return s;
}

// A power failure at a write (counted from the boot) and how much of the
// write lands: `landedBytes`, or the share `landedShare` when that is >= 0.
struct Failure {
  std::int64_t write;
  std::uint32_t landedBytes = FailingNvm::kHalf;
  double landedShare = -1;
};

void arm(FailingNvm& nvm, const Failure& f) {
  if (f.landedShare >= 0) nvm.failAtWriteLanding(f.write, f.landedShare);
  else nvm.failAtWrite(f.write, f.landedBytes);
}

// One boot of either engine: restore from NVM, then start the inference
// when none of its progress is committed yet (the host sends the run
// again), or resume it.
template <class Runtime>
RunStatus bootOnce(Runtime& runtime, const std::uint8_t* image) {
  const RunStatus status = runtime.restore();
  if (status == RunStatus::Idle || runtime.progress().inference != 1) return runtime.start(image, 1);
  return status == RunStatus::Done ? status : runtime.resume();
}

// A finished inference's logits against the plain inference's.
template <class Runtime>
bool matchesPlain(Runtime& runtime, const Setup& s) {
  std::int8_t logits[kMaxLogits];
  runtime.result(logits, kMaxLogits);
  return std::memcmp(logits, s.expected, static_cast<std::size_t>(s.outputs)) == 0;
}

// Boots until the inference is done. The first boot starts it; every later
// boot restores from NVM with SRAM full of garbage.
bool finishAfterFailures(const ModelView& model, const KernelSet& kernels, Setup& s, FailingNvm& nvm,
                         const std::uint8_t* image, const std::vector<Failure>& failures) {
  std::size_t next = 0;
  for (int boot = 0; boot < 10000; ++boot) {
    std::memset(s.scratch.data(), 0xA5 ^ boot, s.scratch.size());  // SRAM is never trusted
    arm(nvm, next < failures.size() ? failures[next] : Failure{-1});
    Engine runtime(model, kernels, s, nvm);
    if (bootOnce(runtime, image) == RunStatus::Done) return matchesPlain(runtime, s);
    ++next;
  }
  return false;
}

}  // namespace

SweepResult crashSweep(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy,
                       std::uint64_t cyclesPerPowerCycle, const std::uint8_t* image, std::uint64_t stride,
                       Tearing tearing) {
  Setup s = prepare(model, kernels, policy, cyclesPerPowerCycle, image);
  SweepResult r;
  std::vector<std::uint32_t> sizes;
  {
    FailingNvm nvm(kNvmBytes);
    Engine runtime(model, kernels, s, nvm);
    runtime.start(image, 1);
    r.writesPerInference = nvm.stats().writes;
    r.jobs = runtime.progress().jobsCommitted;
    sizes = nvm.writeSizes();
  }
  std::mt19937 rng(tearing.seed);
  const auto tryPoint = [&](std::int64_t write, std::uint32_t landed) {
    FailingNvm nvm(kNvmBytes);
    ++r.pointsTried;
    if (!finishAfterFailures(model, kernels, s, nvm, image, {Failure{write, landed}}) && r.divergences++ == 0)
      r.firstDivergence = write;
  };
  for (std::uint64_t k = 0; k < r.writesPerInference; k += stride) {
    const auto write = static_cast<std::int64_t>(k);
    switch (tearing.kind) {
      case Tearing::Half: tryPoint(write, FailingNvm::kHalf); break;
      case Tearing::Random: tryPoint(write, sizes[k] ? static_cast<std::uint32_t>(rng() % sizes[k]) : 0); break;
      case Tearing::EveryByte:
        for (std::uint32_t landed = 0; landed < std::max<std::uint32_t>(sizes[k], 1); ++landed) tryPoint(write, landed);
        break;
    }
  }
  return r;
}

namespace {

// Power lost after the `step`-th energy check: the NVM takes no write after it.
struct PowerOffAtStep final : EnergyMonitor {
  FailingNvm& nvm;
  std::int64_t step;
  std::int64_t calls = 0;
  EveryFewRows checkpoints;
  PowerOffAtStep(FailingNvm& n, std::int64_t s) : nvm(n), step(s) {}
  std::uint32_t cyclesLeft() override {
    if (calls++ == step) nvm.failAtWrite(0);
    return checkpoints.cyclesLeft();
  }
};

}  // namespace

SweepResult stepSweep(const ModelView& model, const KernelSet& kernels, const std::uint8_t* image,
                      std::uint64_t stride) {
  Setup s = prepare(model, kernels, SchedulerPolicy::Aidi, 0, image);
  SweepResult r;
  std::int64_t steps = 0;
  {
    FailingNvm nvm(kNvmBytes);
    PowerOffAtStep counter(nvm, -1);
    ResidentRuntime runtime(model, kernels, s.arena, s.layout, nvm, board::kNvmCosts, s.scratch.data(), counter);
    runtime.setMaxBandRows(1);
    runtime.start(image, 1);
    steps = counter.calls;
    r.writesPerInference = nvm.stats().writes;
    r.jobs = runtime.progress().jobsCommitted;
  }
  for (std::int64_t step = 0; step <= steps; step += static_cast<std::int64_t>(stride)) {
    FailingNvm nvm(kNvmBytes);
    ++r.pointsTried;
    bool ok = false;
    for (int boot = 0; boot < 100; ++boot) {
      std::memset(s.scratch.data(), 0x5A ^ boot, s.scratch.size());  // SRAM is never trusted
      PowerOffAtStep monitor(nvm, boot == 0 ? step : -1);
      nvm.failAtWrite(-1);
      ResidentRuntime runtime(model, kernels, s.arena, s.layout, nvm, board::kNvmCosts, s.scratch.data(), monitor);
      runtime.setMaxBandRows(1);
      if (bootOnce(runtime, image) == RunStatus::Done) {
        ok = matchesPlain(runtime, s);
        break;
      }
    }
    if (!ok && r.divergences++ == 0) r.firstDivergence = step;
  }
  return r;
}

namespace {

// The sleep path's capacitor (sleepSweep): before every decision a level
// drawn log-uniformly between 10^3 and 10^7 cycles, so the runtime's
// decisions all come up; right after a sleep, the level it ended at.
class SleepyCapacitor final : public EnergyMonitor {
 public:
  enum class Outcome { Reached, Floor, BrownOut };
  SleepyCapacitor(FailingNvm& nvm, std::uint32_t seed, std::int64_t brownOutAtSleep, bool randomBrownOuts)
      : m_nvm(nvm), m_rng(seed), m_brownOutAt(brownOutAtSleep), m_randomBrownOuts(randomBrownOuts) {}
  std::uint32_t cyclesLeft() override {
    if (m_after) {
      const std::uint32_t level = *m_after;
      m_after.reset();
      return level;
    }
    return static_cast<std::uint32_t>(std::pow(10.0, std::uniform_real_distribution<double>(3.0, 7.0)(m_rng)));
  }
  // The device's counter: rows that cost from 10^3 to 10^7 cycles, so the
  // online correction of the cost model swings both ways.
  std::uint32_t cyclesNow() override {
    m_counter += static_cast<std::uint32_t>(std::pow(10.0, std::uniform_real_distribution<double>(3.0, 7.0)(m_rng)));
    return m_counter;
  }
  bool sleepUntil(std::uint32_t cycles, std::uint32_t floor) override {
    const std::uint32_t draw = m_rng() % 100;
    Outcome outcome = draw < 60 ? Outcome::Reached : draw < 85 ? Outcome::Floor : Outcome::BrownOut;
    if (outcome == Outcome::BrownOut && !m_randomBrownOuts) outcome = Outcome::Reached;
    if (outcome == Outcome::Floor && floor == 0) outcome = Outcome::BrownOut;  // no floor: down to V_off
    if (m_sleeps++ == m_brownOutAt) outcome = Outcome::BrownOut;
    switch (outcome) {
      case Outcome::Reached: m_after = cycles; return true;
      case Outcome::Floor: m_after = floor; return false;
      case Outcome::BrownOut:
        // The board dies asleep: nothing it does afterwards reaches the NVM
        // but the torn start of its next write.
        m_nvm.failAtWriteLanding(0, std::uniform_real_distribution<double>(0.0, 1.0)(m_rng));
        m_after = 0;
        ++brownOuts;
        return false;
    }
    return false;
  }
  // Where brown-outs are drawn, waits may be shut-downs too: a harvest
  // drawn so that shutDownToWait says yes about half the time.
  bool waitOutlook(WaitState& w) override {
    if (!m_randomBrownOuts) return false;
    w.harvest = m_rng() % 5 == 0 ? -1.0f : std::uniform_real_distribution<float>(0.0f, 2000.0f)(m_rng);
    w.sleepDraw = 500.0f;
    w.shutdownDraw = 25.0f;
    w.atOn = 1e7f;
    w.brownOutAllowed = m_rng() % 2 == 0;
    return true;
  }
  // The board runs on into a brown-out: a few rows kept after the
  // checkpoint, then a write torn anywhere.
  void brownOutComing() override {
    m_nvm.failAtWriteLanding(m_rng() % 4, std::uniform_real_distribution<double>(0.0, 1.0)(m_rng));
    ++intendedBrownOuts;
  }
  // The board shuts down after its checkpoint: nothing after reaches the NVM.
  void shutDown() override {
    m_nvm.failAtWrite(0);
    ++shutdowns;
  }
  std::int64_t sleeps() const { return m_sleeps; }
  int brownOuts = 0;
  int shutdowns = 0;
  int intendedBrownOuts = 0;

 private:
  std::uint32_t m_counter = 0;
  FailingNvm& m_nvm;
  std::mt19937 m_rng;
  std::int64_t m_brownOutAt;
  bool m_randomBrownOuts;
  std::int64_t m_sleeps = 0;
  std::optional<std::uint32_t> m_after;
};

}  // namespace

SweepResult sleepSweep(const ModelView& model, const KernelSet& kernels, const std::uint8_t* image,
                       std::uint32_t seed, std::uint64_t stride) {
  Setup s = prepare(model, kernels, SchedulerPolicy::Aidi, 0, image);
  SweepResult r;
  std::int64_t sleeps = 0;
  {
    // The first boot without a brown-out: how many sleeps it takes.
    FailingNvm nvm(kNvmBytes);
    SleepyCapacitor capacitor(nvm, seed, -1, false);
    ResidentRuntime runtime(model, kernels, s.arena, s.layout, nvm, board::kNvmCosts, s.scratch.data(), capacitor);
    runtime.start(image, 1);
    sleeps = capacitor.sleeps();
    r.writesPerInference = nvm.stats().writes;
    r.jobs = runtime.progress().jobsCommitted;
  }
  for (std::int64_t at = 0; at < sleeps; at += static_cast<std::int64_t>(stride)) {
    FailingNvm nvm(kNvmBytes);
    ++r.pointsTried;
    bool ok = false;
    for (int boot = 0; boot < 1000; ++boot) {
      std::memset(s.scratch.data(), 0x3C ^ boot, s.scratch.size());  // SRAM is never trusted
      nvm.failAtWrite(-1);
      // The first boot replays the dry run up to its brown-out; later boots
      // draw their own outcomes, brown-outs included.
      SleepyCapacitor capacitor(nvm, boot == 0 ? seed : seed + 7919u * static_cast<std::uint32_t>(at + 1) + boot,
                                boot == 0 ? at : -1, boot > 0);
      ResidentRuntime runtime(model, kernels, s.arena, s.layout, nvm, board::kNvmCosts, s.scratch.data(), capacitor);
      const RunStatus status = bootOnce(runtime, image);
      r.brownOutsAsleep += static_cast<std::uint64_t>(capacitor.brownOuts);
      r.shutdowns += static_cast<std::uint64_t>(capacitor.shutdowns);
      r.intendedBrownOuts += static_cast<std::uint64_t>(capacitor.intendedBrownOuts);
      if (status == RunStatus::Done) {
        ok = matchesPlain(runtime, s);
        break;
      }
    }
    if (!ok && r.divergences++ == 0) r.firstDivergence = at;
  }
  return r;
}

SweepResult randomFailureSweep(const ModelView& model, const KernelSet& kernels, SchedulerPolicy policy,
                               std::uint64_t cyclesPerPowerCycle, const std::uint8_t* image, int schedules,
                               int failures, std::uint32_t seed) {
  Setup s = prepare(model, kernels, policy, cyclesPerPowerCycle, image);
  SweepResult r;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> share(0.0, 1.0);
  for (int i = 0; i < schedules; ++i) {
    std::vector<Failure> points;
    for (int f = 0; f < failures; ++f) points.push_back({static_cast<std::int64_t>(rng() % 200), 0, share(rng)});
    FailingNvm nvm(kNvmBytes);
    r.pointsTried += points.size();
    if (!finishAfterFailures(model, kernels, s, nvm, image, points)) {
      if (r.divergences++ == 0) r.firstDivergence = i;
    }
  }
  return r;
}

}  // namespace aidi::fw::host
