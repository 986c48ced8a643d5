// Frame layout (SPEC.md, "Framing"): COBS(version u8 | type u8 | boot_id u16 |
// seq u16 | payload | crc32c u32) followed by one 0x00. Little-endian.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aidi/proto/cobs.hpp"

namespace aidi::proto {

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 6;
inline constexpr std::size_t kCrcSize = 4;
inline constexpr std::size_t kMaxPayload = 240;
inline constexpr std::size_t kMinFrame = kHeaderSize + kCrcSize;
inline constexpr std::size_t kMaxFrame = kHeaderSize + kMaxPayload + kCrcSize;
// Largest frame on the wire, delimiter included.
inline constexpr std::size_t kMaxEncodedFrame = cobsMaxEncodedSize(kMaxFrame) + 1;
inline constexpr std::uint8_t kDelimiter = 0x00;

// A verified frame. `payload` points into the decoder's buffer and is valid
// until the decoder is fed again.
struct Frame {
  std::uint8_t version;
  std::uint8_t type;
  std::uint16_t bootId;
  std::uint16_t seq;
  const std::uint8_t* payload;
  std::uint16_t payloadSize;
};

// Encodes one frame with its delimiter into `out`. Returns the bytes written,
// or 0 when the payload exceeds kMaxPayload or `capacity` is too small
// (kMaxEncodedFrame always suffices).
std::size_t encodeFrame(std::uint8_t type, std::uint16_t bootId, std::uint16_t seq, const std::uint8_t* payload,
                        std::size_t payloadSize, std::uint8_t* out, std::size_t capacity);

}  // namespace aidi::proto
