// aidi's manual page and shell completions, written from its command
// definitions (the CLI11 tree), so they can never list an option the
// program does not have. The build writes them (`aidi reference`) and
// `cmake --install` installs them.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace aidi::cli {

std::string manPage(const CLI::App& app, const std::string& version);
std::string bashCompletion(const CLI::App& app);
std::string zshCompletion(const CLI::App& app);

}  // namespace aidi::cli
