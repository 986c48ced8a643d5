// Crash consistency of the intermittent runtime, exhaustively: a power
// failure at every NVM write of an inference, for every policy and model; the
// restarted device (SRAM garbage, NVM only) must end with exactly the plain
// inference's logits.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <thread>

#include <cstdio>

#include "board_profile.hpp"
#include "crash_sweep.hpp"
#include "failing_nvm.hpp"
#include "file_nvm.hpp"
#include "resident_runtime.hpp"
#include "intermittent_runtime.hpp"

#include <cstring>
#include "model_fixtures.hpp"
#include "zoo_model.hpp"

using namespace aidi::fw;
using namespace aidi::test;

namespace {

constexpr std::uint64_t kCyclesPerPowerCycle = 250'000;  // 10 ms at 25 MHz

}  // namespace

// Samples swept per model: many for the small model, fewer where a sweep
// costs more (mcunet-s ~40x inas-tiny, mcunet-m ~2x mcunet-s).
std::size_t samplesFor(const std::string& model) { return model == "inas-tiny" ? 40 : model == "mcunet-s" ? 2 : 1; }

// A power failure at every NVM write of every zoo model under every policy,
// the failing write torn at a seeded random length (a different seed per
// sample, so the tears spread over the byte offsets).
TEST(CrashConsistency, EveryFailurePointEveryPolicy) {
  const Subset subset = loadSubset();
  std::map<std::string, std::uint64_t> pointsPerPolicy;
  const auto models = zooModels();
  ASSERT_GE(models.size(), 3u);
  for (const auto& name : models) {
    const ZooModel model = loadZooModel(name);
    for (const auto& row : aidi::proto::kPolicies) {
      // SONIC writes ~5x the others (a pass per 8 input channels): one
      // sample, and every 4th write of the largest model (`aidi crashtest`
      // tries them all), keep the suite's time.
      const bool sonic = row.policy == SchedulerPolicy::Sonic;
      const std::uint64_t stride = sonic && name == "mcunet-m" ? 4 : 1;
      const std::size_t samples = sonic && name != "inas-tiny" ? 1 : samplesFor(name);
      for (std::size_t sample = 0; sample < samples; ++sample) {
        const auto r = host::crashSweep(model.view, cm4Kernels(), row.policy, kCyclesPerPowerCycle,
                                        subset.image(sample), stride,
                                        {host::Tearing::Random, static_cast<std::uint32_t>(sample + 1)});
        EXPECT_EQ(r.divergences, 0u) << name << " " << row.name << " sample " << sample
                                     << ": first divergence at write " << r.firstDivergence;
        EXPECT_EQ(r.pointsTried, (r.writesPerInference + stride - 1) / stride);
        EXPECT_GT(r.writesPerInference, r.jobs) << "every job writes at least once";
        pointsPerPolicy[row.name] += r.pointsTried;
      }
    }
  }
  std::uint64_t total = 0;
  for (const auto& [policy, points] : pointsPerPolicy) {
    std::printf("%-14s %6llu write failure points, torn at random lengths\n", policy.c_str(),
                static_cast<unsigned long long>(points));
    RecordProperty("failure_points_" + policy, static_cast<int>(points));
    total += points;
  }
  EXPECT_GE(total, 10'000u) << "failure points tried across policies";
  EXPECT_GE(pointsPerPolicy["aidi"], 500u) << "the aidi policy's own points, counted apart";
}

// Every prefix length of every write: the commit records' headers, sequence
// numbers and CRCs torn at each byte (on the small model: a larger one's
// activations make it millions of points).
TEST(CrashConsistency, EveryWriteTornAtEveryByte) {
  const Subset subset = loadSubset();
  const ZooModel tiny = loadZooModel("inas-tiny");
  for (const auto& row : aidi::proto::kPolicies) {
    const auto r = host::crashSweep(tiny.view, cm4Kernels(), row.policy, kCyclesPerPowerCycle, subset.image(0), 1,
                                    {host::Tearing::EveryByte, 0});
    EXPECT_EQ(r.divergences, 0u) << row.name << ": first divergence at write " << r.firstDivergence;
    EXPECT_GT(r.pointsTried, 4 * r.writesPerInference) << row.name;
  }
}

// Between writes: power lost after every energy check of the resident engine.
TEST(CrashConsistency, EveryStepOfTheResidentEngine) {
  const Subset subset = loadSubset();
  std::uint64_t total = 0;
  for (const auto& [name, samples] : {std::pair<std::string, std::size_t>{"inas-tiny", 8}, {"mcunet-s", 1}}) {
    const ZooModel model = loadZooModel(name);
    for (std::size_t sample = 0; sample < samples; ++sample) {
      const auto r = host::stepSweep(model.view, cm4Kernels(), subset.image(sample));
      EXPECT_EQ(r.divergences, 0u) << name << " sample " << sample << ": first divergence at step " << r.firstDivergence;
      EXPECT_GT(r.pointsTried, 20u);
      total += r.pointsTried;
    }
  }
  RecordProperty("step_points", static_cast<int>(total));
  std::printf("aidi, between writes: %llu step failure points\n", static_cast<unsigned long long>(total));
}

// Where aidi lives: sleeps that reach their target, fall to the floor (then
// a checkpoint) or brown out asleep, and waits spent shut down after a
// checkpoint or run on into a brown-out after one, on every zoo model, many seeds.
TEST(CrashConsistency, TheSleepPathOfTheAidiPolicy) {
  const Subset subset = loadSubset();
  std::uint64_t points = 0, brownOuts = 0, shutdowns = 0, intended = 0;
  for (const auto& name : zooModels()) {
    const ZooModel model = loadZooModel(name);
    const std::uint32_t seeds = name == "inas-tiny" ? 100 : 16;
    for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
      const auto r = host::sleepSweep(model.view, cm4Kernels(), subset.image(seed % 8), seed);
      EXPECT_EQ(r.divergences, 0u) << name << " seed " << seed << ": first divergence at sleep " << r.firstDivergence;
      points += r.pointsTried;
      brownOuts += r.brownOutsAsleep;
      shutdowns += r.shutdowns;
      intended += r.intendedBrownOuts;
    }
  }
  std::printf("aidi, sleep path: %llu schedules, %llu brown-outs while asleep, %llu shutdowns, %llu run into a brown-out\n",
              static_cast<unsigned long long>(points), static_cast<unsigned long long>(brownOuts),
              static_cast<unsigned long long>(shutdowns), static_cast<unsigned long long>(intended));
  EXPECT_GE(shutdowns, points) << "waits spent shut down (checkpoint, then nothing lands) come up too";
  EXPECT_GE(intended, points / 4) << "and waits spent browned out after a checkpoint (the rows after it are lost)";
  RecordProperty("sleep_points", static_cast<int>(points));
  EXPECT_GE(points, 300u);
  EXPECT_GE(brownOuts, points) << "every schedule browns out asleep at least once";
}

TEST(CrashConsistency, RandomMultiFailureSchedules) {
  const Subset subset = loadSubset();
  const ZooModel model = loadZooModel("mcunet-s");
  for (auto policy : {SchedulerPolicy::FixedTile, SchedulerPolicy::Loop, SchedulerPolicy::Aidi}) {
    const auto r = host::randomFailureSweep(model.view, cm4Kernels(), policy, kCyclesPerPowerCycle,
                                            subset.image(3), 50, 8, 42);
    EXPECT_EQ(r.divergences, 0u) << toString(policy) << " schedule " << r.firstDivergence;
  }
}

TEST(CrashConsistency, PoliciesCutLayersAsSpecified) {
  const ZooModel model = loadZooModel("mcunet-s");
  JobPlan layer, tile, fine, aidi;
  ASSERT_TRUE(planJobs(model.view, SchedulerPolicy::Layer, kCyclesPerPowerCycle, board::kNvmCosts, layer));
  ASSERT_TRUE(planJobs(model.view, SchedulerPolicy::FixedTile, kCyclesPerPowerCycle, board::kNvmCosts, tile));
  ASSERT_TRUE(planJobs(model.view, SchedulerPolicy::Loop, kCyclesPerPowerCycle, board::kNvmCosts, fine));
  ASSERT_TRUE(planJobs(model.view, SchedulerPolicy::Aidi, kCyclesPerPowerCycle, board::kNvmCosts, aidi));
  for (std::uint16_t i = 0; i < model.view.layerCount(); ++i) {
    const auto rows = model.view.tensor(model.view.layer(i).output).shape.h;
    EXPECT_EQ(layer.jobs[i], 1) << "layer " << i;
    EXPECT_EQ(fine.rowsPerJob[i], 1) << "layer " << i;
    EXPECT_EQ(tile.rowsPerJob[i], std::min<std::uint32_t>(rows, 4)) << "layer " << i;
    EXPECT_EQ(tile.jobs[i], (rows + 3) / 4) << "layer " << i;
    EXPECT_EQ(fine.jobs[i], rows) << "layer " << i;
    EXPECT_GE(aidi.rowsPerJob[i], 1);
    EXPECT_LE(aidi.rowsPerJob[i], rows);
    // An aidi job is planned to take at most a third of a power cycle, unless one row alone is more.
    if (aidi.rowsPerJob[i] > 1) {
      EXPECT_LE(estimateRowCycles(model.view, i, 16) * aidi.rowsPerJob[i], kCyclesPerPowerCycle / 3);
    }
  }
}

// A job that cannot complete in a whole power cycle is split at the next boot,
// and the inference still ends with the reference result.
TEST(CrashConsistency, AJobThatNeverFitsIsSplitOnline) {
  const Subset subset = loadSubset();
  const ZooModel model = loadZooModel("mcunet-s");
  JobPlan plan;
  ASSERT_TRUE(planJobs(model.view, SchedulerPolicy::Aidi, 2'500'000, board::kNvmCosts, plan));
  const std::uint16_t planned = plan.rowsPerJob[0];
  ASSERT_GT(planned, 1) << "layer 0 must start with multi-row jobs for this test";
  NvmLayout layout;
  ASSERT_TRUE(planNvm(model.view, 512 * 1024, layout));
  std::vector<std::int8_t> scratch(scratchBytesNeeded(model.view, plan));
  host::FailingNvm nvm(512 * 1024);
  const auto boot = [&] {
    return IntermittentRuntime(model.view, cm4Kernels(), plan, layout, nvm, scratch.data(),
                               static_cast<std::uint32_t>(scratch.size()), {.splitStalledJobs = true});
  };
  // Boot 1: starts, and power fails during the first job's output write
  // (after 13 image chunks, the plan and a 3-write progress commit).
  nvm.failAtWrite(17);
  EXPECT_EQ(boot().start(subset.image(0), 1), RunStatus::PowerFailed);
  // Boot 2: restores (marking the boot, 3 writes), fails in the same job again.
  nvm.failAtWrite(3);
  auto second = boot();
  EXPECT_EQ(second.restore(), RunStatus::PowerFailed);
  EXPECT_EQ(second.progress().stalledBoots, 1);
  EXPECT_EQ(second.resume(), RunStatus::PowerFailed);
  // Boot 3: a whole cycle passed without a commit: the job is split.
  nvm.failAtWrite(-1);
  auto third = boot();
  third.restore();
  EXPECT_LT(third.progress().rowsPerJob, planned);
  EXPECT_GE(third.progress().rowsPerJob, 1);
  ASSERT_EQ(third.resume(), RunStatus::Done);
  std::int8_t logits[16], expected[16];
  third.result(logits, 16);
  ArenaPlan arena;
  planArena(model.view, arena);
  std::vector<std::int8_t> memory(arena.bytes);
  runPlainInference(model.view, arena, cm4Kernels(), subset.image(0), memory.data(), expected, 16);
  EXPECT_EQ(std::memcmp(logits, expected, 10), 0);
}

// The host target with its NVM in a mapped file and a real power failure: a
// child process running the inference is killed (SIGKILL) at a random
// moment, again and again; each new process maps the same file, restores and
// continues; the result equals the continuous run.
TEST(CrashConsistency, KilledProcessesResumeFromTheNvmFile) {
  const Subset subset = loadSubset();
  const ZooModel model = loadZooModel("mcunet-s");
  ArenaPlan arena;
  ASSERT_TRUE(planArena(model.view, arena));
  std::vector<std::int8_t> memory(arena.bytes);
  std::int8_t expected[64];
  runPlainInference(model.view, arena, cm4Kernels(), subset.image(5), memory.data(), expected, 64);
  NvmLayout layout;
  ASSERT_TRUE(planNvm(model.view, 512 * 1024, layout));
  char path[] = "/tmp/aidi-nvm-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);

  // One boot in a child: map the NVM, restore or start, run; exit 0 when done.
  const auto boot = [&](bool checkpointOften) {
    host::FileNvm nvm(path, 512 * 1024);
    if (!nvm.ok()) _exit(3);
    std::vector<std::int8_t> sram(arena.bytes, 0x5A);  // never trusted
    struct Often final : EnergyMonitor {
      bool often;
      int calls = 0;
      std::uint32_t cyclesLeft() override { return often && ++calls % 3 == 0 ? 0u : 0xFFFFFFFFu; }
    } monitor;
    monitor.often = checkpointOften;
    ResidentRuntime runtime(model.view, cm4Kernels(), arena, layout, nvm.nvm(), board::kNvmCosts, sram.data(), monitor);
    runtime.setMaxBandRows(1);
    RunStatus status = runtime.restore();
    if (status == RunStatus::Idle) status = runtime.start(subset.image(5), 1);
    else if (status != RunStatus::Done) status = runtime.resume();
    _exit(status == RunStatus::Done ? 0 : 4);
  };
  // How long one uninterrupted inference takes here, on a scratch file.
  std::chrono::microseconds whole{0};
  {
    char scratch[] = "/tmp/aidi-nvm-XXXXXX";
    const int sfd = ::mkstemp(scratch);
    ASSERT_GE(sfd, 0);
    ::close(sfd);
    std::swap_ranges(path, path + sizeof path, scratch);
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) boot(true);
    int status = 0;
    ::waitpid(child, &status, 0);
    whole = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ::unlink(path);
    std::swap_ranges(path, path + sizeof path, scratch);
  }
  std::mt19937 rng(11);
  int kills = 0;
  // A loaded machine makes the measured whole run a poor guide: when an
  // inference finishes before it was cut twice, start again on a fresh NVM
  // file with shorter runs before the plug is pulled.
  long long bound = whole.count() / 4 + 1;
  for (int attempt = 0; attempt < 500; ++attempt) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) boot(true);
    // Let it run a random part of a whole inference, then pull the plug
    // (unless it finished first).
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long long>(rng() % static_cast<unsigned long long>(bound))));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      if (kills >= 2) break;
      ::unlink(path);
      kills = 0;
      bound = bound / 2 + 1;
      continue;
    }
    ASSERT_TRUE(WIFSIGNALED(status)) << "a boot ended with status " << WEXITSTATUS(status);
    ++kills;
  }
  EXPECT_GE(kills, 2) << "the inference must have been cut more than once";
  host::FileNvm nvm(path, 512 * 1024);
  ASSERT_TRUE(nvm.ok());
  std::int8_t logits[64];
  readResult(model.view, layout, nvm.nvm(), logits, 64);
  EXPECT_EQ(std::memcmp(logits, expected, 10), 0) << "after " << kills << " kills";
  std::printf("file NVM: inference of %lld us finished after %d SIGKILLs\n", static_cast<long long>(whole.count()), kills);
  ::unlink(path);
}

