// The lab's shared store and work queue on PostgreSQL: campaigns submitted
// from any host become rows; workers claim runs their bench's tags satisfy
// (SELECT ... FOR UPDATE SKIP LOCKED) under a lease they renew; a run whose
// lease expired (worker killed, host lost) is claimed again; a finished run
// is uploaded once, by its UUID (ON CONFLICT DO NOTHING), so every run ends
// recorded exactly once however often it was claimed. docs/lab.md.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aidi/support/result.hpp"

namespace aidi::lab {

namespace pg {
class Connection;
}

// The lab schema this aidi reads and writes (lab_meta.schema).
inline constexpr int kLabSchemaVersion = 1;

// What a bench offers (target, supply, meter, ...) and what a run requires:
// key=value pairs. A run goes to a bench whose tags include all it requires.
using Tags = std::map<std::string, std::string>;
// "k=v,k2=v2"; an empty text is no tags. Keys and values: letters, digits, . _ - :
[[nodiscard]] Result<Tags> parseTags(const std::string& text);
std::string tagsText(const Tags& tags);

// A lab URL names the server, database and user; never a password (the
// command line is visible to every user of a host): libpq reads it from
// PGPASSWORD, PGPASSFILE or ~/.pgpass. The URL itself may come from AIDI_LAB.
[[nodiscard]] Status checkLabUrl(const std::string& url);

struct LabRunPlan {
  int planIndex = 0;
  std::string model, policy, condition, board;
  Tags required;  // the tags a bench must have to run it
};

// A file a campaign needs on every worker (its harvest traces), by the
// relative path the stored campaign text names it with.
struct LabFile {
  std::string path;
  std::string content;
};

struct LabClaim {
  std::int64_t runId = 0, campaignId = 0;
  int planIndex = 0;
  int attempt = 0;
  std::string uuid;
  std::string campaignName, configToml;
};

struct LabInference {
  int inference = 0, sample = 0;
  std::optional<int> label, predicted;
  bool finished = false;
  std::optional<double> latencyS, energyBoundS, energyUj;
  std::int64_t powerCycles = 0;
};

struct LabRunResult {
  std::string uuid;
  std::string worker;
  int attempt = 0;
  bool done = true;  // false: failed, with `failure`
  std::string failure;
  std::vector<LabInference> inferences;
};

struct LabWorkerInfo {
  std::string name, host;
  Tags tags;
  double secondsSinceSeen = 0;
  int runsDone = 0;
};

struct LabLease {
  std::int64_t runId = 0;
  std::string worker, campaign;
  int planIndex = 0, attempt = 0;
  double secondsLeft = 0;
};

struct LabStatus {
  int planned = 0, running = 0, done = 0, failed = 0;
  std::vector<LabWorkerInfo> workers;
  std::vector<LabLease> leases;
  int endedLastMinute = 0;  // runs recorded in the last 60 s: the lab's throughput
};

struct LabCampaign {
  std::int64_t id = 0;
  std::string name, configToml, submittedAt;
  int runs = 0, done = 0, failed = 0;
};

class LabStore {
 public:
  // Connects and checks the lab's schema: Invalid for a database that is
  // not a lab, or an older lab (`aidi lab init` upgrades it); TooNew for a
  // lab written by a newer aidi.
  [[nodiscard]] static Result<LabStore> connect(const std::string& url);
  // Creates the lab's tables (or upgrades them), then connects.
  [[nodiscard]] static Result<LabStore> init(const std::string& url);
  LabStore(LabStore&&) noexcept;
  LabStore& operator=(LabStore&&) noexcept;
  ~LabStore();

  // Records a campaign, its files and its runs (each with a new UUID) in
  // one transaction.
  [[nodiscard]] Result<std::int64_t> submit(const std::string& name, const std::string& configToml,
                                            const std::vector<LabFile>& files, const std::vector<LabRunPlan>& runs);
  // The oldest run this worker's tags satisfy that is planned, or whose
  // lease expired; leased to `worker` for `leaseS` seconds.
  [[nodiscard]] Result<std::optional<LabClaim>> claim(const std::string& worker, const Tags& tags, double leaseS);
  // Runs a bench with these tags could still get: planned, or leased to a
  // worker (whose lease may run out).
  [[nodiscard]] Result<int> unfinished(const Tags& tags);
  // Extends the lease; Invalid when it is no longer this worker's (expired
  // and claimed by another).
  [[nodiscard]] Status renew(std::int64_t runId, const std::string& worker, int attempt, double leaseS);
  // Records a run's result: true when this upload recorded it, false when
  // the run was already recorded (another attempt's upload came first).
  [[nodiscard]] Result<bool> upload(const LabRunResult& result);
  // The worker says it is alive, with what its bench offers.
  [[nodiscard]] Status seen(const std::string& worker, const std::string& host, const Tags& tags);
  [[nodiscard]] Result<std::vector<LabFile>> files(std::int64_t campaignId);
  [[nodiscard]] Result<LabStatus> status();
  [[nodiscard]] Result<std::vector<LabCampaign>> campaigns();
  // The inferences recorded for a campaign's runs, by plan index.
  [[nodiscard]] Result<std::map<int, LabRunResult>> results(std::int64_t campaignId);

 private:
  explicit LabStore(std::unique_ptr<pg::Connection> connection, std::string url);
  std::unique_ptr<pg::Connection> m_conn;
  std::string m_url;
};

}  // namespace aidi::lab
