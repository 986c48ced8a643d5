// A process that runs a campaign into a database and can be killed at any
// moment: the victim of kill_resume_test. Each run writes kRows checkpoint
// rows and one inference row, then finishes; after the finish is committed it
// prints "done <run id>" so the parent knows what must survive a kill.
//
//   db_kill_victim DB RUNS ROWS   creates the campaign when the file has none,
//                                 then runs (or resumes) it to the end.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "aidi/db/batch_writer.hpp"
#include "aidi/db/campaign_store.hpp"

using namespace aidi::db;

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const std::string path = argv[1];
  const int runs = std::atoi(argv[2]);
  const int rows = std::atoi(argv[3]);

  auto db = Database::open(path);
  if (!db) {
    std::fprintf(stderr, "%s\n", db.error().message.c_str());
    return 1;
  }
  CampaignStore store(*db);
  auto campaigns = store.listCampaigns();
  if (!campaigns) return 1;
  std::int64_t campaign = 0;
  if (campaigns->empty()) {
    std::vector<PlannedRun> plan(static_cast<std::size_t>(runs), PlannedRun{"m", "aidi", "c", 100.0, 0, 1});
    auto created = store.createCampaign("kill-test", "", "", plan);
    if (!created) return 1;
    campaign = *created;
  } else {
    campaign = campaigns->front().id;
  }
  auto writer = BatchWriter::start(path, {.batchRows = 500});
  if (!writer) return 1;
  for (;;) {
    auto run = store.claimNextRun(campaign);
    if (!run) {
      std::fprintf(stderr, "claim: %s\n", run.error().message.c_str());
      return 1;
    }
    if (!*run) break;
    const auto id = (*run)->runId;
    const int attempt = (*run)->attempt;
    for (int j = 0; j < rows; ++j) {
      if (!(*writer)->push(CheckpointRow{id, attempt, 1, static_cast<std::uint32_t>(j), 0, 0,
                                         static_cast<std::uint32_t>(j), static_cast<std::uint32_t>(j), {}, {}, {}}))
        return 1;
    }
    InferenceRow result{id, attempt, 0, 0, 1, 1, true};
    result.latencyS = 0.5;
    if (!(*writer)->push(result)) return 1;
    if (!(*writer)->push(RunFinished{id, attempt, true, ""})) return 1;
    if (!(*writer)->flush()) return 1;
    std::printf("done %lld\n", static_cast<long long>(id));
    std::fflush(stdout);
  }
  if (!store.updateCampaignState(campaign)) return 1;
  return (*writer)->close() ? 0 : 1;
}
