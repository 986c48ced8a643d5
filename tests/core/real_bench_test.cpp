// A campaign on a real bench: the supply is the SCPI simulator (real TCP),
// the board a stand-in speaking the telemetry protocol over a TCP link (as a
// ser2net-exported serial port would), the flasher absent (the user resets
// the board) — everything but the board real. The session powers the board
// through the supply along the harvest condition, reads its frames until the
// samples are in, records them like the virtual bench does, and leaves the
// output off.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "../firmware/model_fixtures.hpp"
#include "../support/loopback_listener.hpp"
#include "../support/sqlite_scalar.hpp"
#include "aidi/core/campaign_runner.hpp"
#include "aidi/core/model_zoo.hpp"
#include "aidi/core/run_profile.hpp"
#include "aidi/inst/otii_simulator.hpp"
#include "aidi/inst/ppk2_simulator.hpp"
#include "aidi/inst/scpi_psu_simulator.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "aidi/proto/messages.hpp"

using namespace aidi;
using namespace std::chrono_literals;

namespace {

// The board's side of the link: Hello (a NUCLEO at `clockHz`), Boot, then
// per sample a checkpoint and a result every `period`, with the predictions
// the model really makes; and a Boot at every power-on that `powered` (the
// simulated supply's output, or the board on its capacitor) shows. Without
// `powered` it never reboots, as a board fed from elsewhere.
class BoardStandIn {
 public:
  // `resumed`: the first boot restores inference `resumed` from an earlier
  // run (its FRAM kept it) and finishes it, predicting 77, before its own.
  BoardStandIn(std::vector<int> predictions, std::chrono::milliseconds period, std::uint32_t clockHz = 100'000'000,
               std::function<bool()> powered = {}, std::uint32_t resumed = 0)
      : m_predictions(std::move(predictions)),
        m_period(period),
        m_clockHz(clockHz),
        m_powered(std::move(powered)),
        m_resumed(resumed) {
    m_thread = std::thread([this] { serve(); });
  }
  ~BoardStandIn() {
    m_stop = true;
    m_listener.close();
    m_thread.join();
  }
  std::uint16_t port() const { return m_listener.port; }

 private:
  template <class M>
  bool send(int fd, proto::FrameWriter& w, const M& m) {
    std::uint8_t wire[proto::kMaxEncodedFrame];
    const auto n = w.write(m, wire, sizeof wire);
    // MSG_NOSIGNAL: the bench may hang up first (a run that failed early).
    return ::send(fd, wire, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n);
  }
  void serve() {
    const int fd = ::accept(m_listener.fd, nullptr, nullptr);
    if (fd < 0) return;
    proto::FrameWriter writer(1);
    proto::Hello hello{};
    const std::string target = "nucleo-f412zg";
    std::copy(target.begin(), target.end(), hello.target);
    hello.targetLength = static_cast<std::uint8_t>(target.size());
    hello.clockHz = m_clockHz;
    send(fd, writer, hello);
    proto::Boot boot{};
    boot.bootCount = 1;
    boot.resetCause = proto::ResetCause::Pin;
    if (m_resumed) {
      boot.progressValid = 1;
      boot.inference = m_resumed;
      boot.layer = 2;
    }
    send(fd, writer, boot);
    bool wasPowered = true;
    const auto waitWatchingPower = [&](std::chrono::milliseconds span) {
      const auto until = std::chrono::steady_clock::now() + span;
      while (std::chrono::steady_clock::now() < until && !m_stop) {
        if (m_powered) {
          const bool now = m_powered();
          if (now && !wasPowered) {
            boot.bootCount += 1;
            boot.resetCause = proto::ResetCause::PowerOn;
            send(fd, writer, boot);
          }
          wasPowered = now;
        }
        std::this_thread::sleep_for(1ms);
      }
    };
    if (m_resumed) {
      waitWatchingPower(m_period / 3);
      proto::InferenceResult r{};
      r.inference = m_resumed;
      r.sample = 999;
      r.predicted = 77;
      r.logitCount = 10;
      send(fd, writer, r);
    }
    for (std::size_t k = 0; k < m_predictions.size() && !m_stop; ++k) {
      waitWatchingPower(m_period);
      proto::Checkpoint c{};
      c.inference = static_cast<std::uint32_t>(m_resumed + k + 1);
      c.layer = 3;
      c.nvmBytes = 100;
      send(fd, writer, c);
      proto::InferenceResult r{};
      r.inference = static_cast<std::uint32_t>(m_resumed + k + 1);
      r.sample = static_cast<std::uint32_t>(k);
      r.predicted = static_cast<std::uint8_t>(m_predictions[k]);
      r.logitCount = 10;
      send(fd, writer, r);
    }
    while (!m_stop) waitWatchingPower(10ms);
    ::close(fd);
  }
  std::vector<int> m_predictions;
  std::chrono::milliseconds m_period;
  std::uint32_t m_clockHz;
  std::function<bool()> m_powered;
  std::uint32_t m_resumed;
  aidi::test::LoopbackListener m_listener;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};


// A campaign on a bench of these tests: the bench file and campaign file
// written into `dir`, the campaign loaded, planned and run; power cycles
// counted from the runner's events.
struct DeskRun {
  std::filesystem::path db;
  Result<db::CampaignProgress> progress;
  int powerCycles = 0;
};

DeskRun runBenchCampaign(const inst::TempDir& dir, const std::string& benchToml, const std::string& campaignToml,
                         double timeScale = 1.0) {
  const auto benchFile = dir.path() / "bench.toml";
  std::ofstream(benchFile) << benchToml;
  const auto campaignFile = dir.path() / "c.toml";
  std::ofstream(campaignFile) << campaignToml;
  DeskRun run{dir.path() / "runs.sqlite", fail(ErrorCode::Invalid, "not run")};
  const auto zoo = test::fixturesDir() / "models";
  auto campaign = core::loadCampaignFile(campaignFile, zoo);
  if (!campaign) {
    run.progress = std::unexpected(campaign.error());
    return run;
  }
  if (campaign->benchFile != benchFile) {
    run.progress = fail(ErrorCode::Invalid, "the bench file was not resolved beside the campaign");
    return run;
  }
  auto id = core::planCampaign(*campaign, run.db);
  if (!id) {
    run.progress = std::unexpected(id.error());
    return run;
  }
  core::RunnerOptions options;
  options.database = run.db;
  options.modelZoo = zoo;
  options.subset = test::fixturesDir() / "fashion-mnist/test-1000.bin";
  options.realBenchTimeScale = timeScale;
  options.onEvent = [&](const core::CampaignEvent& e) {
    if (e.kind == core::CampaignEvent::Kind::PowerCycle) ++run.powerCycles;
  };
  run.progress = core::runCampaign(*id, options);
  return run;
}

// The bench file's head: the NUCLEO, its limits, the simulated supply.
std::string benchHead(std::uint16_t supplyPort) {
  return "[bench]\nname = \"desk\"\ntarget = \"nucleo-f412zg\"\n[limits]\nmax_voltage = 3.6\nmax_current = 0.1\n"
         "[supply]\nresource = \"TCPIP0::127.0.0.1::" + std::to_string(supplyPort) + "::SOCKET\"\n";
}

// The desk of these tests: the simulated supply and the board stand-in's
// link, and a one-condition campaign of inas-tiny under aidi on it, with the
// cycles played at 20x (10 uF cycles of a few ms).
DeskRun runOnDesk(const inst::TempDir& dir, std::uint16_t supplyPort, std::uint16_t boardPort, const std::string& name,
                  int samples) {
  return runBenchCampaign(
      dir,
      benchHead(supplyPort) + "[link]\nresource = \"TCPIP0::127.0.0.1::" + std::to_string(boardPort) + "::SOCKET\"\n",
      "[campaign]\nname = \"" + name + "\"\nsamples = " + std::to_string(samples) +
          "\ntime_limit_s = 60\nbench = \"bench.toml\"\nwaveforms = true\n[matrix]\nmodels = [\"inas-tiny\"]\n"
          "policies = [\"aidi\"]\n"
          "[[condition]]\nname = \"steady\"\nconstant_w = 0.002\ncapacitor_uf = 10\nv_start = 3.0\n",
      20);
}

}  // namespace

TEST(RealBench, ACampaignRunsOnASupplyAndALinkAndIsRecorded) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  const auto expected = test::loadJson(test::fixturesDir() / "models/inas-tiny/expected.json")["predictions"];
  BoardStandIn board({expected[0].get<int>(), expected[1].get<int>(), expected[2].get<int>()}, 150ms, 100'000'000,
                     [&] { return (*sim)->channel(1).output; });
  const auto run = runOnDesk(*dir, (*sim)->port(), board.port(), "on-the-desk", 3);
  const auto& db = run.db;
  const auto& progress = run.progress;
  const int powerCycles = run.powerCycles;
  ASSERT_TRUE(progress) << progress.error().message;

  EXPECT_EQ(progress->done, 1) << "failure: " << test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE state='failed'");
  EXPECT_EQ(test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences WHERE finished = 1"), 3);
  // Each inference recorded the board's prediction for its sample and the
  // subset's label of that sample (not a copy of the prediction).
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(test::sqliteScalar(db, "SELECT predicted FROM inferences WHERE sample = " + std::to_string(k)),
              expected[static_cast<std::size_t>(k)].get<int>());
    auto image = core::loadSubsetImage(test::fixturesDir() / "fashion-mnist/test-1000.bin", static_cast<std::size_t>(k));
    ASSERT_TRUE(image);
    EXPECT_EQ(test::sqliteScalar(db, "SELECT label FROM inferences WHERE sample = " + std::to_string(k)), image->label);
  }
  EXPECT_EQ(test::sqliteScalar(db, "SELECT COUNT(*) FROM checkpoints"), 3);
  EXPECT_GE(test::sqliteScalar(db, "SELECT COUNT(*) FROM power_cycles"), 3) << "each inference names the cycles it ran in";
  EXPECT_GE(powerCycles, 2) << "about 0.4 s per modelled cycle at this scale";
  EXPECT_EQ(test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences WHERE latency_s > 0 AND energy_bound_s > 0"), 3);
  EXPECT_FALSE((*sim)->channel(1).output) << "the output ends off";

  // What the supply measured, in the same tables as the virtual bench's
  // modelled waveforms: its 100 ohm load drew V/R while the output was on,
  // nothing while the capacitor (modelled) charged.
  auto profile = core::RunProfile::open(db, 1, 0);
  ASSERT_TRUE(profile) << profile.error().message;
  const auto* current = profile->channel("current");
  ASSERT_TRUE(current && profile->channel("voltage") && profile->channel("power"));
  EXPECT_EQ(current->source, "supply");
  auto amps = profile->stats(*current, profile->startS(), profile->endS());
  ASSERT_TRUE(amps);
  EXPECT_GT(amps->count, 5u);
  EXPECT_NEAR(amps->max, 3.3 / 100.0, 0.005) << "V/R of the simulator's load while on";
  EXPECT_LT(amps->min, 1e-3) << "off while charging";
}

// A board whose FRAM kept an inference of an earlier run of the same image
// finishes it first: that result is not one of this run's samples (its
// latency and prediction belong to no sample here); the run's samples are
// the board's next inferences, and the first says what happened.
TEST(RealBench, AnInferenceAnEarlierRunBeganIsNotCountedAsASample) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  const auto expected = test::loadJson(test::fixturesDir() / "models/inas-tiny/expected.json")["predictions"];
  BoardStandIn board({expected[0].get<int>(), expected[1].get<int>()}, 150ms, 100'000'000,
                     [&] { return (*sim)->channel(1).output; }, /*resumed=*/7);
  const auto run = runOnDesk(*dir, (*sim)->port(), board.port(), "inherited", 2);
  ASSERT_TRUE(run.progress) << run.progress.error().message;
  EXPECT_EQ(run.progress->done, 1);
  EXPECT_EQ(test::sqliteScalar(run.db, "SELECT COUNT(*) FROM inferences"), 2);
  EXPECT_EQ(test::sqliteScalar(run.db, "SELECT COUNT(*) FROM inferences WHERE predicted = 77 OR sample = 999"), 0);
  for (int k = 0; k < 2; ++k)
    EXPECT_EQ(test::sqliteScalar(run.db, "SELECT predicted FROM inferences WHERE sample = " + std::to_string(k)),
              expected[static_cast<std::size_t>(k)].get<int>());
  EXPECT_EQ(test::sqliteScalar(run.db, "SELECT COUNT(*) FROM events WHERE kind = 'inherited-inference' AND "
                                       "message LIKE 'inference 0: the board first finished an inference an earlier%'"),
            1);
  EXPECT_FALSE((*sim)->channel(1).output);
}

// The flasher is the real OpenOCD, told to use only an ST-LINK whose serial
// no probe has: whatever is plugged into this machine is never programmed,
// and OpenOCD fails as it does without a probe. The board is powered from
// the (simulated) supply while it is flashed and switched off after.
TEST(RealBench, WithoutAProbeEveryRunFailsClearlyAndTheCampaignEnds) {
  if (std::system("command -v openocd > /dev/null 2>&1") != 0) GTEST_SKIP() << "openocd is not installed";
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  const auto run = runBenchCampaign(
      *dir,
      benchHead((*sim)->port()) + "[link]\nresource = \"TCPIP0::127.0.0.1::1::SOCKET\"\n"
                                  "[flasher]\nkind = \"openocd\"\nconfig = [\"board/st_nucleo_f4.cfg\"]\n"
                                  "adapter_serial = \"AIDI-TEST-NO-SUCH-PROBE\"\n",
      "[campaign]\nname = \"no-probe\"\nsamples = 1\nbench = \"bench.toml\"\n[matrix]\nmodels = [\"inas-tiny\"]\n"
      "policies = [\"aidi\", \"loop\"]\n[[condition]]\nname = \"steady\"\nconstant_w = 0.002\ncapacitor_uf = 100\n");
  const auto& db = run.db;
  ASSERT_TRUE(run.progress) << run.progress.error().message;
  EXPECT_EQ(run.progress->failed, 2);
  EXPECT_EQ(test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE failure LIKE '%no debug probe found%'"), 2)
      << test::sqliteScalar(db, "SELECT COUNT(*) FROM runs");
  EXPECT_NEAR((*sim)->channel(1).volts, 3.3, 1e-9) << "the board was powered at its device voltage to be flashed";
  EXPECT_FALSE((*sim)->channel(1).output) << "and switched off when flashing failed";
}

// A board that is not what its profile says (a NUCLEO built at 25 MHz
// against the 100 MHz profile) fails the run with both figures named.
TEST(RealBench, ABoardWhoseHelloDisagreesWithItsProfileFailsTheRun) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  BoardStandIn board({1}, 50ms, 25'000'000);
  const auto run = runOnDesk(*dir, (*sim)->port(), board.port(), "wrong-clock", 1);
  const auto& db = run.db;
  const auto& progress = run.progress;
  ASSERT_TRUE(progress) << progress.error().message;
  EXPECT_EQ(progress->failed, 1);
  EXPECT_EQ(test::sqliteScalar(db, "SELECT COUNT(*) FROM runs WHERE failure LIKE '%runs at 25000000 Hz but board profile "
                                   "\"nucleo-f412zg\"%says 100000000 Hz%'"), 1);
  EXPECT_FALSE((*sim)->channel(1).output);
}

// A serial link read at another rate than the board's profile sends would
// decode noise: the run is refused before the board is powered.
TEST(RealBench, ALinkAtAnotherBaudThanTheBoardSendsIsRefused) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  const auto run = runBenchCampaign(
      *dir, benchHead((*sim)->port()) + "[link]\nresource = \"ASRL/dev/ttyAIDI-NO-SUCH-PORT::INSTR\"\nbaud = 115200\n",
      "[campaign]\nname = \"slow-link\"\nsamples = 1\nbench = \"bench.toml\"\n[matrix]\nmodels = [\"inas-tiny\"]\n"
      "policies = [\"aidi\"]\n[[condition]]\nname = \"steady\"\nconstant_w = 0.002\ncapacitor_uf = 100\n");
  ASSERT_TRUE(run.progress) << run.progress.error().message;
  EXPECT_EQ(run.progress->failed, 1);
  EXPECT_EQ(test::sqliteScalar(run.db, "SELECT COUNT(*) FROM runs WHERE failure LIKE '%link.baud is 115200 but board "
                                       "\"nucleo-f412zg\" sends at 921600 Bd (telemetry_baud in %'"),
            1)
      << test::sqliteScalar(run.db, "SELECT COUNT(*) FROM runs");
  EXPECT_FALSE((*sim)->channel(1).output) << "never powered";
}

TEST(RealBench, ABadBenchFileFailsTheCampaignFileBeforeAnyRun) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  const auto campaignFile = dir->path() / "c.toml";
  std::ofstream(campaignFile) << "[campaign]\nname = \"x\"\nbench = \"absent.toml\"\n[matrix]\nmodels = [\"inas-tiny\"]\n"
                                 "policies = [\"aidi\"]\n[[condition]]\nname = \"s\"\nconstant_w = 0.002\ncapacitor_uf = 100\n";
  auto campaign = core::loadCampaignFile(campaignFile, test::fixturesDir() / "models");
  ASSERT_FALSE(campaign);
  EXPECT_NE(campaign.error().message.find(":3: campaign.bench:"), std::string::npos) << campaign.error().message;
  EXPECT_NE(campaign.error().message.find("absent.toml"), std::string::npos) << campaign.error().message;
}

// Flashing succeeds (a flasher program that notes its arguments and exits 0
// stands in for a probe that programmed the board), then the board's link
// cannot be opened: the supply, on for flashing, ends off, and the run fails
// naming the link. The board was left halted after programming (no `reset`):
// powered for flashing, it must not start the run early.
TEST(RealBench, ALinkThatCannotOpenAfterFlashingLeavesTheOutputOff) {
  if (!std::filesystem::exists("/bin/sh")) GTEST_SKIP() << "no /bin/sh";
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  const auto flasher = dir->path() / "fake-openocd";
  const auto noted = dir->path() / "openocd-arguments";
  std::ofstream(flasher) << "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > '" << noted.string() << "'\n";
  std::filesystem::permissions(flasher, std::filesystem::perms::owner_all);
  const auto run = runBenchCampaign(
      *dir,
      benchHead((*sim)->port()) + "[link]\nresource = \"TCPIP0::127.0.0.1::1::SOCKET\"\n"
                                  "[flasher]\nkind = \"openocd\"\nprogram = \"" + flasher.string() + "\"\n",
      "[campaign]\nname = \"no-link\"\nsamples = 1\nbench = \"bench.toml\"\n[matrix]\nmodels = [\"inas-tiny\"]\n"
      "policies = [\"aidi\"]\n[[condition]]\nname = \"steady\"\nconstant_w = 0.002\ncapacitor_uf = 100\n");
  ASSERT_TRUE(run.progress) << run.progress.error().message;
  EXPECT_EQ(run.progress->failed, 1);
  EXPECT_EQ(test::sqliteScalar(run.db, "SELECT COUNT(*) FROM runs WHERE failure LIKE '%127.0.0.1%'"), 1);
  EXPECT_NEAR((*sim)->channel(1).volts, 3.3, 1e-9) << "powered to be flashed";
  EXPECT_FALSE((*sim)->channel(1).output) << "and switched off when the link failed";
  // Programmed, the run nonce written, no reset: the board stays halted.
  std::ifstream arguments(noted);
  std::vector<std::string> argv;
  for (std::string line; std::getline(arguments, line);) argv.push_back(line);
  const auto has = [&](const std::string& prefix) {
    return std::any_of(argv.begin(), argv.end(), [&](const std::string& a) { return a.starts_with(prefix); });
  };
  EXPECT_TRUE(has("program ") && has("flash fillw 0x08")) << "the image's run nonce is written";
  EXPECT_FALSE(has("reset")) << "the board stays halted";
  ASSERT_FALSE(argv.empty());
  EXPECT_EQ(argv.back(), "shutdown");
}

// The harvester as a current source into a real capacitor (the simulator's
// 1 mF, with a board on it that runs from 3.3 V down to its 2.7 V
// brown-out), and a PPK2 in ampere-meter mode in series as the bench's
// meter: the cycles are the board's own, the emulation's error is recorded
// with the run, and the kit's 100 kS/s stream is the run's whole-run
// waveform, its digital input 0 high while the pass-through powered the board.
TEST(RealBench, CurrentSourceModeWithAPpk2MeterRecordsTheEmulationAndTheStream) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start(
      {.loadOhms = 100.0, .capacitorF = 1e-3, .capacitorVolts = 2.7, .boardOnVolts = 3.3, .boardOffVolts = 2.7});
  ASSERT_TRUE(sim);
  auto kit = inst::Ppk2Simulator::start({.ampereModeAmps = 5e-3});
  ASSERT_TRUE(kit) << kit.error().message;
  const auto expected = test::loadJson(test::fixturesDir() / "models/inas-tiny/expected.json")["predictions"];
  BoardStandIn board({expected[0].get<int>(), expected[1].get<int>(), expected[2].get<int>()}, 200ms, 100'000'000,
                     [&] { return (*sim)->capacitor().boardOn; });
  const auto run = runBenchCampaign(
      *dir,
      benchHead((*sim)->port()) + "[link]\nresource = \"TCPIP0::127.0.0.1::" + std::to_string(board.port()) +
          "::SOCKET\"\n[harvester]\nmode = \"current-source\"\n[meter]\ndriver = \"ppk2\"\nresource = \"ASRL" +
          (*kit)->devicePath() + "::INSTR\"\n",
      "[campaign]\nname = \"on-a-capacitor\"\nsamples = 3\ntime_limit_s = 60\nbench = \"bench.toml\"\nwaveforms = true\n"
      "[matrix]\nmodels = [\"inas-tiny\"]\npolicies = [\"aidi\"]\n"
      "[[condition]]\nname = \"sun\"\nconstant_w = 0.02\ncapacitor_uf = 1000\n",
      1.0);
  const auto& db = run.db;
  ASSERT_TRUE(run.progress) << run.progress.error().message;
  EXPECT_EQ(run.progress->done, 1) << test::sqliteText(db, "SELECT failure FROM runs");
  EXPECT_EQ(test::sqliteScalar(db, "SELECT COUNT(*) FROM inferences WHERE finished = 1"), 3);
  EXPECT_GE(run.powerCycles, 2) << "~0.14 s per cycle of the board on the capacitor";
  EXPECT_GE((*sim)->capacitor().boardCycles, 2u);
  EXPECT_EQ(test::sqliteScalar(db, "SELECT COUNT(*) FROM events WHERE kind = 'harvest-emulation' AND level = 'info' "
                                   "AND message LIKE 'current-source emulation: requested %'"),
            1)
      << test::sqliteText(db, "SELECT group_concat(message, ' | ') FROM events");
  EXPECT_FALSE((*sim)->channel(1).output) << "the output ends off";

  auto profile = core::RunProfile::open(db, 1, core::RunProfile::kWholeRun);
  ASSERT_TRUE(profile) << profile.error().message;
  const auto* current = profile->channel("current");
  const auto* digital = profile->channel("digital");
  ASSERT_TRUE(current && digital);
  EXPECT_EQ(current->source, "ppk2");
  auto amps = profile->stats(*current, profile->startS(), profile->endS());
  ASSERT_TRUE(amps);
  EXPECT_GT(amps->count, 30'000u) << "100 kS/s over the run's ~0.6 s or more";
  EXPECT_NEAR(amps->mean(), 5e-3, 5e-4) << "the current through the kit";
  auto bits = profile->stats(*digital, profile->startS(), profile->endS());
  ASSERT_TRUE(bits);
  EXPECT_EQ(bits->max, 1) << "input 0 follows the pass-through";
  EXPECT_FALSE((*kit)->state().streaming);
  EXPECT_FALSE((*kit)->state().dutPowered) << "the pass-through opens at the end";
}

// An Otii as the meter beside the SCPI supply (a second connection to its
// server that only records): its main current and voltage at its own rate
// are the run's whole-run waveform, and the Otii is left as it was found.
TEST(RealBench, AnOtiiMeterRecordsCurrentAndVoltageBesideTheSupply) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  auto otii = inst::OtiiSimulator::start({.sampleRateHz = 2000});
  ASSERT_TRUE(otii) << otii.error().message;
  BoardStandIn board({1, 2}, 150ms, 100'000'000, [&] { return (*sim)->channel(1).output; });
  const auto run = runBenchCampaign(
      *dir,
      benchHead((*sim)->port()) + "[link]\nresource = \"TCPIP0::127.0.0.1::" + std::to_string(board.port()) +
          "::SOCKET\"\n[meter]\ndriver = \"otii\"\nresource = \"TCPIP0::127.0.0.1::" + std::to_string((*otii)->port()) +
          "::SOCKET\"\n",
      "[campaign]\nname = \"otii-meter\"\nsamples = 2\ntime_limit_s = 60\nbench = \"bench.toml\"\nwaveforms = true\n"
      "[matrix]\nmodels = [\"inas-tiny\"]\npolicies = [\"aidi\"]\n"
      "[[condition]]\nname = \"steady\"\nconstant_w = 0.002\ncapacitor_uf = 10\nv_start = 3.0\n",
      20);
  ASSERT_TRUE(run.progress) << run.progress.error().message;
  EXPECT_EQ(run.progress->done, 1) << test::sqliteText(run.db, "SELECT failure FROM runs");
  auto profile = core::RunProfile::open(run.db, 1, core::RunProfile::kWholeRun);
  ASSERT_TRUE(profile) << profile.error().message;
  const auto* current = profile->channel("current");
  ASSERT_TRUE(current && profile->channel("voltage") && profile->channel("power"));
  EXPECT_EQ(current->source, "otii");
  EXPECT_EQ(profile->channel("digital"), nullptr) << "the Otii's stream has no digital inputs";
  auto amps = profile->stats(*current, profile->startS(), profile->endS());
  ASSERT_TRUE(amps);
  EXPECT_GT(amps->count, 300u) << "2 kS/s over the run's ~0.3 s or more";
  EXPECT_FALSE((*otii)->state().recording) << "the recording stopped with the run";
  EXPECT_FALSE((*otii)->state().mainOn);
}

// The meter unplugged mid-run: the run fails naming the meter, the samples
// before are kept, and the supply's output ends off.
TEST(RealBench, AMeterUnpluggedMidRunFailsTheRunWithTheOutputOff) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  auto kit = inst::Ppk2Simulator::start({});
  ASSERT_TRUE(kit) << kit.error().message;
  BoardStandIn board({1, 2, 3, 4, 5, 6}, 300ms, 100'000'000, [&] { return (*sim)->channel(1).output; });
  std::thread unplug([&] {  // mid-run: a while after the stream started, however loaded the machine
    for (int k = 0; k < 30000 && !(*kit)->state().streaming; ++k) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(400ms);
    (*kit)->unplug();
  });
  const auto run = runBenchCampaign(
      *dir,
      benchHead((*sim)->port()) + "[link]\nresource = \"TCPIP0::127.0.0.1::" + std::to_string(board.port()) +
          "::SOCKET\"\n[meter]\ndriver = \"ppk2\"\nresource = \"ASRL" + (*kit)->devicePath() + "::INSTR\"\n",
      "[campaign]\nname = \"unplugged\"\nsamples = 6\ntime_limit_s = 60\nbench = \"bench.toml\"\nwaveforms = true\n"
      "[matrix]\nmodels = [\"inas-tiny\"]\npolicies = [\"aidi\"]\n"
      "[[condition]]\nname = \"steady\"\nconstant_w = 0.002\ncapacitor_uf = 10\nv_start = 3.0\n",
      20);
  unplug.join();
  ASSERT_TRUE(run.progress) << run.progress.error().message;
  EXPECT_EQ(run.progress->failed, 1);
  EXPECT_EQ(test::sqliteScalar(run.db, "SELECT COUNT(*) FROM runs WHERE failure LIKE '%meter ppk2:%'"), 1)
      << test::sqliteText(run.db, "SELECT failure FROM runs");
  EXPECT_LT(test::sqliteScalar(run.db, "SELECT COUNT(*) FROM inferences"), 6);
  EXPECT_FALSE((*sim)->channel(1).output) << "the output ends off";
}

// A board that keeps running through the cuts of its supply (its rail fed
// from elsewhere: the stand-in never boots again) fails the run with that
// reason, instead of results that no power failure touched.
TEST(RealBench, ABoardThatNeverLosesPowerFailsTheRun) {
  auto dir = inst::TempDir::create("aidi-real-bench-");
  ASSERT_TRUE(dir);
  auto sim = inst::ScpiPsuSimulator::start({.loadOhms = 100.0});
  ASSERT_TRUE(sim);
  BoardStandIn board({1, 2, 3, 4, 5, 6, 7, 8}, 300ms);
  const auto run = runOnDesk(*dir, (*sim)->port(), board.port(), "back-powered", 8);
  ASSERT_TRUE(run.progress) << run.progress.error().message;
  EXPECT_EQ(run.progress->failed, 1);
  EXPECT_EQ(test::sqliteScalar(run.db, "SELECT COUNT(*) FROM runs WHERE failure LIKE '%never lost power%'"), 1)
      << test::sqliteText(run.db, "SELECT failure FROM runs");
  EXPECT_FALSE((*sim)->channel(1).output);
}
