// `aidi lab init|submit|status` and `aidi worker`: a lab of benches sharing
// campaigns and results on PostgreSQL (bench-app/core/include/aidi/core/lab.hpp).
#pragma once

#include <filesystem>
#include <string>

namespace aidi::cli {

struct LabOptions {
  std::string url;  // --lab; empty: AIDI_LAB
  bool json = false;
};

struct WorkerCommandOptions {
  std::string url, name, tags;
  std::string bench = "virtual";
  std::filesystem::path journal, modelZoo;
  double leaseS = 30;
  bool untilEmpty = false;
  bool json = false;
};

int labInit(const LabOptions& options);
int labSubmit(const std::filesystem::path& campaign, const std::string& requires_, const std::filesystem::path& modelZoo,
              const LabOptions& options);
int labStatus(const LabOptions& options);
int labExport(const std::string& campaign, const std::filesystem::path& out, const std::filesystem::path& modelZoo,
              const LabOptions& options);
int runWorkerCommand(const WorkerCommandOptions& options);
// `aidi report CAMPAIGN --lab URL`: the lab's campaign exported to a scratch
// database, reported as any other.
struct CampaignOptions;
int labReport(const std::string& which, const std::string& format, const std::filesystem::path& out,
              const std::filesystem::path& plots, const std::string& url, const CampaignOptions& options);

}  // namespace aidi::cli
