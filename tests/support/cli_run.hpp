// Runs the `aidi` program as a user does (AIDI_CLI_PATH, an argument
// vector): its exit code and what it printed; and reads its --json output,
// one JSON object per line.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "aidi/inst/subprocess.hpp"

namespace aidi::test {

struct CliRun {
  int exitCode = -1;
  std::string output;  // standard output and error, as they came
};

inline CliRun runAidi(std::vector<std::string> args,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds{120000}) {
  args.insert(args.begin(), AIDI_CLI_PATH);
  auto child = inst::Subprocess::spawn(args);
  if (!child) return {-1, child.error().message};
  auto code = child->wait(timeout);
  return {code ? *code : -1, child->output()};
}

// Every line of `output` that holds a JSON object; a line that starts with
// '{' and does not parse is an error the caller sees (parse throws).
inline std::vector<nlohmann::json> jsonLines(const std::string& output) {
  std::vector<nlohmann::json> objects;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("{")) objects.push_back(nlohmann::json::parse(line));
  return objects;
}

}  // namespace aidi::test
