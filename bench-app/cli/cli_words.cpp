#include "cli_words.hpp"

#include <algorithm>

namespace aidi::cli {

std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::string nearestWord(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t bestDistance = std::min<std::size_t>(3, word.size());  // only near misses
  for (const auto& c : candidates)
    if (const auto d = editDistance(word, c); d < bestDistance) bestDistance = d, best = c;
  return best;
}

CLI::Validator oneOf(std::vector<std::string> choices, const std::string& what) {
  std::string listed;
  for (const auto& c : choices) listed += (listed.empty() ? "" : ",") + c;
  CLI::Validator v(
      [choices, what](std::string& value) -> std::string {
        if (std::find(choices.begin(), choices.end(), value) != choices.end()) return {};
        std::string message = "\"" + value + "\" is not " + what;
        if (const auto near = nearestWord(value, choices); !near.empty()) message += " (did you mean \"" + near + "\"?)";
        message += "; one of:";
        for (const auto& c : choices) message += " " + c;
        return message;
      },
      "{" + listed + "}");
  return v;
}

std::vector<std::string> choicesOf(const CLI::Option& option) {
  // The type name ends in the validators' descriptions, e.g. TEXT:{a,b,c}.
  const std::string type = option.get_type_name();
  const auto open = type.find('{'), close = type.rfind('}');
  std::vector<std::string> choices;
  if (open == std::string::npos || close == std::string::npos || close < open) return choices;
  std::string item;
  for (std::size_t i = open + 1; i <= close; ++i) {
    if (i == close || type[i] == ',') {
      if (!item.empty()) choices.push_back(item);
      item.clear();
    } else if (type[i] != ' ') {
      item += type[i];
    }
  }
  return choices;
}

std::vector<std::string> optionNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options([](const CLI::Option*) { return true; })) {
    for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    for (const auto& s : o->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> subcommandNames(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (!sub->get_group().empty()) names.push_back(sub->get_name());
  return names;
}

}  // namespace aidi::cli
