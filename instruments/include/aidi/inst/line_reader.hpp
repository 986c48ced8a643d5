// Splits a Link's byte stream into text lines (LF-terminated, CR dropped):
// SCPI replies and the device's text output.
#pragma once

#include <string>

#include "aidi/inst/link.hpp"

namespace aidi::inst {

class LineReader {
 public:
  explicit LineReader(Link& link, std::size_t maxLineBytes = 4096) : m_link(link), m_max(maxLineBytes) {}

  // Next complete line without its terminator. Timeout when none arrives in
  // `timeout`; Protocol when a line exceeds the maximum length.
  [[nodiscard]] Result<std::string> readLine(Millis timeout);
  // Forgets a partial line (after the link was reopened).
  void reset() { m_pending.clear(); }

 private:
  Link& m_link;
  std::size_t m_max;
  std::string m_pending;
};

}  // namespace aidi::inst
