// How the core reads its TOML files (campaigns, bench files, board profiles),
// one way for all: the file read whole with a size cap and one clear error
// for a missing, unreadable, too large file or a directory; a UTF-8 byte-order
// mark dropped; syntax errors with file and line; every later mistake named
// by file, line and key; unknown keys refused (a typo is never ignored).
#pragma once

#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>

#include <toml++/toml.h>

#include "aidi/support/result.hpp"

namespace aidi::core {

inline constexpr std::uintmax_t kMaxTomlFileBytes = 4u << 20;  // a campaign or bench file is a few KB

// The text of `path` (`what` names the kind of file in errors).
[[nodiscard]] Result<std::string> readTextFile(const std::filesystem::path& path, const std::string& what,
                                               std::uintmax_t maxBytes = kMaxTomlFileBytes);
[[nodiscard]] Result<toml::table> parseToml(const std::string& text, const std::filesystem::path& path);

// `text` parsed, changed by `edit` (Status(toml::table&)) and written back:
// a campaign as recorded for another bench or another host. Comments are
// not kept.
template <class Edit>
[[nodiscard]] Result<std::string> rewriteToml(const std::string& text, const std::filesystem::path& path, Edit edit) {
  auto parsed = parseToml(text, path);
  if (!parsed) return std::unexpected(parsed.error());
  if (Status ok = edit(*parsed); !ok) return std::unexpected(ok.error());
  std::ostringstream out;
  out << *parsed << "\n";
  return out.str();
}

// Errors that point into one file.
struct TomlFile {
  std::string file;
  std::unexpected<Error> error(const toml::node* node, const std::string& key, const std::string& why) const;
  [[nodiscard]] Status onlyKeys(const toml::table& table, const std::string& section,
                                const std::set<std::string>& allowed) const;

  // A number: finite, within [low, high], whole where T is an integer
  // (samples = 1.9 is refused, not truncated); `fallback` when absent.
  template <class T>
  [[nodiscard]] Result<T> number(const toml::table& t, const std::string& key, const std::string& name, T fallback,
                                 double low, double high, bool required = false) const {
    const toml::node* node = t.get(key);
    if (!node) {
      if (required) return error(&t, name, "missing");
      return fallback;
    }
    const auto v = node->value<double>();
    if (!v || node->is_boolean()) return error(node, name, "must be a number");
    if (!std::isfinite(*v)) return error(node, name, "must be a finite number");
    if (std::is_integral_v<T> && *v != std::floor(*v)) return error(node, name, "must be a whole number");
    if (*v < low || *v > high) return error(node, name, rangeText(low, high, *v));
    return static_cast<T>(*v);
  }
  // A text: `fallback` when absent, an error when of another type (a
  // `bench = 5` is not silently the virtual bench).
  [[nodiscard]] Result<std::string> text(const toml::table& t, const std::string& key, const std::string& name,
                                         const std::string& fallback) const;

 private:
  static std::string rangeText(double low, double high, double value);
};

}  // namespace aidi::core
