#include "aidi/proto/cobs.hpp"

namespace aidi::proto {

std::size_t cobsEncode(const std::uint8_t* in, std::size_t n, std::uint8_t* out, std::size_t capacity) {
  if (capacity < cobsMaxEncodedSize(n)) return 0;
  std::size_t codeAt = 0;
  std::size_t o = 1;
  std::uint8_t code = 1;
  for (std::size_t i = 0; i < n; ++i) {
    if (in[i] == 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
      continue;
    }
    out[o++] = in[i];
    if (++code == 0xFF) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    }
  }
  out[codeAt] = code;
  return o;
}

long cobsDecode(const std::uint8_t* in, std::size_t n, std::uint8_t* out, std::size_t capacity) {
  std::size_t o = 0;
  std::size_t i = 0;
  while (i < n) {
    const std::uint8_t code = in[i++];
    if (code == 0) return -1;
    const std::size_t run = code - 1u;
    if (run > n - i || run > capacity - o) return -1;
    for (std::size_t k = 0; k < run; ++k) {
      if (in[i] == 0) return -1;
      out[o++] = in[i++];
    }
    if (code != 0xFF && i < n) {
      if (o >= capacity) return -1;
      out[o++] = 0;
    }
  }
  return static_cast<long>(o);
}

}  // namespace aidi::proto
