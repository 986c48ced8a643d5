// Text from files and devices as a terminal or an error message may show it.
#pragma once

#include <string>

namespace aidi {

// Control characters (escape sequences, carriage returns, bells) written as
// \xNN, so a name from a hostile file cannot redraw the user's screen.
inline std::string printable(const std::string& text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace aidi
