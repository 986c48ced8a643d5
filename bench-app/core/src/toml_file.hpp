// How the core reads its TOML files (campaigns, bench files, board profiles),
// one way for all: the file read whole with a size cap and one clear error
// for a missing, unreadable, too large file or a directory; a UTF-8 byte-order
// mark dropped; syntax errors with file and line; every later mistake named
// by file, line and key; unknown keys refused (a typo is never ignored).
#pragma once

#include <filesystem>
#include <set>
#include <string>

#include <toml++/toml.h>

#include "aidi/support/result.hpp"

namespace aidi::core {

inline constexpr std::uintmax_t kMaxTomlFileBytes = 4u << 20;  // a campaign or bench file is a few KB

// The text of `path` (`what` names the kind of file in errors).
[[nodiscard]] Result<std::string> readTextFile(const std::filesystem::path& path, const std::string& what,
                                               std::uintmax_t maxBytes = kMaxTomlFileBytes);
[[nodiscard]] Result<toml::table> parseToml(const std::string& text, const std::filesystem::path& path);

// Errors that point into one file.
struct TomlFile {
  std::string file;
  std::unexpected<Error> error(const toml::node* node, const std::string& key, const std::string& why) const;
  [[nodiscard]] Status onlyKeys(const toml::table& table, const std::string& section,
                                const std::set<std::string>& allowed) const;
};

}  // namespace aidi::core
