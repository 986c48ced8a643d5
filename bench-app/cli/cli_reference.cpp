#include "cli_reference.hpp"

#include <fmt/format.h>

#include <functional>

#include "cli_words.hpp"

namespace aidi::cli {

namespace {

// Every visible command below `app`, depth first, with its path ("db export").
void walk(const CLI::App& app, const std::string& path,
          const std::function<void(const CLI::App&, const std::string&)>& visit) {
  visit(app, path);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    if (!sub->get_group().empty()) walk(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), visit);
}

// The options a command documents: every one but --help, which all have.
std::vector<const CLI::Option*> visibleOptions(const CLI::App& app) {
  std::vector<const CLI::Option*> options;
  for (const CLI::Option* o : app.get_options([](const CLI::Option*) { return true; }))
    if (!o->get_group().empty() && o->get_name() != "--help") options.push_back(o);
  return options;
}

// roff: a backslash, a leading dot or quote, and hyphens in names.
std::string roff(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string words(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& w : list) out += (out.empty() ? "" : " ") + w;
  return out;
}

// A shell word list may hold only plain words (all of aidi's are).
std::string shellQuoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string manPage(const CLI::App& app, const std::string& version) {
  std::string out;
  out += fmt::format(".TH AIDI 1 \"\" \"aidi {}\" \"AIDI Bench\"\n.ad l\n", version);
  std::string about = app.get_description();
  if (about.starts_with("aidi: ")) about.erase(0, 6);
  out += ".SH NAME\naidi \\- " + roff(about) + "\n";
  out += ".SH SYNOPSIS\n.B aidi\n.I COMMAND\n.RI [ OPTIONS ]\n.br\n.B aidi help\n.I COMMAND\n";
  out += ".SH DESCRIPTION\n"
         "Runs campaigns of intermittent inference on the virtual bench (QEMU) or a real one (a programmable supply, "
         "an OpenOCD probe and a serial link), records every run in an SQLite database, and reports latency, energy "
         "and accuracy. With \\fB\\-\\-json\\fR, a command prints one JSON object per line on standard output.\n";
  out += ".SH COMMANDS\nEvery command takes \\fB\\-h\\fR, \\fB\\-\\-help\\fR; \\fBaidi help\\fR \\fICOMMAND\\fR is the same.\n";
  walk(app, "", [&](const CLI::App& cmd, const std::string& path) {
    if (path.empty()) return;
    std::string synopsis = "aidi " + path;
    for (const CLI::Option* o : visibleOptions(cmd))
      if (o->get_positional()) synopsis += " " + (o->get_required() ? o->get_name() : "[" + o->get_name() + "]");
    if (!cmd.get_subcommands([](const CLI::App*) { return true; }).empty()) synopsis += " SUBCOMMAND";
    out += ".SS \"" + roff(synopsis) + "\"\n" + roff(cmd.get_description()) + "\n";
    for (const CLI::Option* o : visibleOptions(cmd)) {
      if (o->get_positional()) continue;
      std::string names;
      for (const auto& s : o->get_snames()) names += (names.empty() ? "" : ", ") + std::string("\\fB\\-") + roff(s) + "\\fR";
      for (const auto& l : o->get_lnames()) names += (names.empty() ? "" : ", ") + std::string("\\fB\\-\\-") + roff(l) + "\\fR";
      if (o->get_expected_min() > 0) names += " \\fI" + roff(o->get_type_name()) + "\\fR";
      std::string text = o->get_description();
      // A default that is a path of this machine means nothing elsewhere.
      if (const auto d = o->get_default_str(); !d.empty() && !d.starts_with("/")) text += " (default: " + d + ")";
      out += ".TP\n" + names + "\n" + roff(text) + "\n";
    }
  });
  out += ".SH ENVIRONMENT\n"
         ".TP\n.B AIDI_DB\nThe run database when \\fB\\-\\-db\\fR is not given (else "
         "$XDG_DATA_HOME/aidi\\-bench/aidi.sqlite, or ~/.local/share/aidi\\-bench/aidi.sqlite); the GUI opens it too.\n"
         ".TP\n.B AIDI_MODELS\nThe model zoo directory.\n"
         ".TP\n.B AIDI_BOARDS\nThe board profiles directory.\n"
         ".TP\n.B AIDI_FIRMWARE_DIR\nThe cross\\-built firmware (targets/TARGET/*.elf).\n"
         ".TP\n.B AIDI_QEMU\nThe QEMU program of the virtual board (default qemu\\-system\\-arm).\n";
  out += ".SH EXIT STATUS\n0 on success, 1 when the command failed (the message names why), 2 on a usage error, "
         "130 when interrupted (Ctrl\\-C): what was recorded stays recorded.\n";
  out += ".SH FILES\n.TP\n.I PREFIX/share/aidi\\-bench\nBoard profiles, the model zoo, example campaigns, benches and "
         "traces, and the firmware images of an installed aidi.\n";
  out += ".SH SEE ALSO\n.BR aidi\\-bench (1),\n.BR openocd (1),\n.BR qemu\\-system\\-arm (1)\n";
  return out;
}

// Per command path: the words that may come next; per "path|--option":
// the values that option takes, when it lists them.
struct CompletionTable {
  std::string commands, wordCases, valueCases;
};

template <class WordsOf>
CompletionTable completionTable(const CLI::App& app, const char* indent, WordsOf wordsOf) {
  CompletionTable t;
  walk(app, "", [&](const CLI::App& cmd, const std::string& path) {
    if (!path.empty()) t.commands += (t.commands.empty() ? "" : " ") + shellQuoted(path);
    t.wordCases += fmt::format("{}{}) {} ;;\n", indent, shellQuoted(path), wordsOf(cmd, path));
    for (const CLI::Option* o : visibleOptions(cmd))
      if (const auto choices = choicesOf(*o); !choices.empty() && !o->get_positional())
        for (const auto& l : o->get_lnames())
          t.valueCases += fmt::format("{}{}) values={} ;;\n", indent, shellQuoted(path + "|--" + l),
                                      shellQuoted(words(choices)));
  });
  return t;
}

std::string bashCompletion(const CLI::App& app) {
  const auto t = completionTable(app, "    ", [](const CLI::App& cmd, const std::string& path) {
    std::vector<std::string> next = subcommandNames(cmd);
    if (path.empty()) next.push_back("help");
    return "commands_here=" + shellQuoted(words(next)) + "; options_here=" + shellQuoted(words(optionNames(cmd)));
  });
  return fmt::format(R"(# bash completion for aidi: written by `aidi reference` from its command definitions.
_aidi() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  local path="" i c next values="" commands_here="" options_here=""
  local commands=({commands})
  for ((i = 1; i < COMP_CWORD; i++)); do
    next=${{path:+$path }}${{COMP_WORDS[i]}}
    for c in "${{commands[@]}}"; do [[ $c == "$next" ]] && path=$next && break; done
  done
  case "$path|$prev" in
{values}  esac
  if [[ -n $values ]]; then
    COMPREPLY=($(compgen -W "$values" -- "$cur"))
    return 0
  fi
  case "$path" in
{words}  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$options_here" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$commands_here" -- "$cur"))
    [[ ${{#COMPREPLY[@]}} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}}
complete -o filenames -F _aidi aidi
)",
                     fmt::arg("commands", t.commands), fmt::arg("values", t.valueCases),
                     fmt::arg("words", t.wordCases));
}

std::string zshCompletion(const CLI::App& app) {
  const auto t = completionTable(app, "    ", [](const CLI::App& cmd, const std::string&) {
    std::string described;
    for (const CLI::App* sub : cmd.get_subcommands([](const CLI::App*) { return true; }))
      if (!sub->get_group().empty()) {
        std::string d = sub->get_description();
        for (auto& ch : d)
          if (ch == ':') ch = ' ';
        described += " " + shellQuoted(sub->get_name() + ":" + d);
      }
    return "subcommands=(" + described + "); options=(" + words(optionNames(cmd)) + ")";
  });
  return fmt::format(R"(#compdef aidi
# zsh completion for aidi: written by `aidi reference` from its command definitions.
_aidi() {{
  local path="" next w c values=""
  local -a commands subcommands options
  commands=({commands})
  for w in ${{words[2,CURRENT-1]}}; do
    next=${{path:+$path }}$w
    for c in $commands; do [[ $c == $next ]] && path=$next && break; done
  done
  case "$path|${{words[CURRENT-1]}}" in
{values}  esac
  if [[ -n $values ]]; then compadd ${{=values}}; return; fi
  case "$path" in
{words}  esac
  if [[ $PREFIX == -* ]]; then compadd -a options; return; fi
  (( ${{#subcommands}} )) && _describe command subcommands
  _files
}}
_aidi "$@"
)",
                     fmt::arg("commands", t.commands), fmt::arg("values", t.valueCases),
                     fmt::arg("words", t.wordCases));
}

}  // namespace aidi::cli
