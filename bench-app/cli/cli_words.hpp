// The words a user types to `aidi` and the help when one is mistyped: the
// nearest known word ("did you mean"), for commands, options and values.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace aidi::cli {

// Restricted Damerau-Levenshtein distance (a swap of neighbours counts one).
std::size_t editDistance(const std::string& a, const std::string& b);

// The candidate nearest to `word` when it is a near miss (at most two edits,
// and fewer than the word's length); empty otherwise.
std::string nearestWord(const std::string& word, const std::vector<std::string>& candidates);

// A value that must be one of `choices`: "\"aidl\" is not a policy (did you
// mean \"aidi\"?); one of: …". Its description lists the choices as CLI11's
// IsMember does ({a,b,c}), which help and the shell completions show.
CLI::Validator oneOf(std::vector<std::string> choices, const std::string& what);

// The choices an option takes when its validator lists them, else empty.
std::vector<std::string> choicesOf(const CLI::Option& option);

// The names of the options of `app` (long and short, with dashes), and of
// its subcommands.
std::vector<std::string> optionNames(const CLI::App& app);
std::vector<std::string> subcommandNames(const CLI::App& app);

}  // namespace aidi::cli
