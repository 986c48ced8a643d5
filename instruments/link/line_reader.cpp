#include "aidi/inst/line_reader.hpp"

#include <array>

namespace aidi::inst {

Result<std::string> LineReader::readLine(Millis timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto eol = m_pending.find('\n'); eol != std::string::npos) {
      std::string line = m_pending.substr(0, eol);
      m_pending.erase(0, eol + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (m_pending.size() > m_max)
      return fail(ErrorCode::Protocol, m_link.describe() + ": line longer than " + std::to_string(m_max) + " bytes");
    const auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return fail(ErrorCode::Timeout, m_link.describe() + ": no complete line within " +
                                          std::to_string(timeout.count()) + " ms");
    std::array<std::byte, 512> chunk;
    auto n = m_link.read(chunk, left);
    if (!n) return std::unexpected(n.error());
    m_pending.append(reinterpret_cast<const char*>(chunk.data()), *n);
  }
}

}  // namespace aidi::inst
