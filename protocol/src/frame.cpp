#include "aidi/proto/frame.hpp"

#include <cstring>

#include "aidi/proto/crc32c.hpp"

namespace aidi::proto {

std::size_t encodeFrame(std::uint8_t type, std::uint16_t bootId, std::uint16_t seq, const std::uint8_t* payload,
                        std::size_t payloadSize, std::uint8_t* out, std::size_t capacity) {
  if (payloadSize > kMaxPayload) return 0;
  std::uint8_t raw[kMaxFrame];
  raw[0] = kProtocolVersion;
  raw[1] = type;
  raw[2] = static_cast<std::uint8_t>(bootId);
  raw[3] = static_cast<std::uint8_t>(bootId >> 8);
  raw[4] = static_cast<std::uint8_t>(seq);
  raw[5] = static_cast<std::uint8_t>(seq >> 8);
  if (payloadSize) std::memcpy(raw + kHeaderSize, payload, payloadSize);
  const std::size_t body = kHeaderSize + payloadSize;
  const std::uint32_t crc = Crc32c::calculate(raw, body);
  for (std::size_t i = 0; i < kCrcSize; ++i) raw[body + i] = static_cast<std::uint8_t>(crc >> (8 * i));

  if (capacity == 0) return 0;
  const std::size_t encoded = cobsEncode(raw, body + kCrcSize, out, capacity - 1);
  if (encoded == 0) return 0;
  out[encoded] = kDelimiter;
  return encoded + 1;
}

}  // namespace aidi::proto
