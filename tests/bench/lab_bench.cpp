// The lab's figures on a real PostgreSQL server (started here, as the tests
// do): throughput of one and of two `aidi worker` processes on the same
// virtual campaign, and the time a claim takes with four workers claiming
// at once. Targets (#25): 2 workers >= 1.8x one on 2 cores; a claim <= 10 ms.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "../support/postgres_server.hpp"
#include "aidi/inst/subprocess.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "aidi/lab/lab_store.hpp"
#include "bench_support.hpp"

using namespace aidi;
using bench::Clock;

namespace {

int g_lab = 0;

std::string freshLab(test::PostgresServer& server) {
  const std::string name = "bench" + std::to_string(++g_lab);
  auto created = inst::Subprocess::spawn({"/usr/bin/env", "PGPASSWORD=" + std::string(test::PostgresServer::kPassword),
                                          "psql", "-q", server.url(), "-c", "CREATE DATABASE " + name});
  if (!created || created->wait(inst::Millis{30000}).value_or(1) != 0)
    bench::die({ErrorCode::Io, "cannot create database " + name + (created ? ": " + created->output() : "")});
  const std::string url = server.url(name);
  (void)bench::must(lab::LabStore::init(url));
  return url;
}

int run(const std::vector<std::string>& argv) {
  auto child = bench::must(inst::Subprocess::spawn(argv));
  const int code = bench::must(child.wait(inst::Millis{3600000}));
  if (code != 0) bench::die({ErrorCode::Io, argv[1] + " " + argv[2] + " failed: " + child.output()});
  return code;
}

// Wall seconds for `workers` worker processes to finish a fresh copy of the campaign.
double campaignSeconds(test::PostgresServer& server, const inst::TempDir& dir, const std::filesystem::path& campaign,
                       int workers) {
  const std::string url = freshLab(server);
  run({AIDI_CLI_PATH, "lab", "submit", campaign.string(), "--lab", url});
  const auto start = Clock::now();
  std::vector<inst::Subprocess> running;
  for (int i = 0; i < workers; ++i)
    running.push_back(bench::must(inst::Subprocess::spawn(
        {AIDI_CLI_PATH, "worker", "--lab", url, "--name", "w" + std::to_string(i), "--until-empty", "--journal",
         (dir.path() / (url.substr(url.rfind('/') + 1) + "-w" + std::to_string(i) + ".sqlite")).string()})));
  for (auto& w : running)
    if (bench::must(w.wait(inst::Millis{3600000})) != 0) bench::die({ErrorCode::Io, "a worker failed: " + w.output()});
  return bench::seconds(start);
}

}  // namespace

int main() {
  ::setenv("PGPASSWORD", test::PostgresServer::kPassword, 1);
  std::string why;
  auto server = test::PostgresServer::start(why);
  if (!server) bench::die({ErrorCode::NotFound, why});
  auto dir = bench::must(inst::TempDir::create("aidi-lab-bench-"));

  // Throughput: 48 runs of mcunet-s (about a second each on the virtual board).
  const auto campaign = dir.path() / "throughput.toml";
  {
    std::ofstream out(campaign);
    out << "[campaign]\nname = \"throughput\"\nsamples = 1\nrepetitions = 6\n[matrix]\nmodels = [\"mcunet-s\"]\n"
           "policies = [\"loop\", \"aidi\"]\n";
    for (int i = 0; i < 4; ++i)
      out << "[[condition]]\nname = \"c" << i << "\"\nconstant_w = " << 0.002 + 0.001 * i << "\ncapacitor_uf = 100\n";
  }
  const int runs = 48;
  const double one = campaignSeconds(*server, dir, campaign, 1);
  const double two = campaignSeconds(*server, dir, campaign, 2);
  std::printf("Lab throughput: %d virtual runs of mcunet-s, %u cores\n", runs, std::thread::hardware_concurrency());
  std::printf("  1 worker : %6.2f s  %6.2f runs/s\n", one, runs / one);
  std::printf("  2 workers: %6.2f s  %6.2f runs/s  speed-up %.2fx (target >= 1.8x)\n", two, runs / two, one / two);

  // Claims: four workers claim and record 800 empty runs as fast as they can.
  const std::string url = freshLab(*server);
  {
    auto store = bench::must(lab::LabStore::connect(url));
    std::vector<lab::LabRunPlan> plans;
    for (int i = 0; i < 800; ++i) plans.push_back({i, "inas-tiny", "aidi", "c", "mps2-an386", {{"target", "mps2-an386"}}});
    (void)bench::must(store.submit("claims", "[campaign]\n", {}, plans));
  }
  std::vector<double> claimMs;
  std::mutex mutex;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&, w] {
      auto store = bench::must(lab::LabStore::connect(url));
      const std::string name = "c" + std::to_string(w);
      for (;;) {
        const auto t0 = Clock::now();
        auto claim = bench::must(store.claim(name, {{"target", "mps2-an386"}}, 30));
        const double ms = bench::seconds(t0) * 1e3;
        if (!claim) break;
        (void)bench::must(store.upload({claim->uuid, name, claim->attempt, true, "", {}}));
        std::lock_guard lock(mutex);
        claimMs.push_back(ms);
      }
    });
  for (auto& t : threads) t.join();
  const double total = bench::seconds(start);
  std::sort(claimMs.begin(), claimMs.end());
  double sum = 0;
  for (const double ms : claimMs) sum += ms;
  std::printf("Lab claims: 4 workers, %zu runs claimed and recorded in %.2f s\n", claimMs.size(), total);
  std::printf("  claim: mean %.2f ms, median %.2f ms, p95 %.2f ms, max %.2f ms (target <= 10 ms)\n",
              sum / claimMs.size(), claimMs[claimMs.size() / 2], claimMs[claimMs.size() * 95 / 100], claimMs.back());
  if (claimMs.size() != 800) bench::die({ErrorCode::Invalid, "not every run was claimed once"});
  return 0;
}
