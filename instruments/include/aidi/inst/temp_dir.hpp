// A private temporary directory, removed with everything in it on destruction.
#pragma once

#include <filesystem>
#include <string>

#include "aidi/inst/result.hpp"

namespace aidi::inst {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>XXXXXX (or /tmp) with mode 0700.
  [[nodiscard]] static Result<TempDir> create(const std::string& prefix);
  TempDir(TempDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return m_path; }

 private:
  explicit TempDir(std::filesystem::path p) : m_path(std::move(p)) {}
  void remove();
  std::filesystem::path m_path;
};

}  // namespace aidi::inst
