#include "toml_file.hpp"

#include <fstream>

#include <fmt/format.h>
#include <sstream>

namespace aidi::core {

Result<std::string> readTextFile(const std::filesystem::path& path, const std::string& what,
                                 std::uintmax_t maxBytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  // A name too long, a folder not searchable: the system's own words.
  if (ec && ec != std::errc::no_such_file_or_directory)
    return fail(ErrorCode::Io, path.string() + ": cannot open the " + what + ": " + ec.message());
  if (!std::filesystem::exists(status))
    return fail(ErrorCode::NotFound, path.string() + ": no such " + what);
  if (std::filesystem::is_directory(status))
    return fail(ErrorCode::NotFound, path.string() + ": is a directory, not a " + what);
  // A device or a pipe (/dev/zero, a FIFO) would be read for ever.
  if (!std::filesystem::is_regular_file(status))
    return fail(ErrorCode::Protocol, path.string() + ": is not a regular file (a device or a pipe?), not a " + what);
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > maxBytes)
    return fail(ErrorCode::Protocol, path.string() + ": " + std::to_string(size) + " bytes is too large for a " + what +
                                         " (at most " + std::to_string(maxBytes) + ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::Io, path.string() + ": cannot read the " + what + " (permissions?)");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::Io, path.string() + ": reading the " + what + " failed");
  std::string s = std::move(text).str();
  if (s.starts_with("\xEF\xBB\xBF")) s.erase(0, 3);  // a UTF-8 byte-order mark, as some editors write
  return s;
}

Result<toml::table> parseToml(const std::string& text, const std::filesystem::path& path) {
  try {
    return toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    return fail(ErrorCode::Protocol, path.string() + ":" + std::to_string(e.source().begin.line) +
                                         ": bad TOML: " + std::string(e.description()));
  }
}

std::unexpected<Error> TomlFile::error(const toml::node* node, const std::string& key, const std::string& why) const {
  const auto line = node ? node->source().begin.line : 0;
  return fail(ErrorCode::Protocol, file + (line ? ":" + std::to_string(line) : std::string()) + ": " + key + ": " + why);
}

std::string TomlFile::rangeText(double low, double high, double value) {
  return fmt::format("must be from {:g} to {:g} (got {:g})", low, high, value);
}

Result<std::string> TomlFile::text(const toml::table& t, const std::string& key, const std::string& name,
                                   const std::string& fallback) const {
  const toml::node* node = t.get(key);
  if (!node) return fallback;
  const auto v = node->value<std::string>();
  if (!v || !node->is_string()) return error(node, name, "must be a text in quotes");
  return *v;
}

Status TomlFile::onlyKeys(const toml::table& table, const std::string& section,
                          const std::set<std::string>& allowed) const {
  for (const auto& [key, node] : table)
    if (!allowed.contains(std::string(key.str()))) return error(&node, section + std::string(key.str()), "unknown key");
  return {};
}

}  // namespace aidi::core
