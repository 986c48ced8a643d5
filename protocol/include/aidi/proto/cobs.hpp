// Consistent Overhead Byte Stuffing: removes every 0x00 from a frame so 0x00
// can delimit frames on the wire. One overhead byte per 254 data bytes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace aidi::proto {

// Worst-case encoded size of `n` bytes, without the delimiter.
constexpr std::size_t cobsMaxEncodedSize(std::size_t n) { return n + n / 254 + 1; }

// Encodes `n` bytes into `out` (no delimiter). Returns the encoded size, or 0
// when `capacity` is too small.
std::size_t cobsEncode(const std::uint8_t* in, std::size_t n, std::uint8_t* out, std::size_t capacity);

// Decodes one complete COBS block sequence (without delimiter). Returns the
// decoded size, or -1 when the input is not valid COBS (a 0x00 inside, a code
// running past the end) or does not fit `capacity`.
long cobsDecode(const std::uint8_t* in, std::size_t n, std::uint8_t* out, std::size_t capacity);

}  // namespace aidi::proto
