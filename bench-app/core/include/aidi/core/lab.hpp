// A lab of benches (docs/lab.md): campaigns submitted to a shared
// PostgreSQL store (aidi::lab::LabStore), and workers, one per bench, that
// claim the runs their bench can do, run each into a local SQLite journal
// first, and upload it when it has ended. A worker that loses the server
// goes on with the run in hand and uploads once the server is back, so no
// work is lost; a worker killed mid-run loses only its lease, and the run is
// claimed again elsewhere.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include <optional>

#include "aidi/core/campaign_file.hpp"
#include "aidi/inst/result.hpp"
#include "aidi/inst/temp_dir.hpp"
#include "aidi/lab/lab_store.hpp"

namespace aidi::core {

// The lab URL: --lab, else AIDI_LAB; never holding a password.
[[nodiscard]] inst::Result<std::string> labUrl(const std::string& given);

// Creates (or upgrades) the lab's tables; the schema version it has then.
[[nodiscard]] inst::Result<int> initLab(const std::string& url);
// The lab's queue, workers, leases and throughput.
[[nodiscard]] inst::Result<lab::LabStatus> labStatus(const std::string& url);

// Submits a campaign file: its runs, each requiring its board's target (and
// `required`), and its trace files, which every worker gets (the stored text
// names them by their place in the lab). Returns the lab's campaign id.
[[nodiscard]] inst::Result<std::int64_t> submitToLab(const std::string& url, const std::filesystem::path& campaignFile,
                                                      const std::filesystem::path& modelZoo, const lab::Tags& required);
// The same for a campaign parsed already (aidi serve --lab).
[[nodiscard]] inst::Result<std::int64_t> submitToLab(const std::string& url, const CampaignFile& campaign,
                                                      const lab::Tags& required);
// The lab's campaigns with their progress, oldest first.
[[nodiscard]] inst::Result<std::vector<lab::LabCampaign>> labCampaigns(const std::string& url);

// What a bench offers: target (its board's), bench (virtual or the file's
// name), supply and meter drivers; `extra` added (and overriding).
[[nodiscard]] inst::Result<lab::Tags> benchTags(const std::filesystem::path& benchFile, const lab::Tags& extra);

// Pulls a lab campaign (by id or name) into the SQLite run database `out`
// (which must not exist yet), so every face that reads a run database
// (aidi report, aidi list, the GUI) reads it. Its trace files go beside it
// (OUT-files/). The lab keeps each inference's sample, label, prediction,
// latency, energy bound, energy and power cycles; the waveforms and energy
// splits stay in the workers' journals. Returns the campaign's id in `out`.
[[nodiscard]] inst::Result<std::int64_t> exportFromLab(const std::string& url, const std::string& campaign,
                                                        const std::filesystem::path& out,
                                                        const std::filesystem::path& modelZoo);

// A lab campaign copied into a scratch run database (exportFromLab), for a
// face that reads run databases (aidi report --lab, the GUI); the copy goes
// with this object.
class LabCopy {
 public:
  [[nodiscard]] static inst::Result<LabCopy> make(const std::string& url, const std::string& campaign,
                                                  const std::filesystem::path& modelZoo);
  const std::filesystem::path& database() const { return m_database; }
  std::int64_t campaignId() const { return m_campaignId; }

 private:
  LabCopy(inst::TempDir dir, std::filesystem::path database, std::int64_t id)
      : m_dir(std::move(dir)), m_database(std::move(database)), m_campaignId(id) {}
  inst::TempDir m_dir;
  std::filesystem::path m_database;
  std::int64_t m_campaignId = 0;
};

struct WorkerOptions {
  std::string url;
  std::string name;                  // unique in the lab; default HOST-PID
  std::filesystem::path benchFile;   // empty: the virtual bench
  lab::Tags tags;                    // what the bench offers (benchTags)
  std::filesystem::path journal;     // its local SQLite run database
  std::filesystem::path modelZoo, subset;
  double leaseS = 30;                // renewed every leaseS / 3 while a run goes on
  bool untilEmpty = false;           // stop when no run it could do is planned or leased (else wait for more)
  std::chrono::milliseconds idlePoll{1000};
  double realBenchTimeScale = 1.0;
  std::function<void(const std::string&)> onLog;  // one line per claim, upload, lost lease, lost server
};

struct WorkerSummary {
  int runs = 0;       // runs this worker ran to the end
  int uploaded = 0;   // of them, recorded by this worker's upload
  int duplicates = 0; // recorded already by another attempt
};

// Claims, runs and uploads until stopped (Ctrl-C) or, with untilEmpty, until
// no run is left it can do. A server that cannot be reached is retried
// (every idlePoll) with the finished runs kept in the journal to upload.
[[nodiscard]] inst::Result<WorkerSummary> runWorker(const WorkerOptions& options);

}  // namespace aidi::core
