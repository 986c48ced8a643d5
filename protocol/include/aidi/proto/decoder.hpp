// Streaming frame decoder: bytes in any chunking in, verified frames out.
//
// It never trusts what it cannot verify: a frame with bad COBS, a bad CRC, an
// unknown version or a wrong length is counted and dropped, and decoding
// resynchronises at the next 0x00. Memory is fixed (one frame's buffer)
// whatever arrives. Freestanding: usable on the device and on the host.
#pragma once

#include <cstddef>
#include <cstdint>

#include "aidi/proto/frame.hpp"

namespace aidi::proto {

// Why bytes were dropped or what the stream did, one counter per cause.
struct DecoderCounters {
  std::uint64_t bytes = 0;          // bytes fed
  std::uint64_t frames = 0;         // verified frames yielded
  std::uint64_t badCrc = 0;         // CRC-32C mismatch
  std::uint64_t badCobs = 0;        // invalid COBS (code runs past the delimiter)
  std::uint64_t oversize = 0;       // longer than kMaxEncodedFrame before a delimiter
  std::uint64_t tooShort = 0;       // decoded to fewer than kMinFrame bytes
  std::uint64_t badVersion = 0;     // header version is not kProtocolVersion
  std::uint64_t unknownType = 0;    // verified, but a type this build does not know (still yielded)
  std::uint64_t seqGaps = 0;        // times the sequence jumped within one boot
  std::uint64_t framesMissed = 0;   // frames lost in those jumps
  std::uint64_t bootChanges = 0;    // boot_id changed (the device restarted)
  std::uint64_t emptyFrames = 0;    // lone delimiters (the device's resync byte at boot)
  std::uint64_t truncated = 0;      // a frame cut off by the end of the input (endOfInput)
  std::uint64_t droppedFrames() const { return badCrc + badCobs + oversize + tooShort + badVersion + truncated; }
};

enum class DecodeResult : std::uint8_t {
  NeedMore,  // byte consumed, no frame completed
  Frame,     // frame() holds a verified frame
  Dropped,   // a frame ended but failed verification (see counters)
};

// Called by feed() for every verified frame.
using FrameHandler = void (*)(const Frame& frame, void* context);

class FrameDecoder {
 public:
  // Returns whether a frame is known by its type; nullptr treats all as known.
  using TypeFilter = bool (*)(std::uint8_t type);
  explicit FrameDecoder(TypeFilter isKnownType = nullptr) : m_isKnownType(isKnownType) {}

  DecodeResult push(std::uint8_t byte);
  // Feeds `n` bytes, calling `handler` for each verified frame.
  void feed(const std::uint8_t* data, std::size_t n, FrameHandler handler, void* context);

  const Frame& frame() const { return m_frame; }
  const DecoderCounters& counters() const { return m_counters; }
  // Forgets a partial frame (e.g. after the link was reopened); counters stay.
  void resync();
  // The input has ended (a capture file, a closed link): a partial frame is
  // counted as truncated and forgotten.
  void endOfInput();

 private:
  DecodeResult finishFrame();
  void track(const Frame& frame);

  std::uint8_t m_buffer[kMaxFrame + 1];  // decoded bytes; one spare so overflow is seen after the write
  std::size_t m_size = 0;
  std::uint8_t m_codeLeft = 0;  // data bytes left in the current COBS block
  bool m_inFrame = false;       // a code byte of this frame has arrived
  bool m_pendingZero = false;   // the last block's code was < 0xFF: a zero follows if another block does
  bool m_discarding = false;    // oversize: drop bytes until the next delimiter
  bool m_haveLast = false;
  std::uint16_t m_lastBoot = 0;
  std::uint16_t m_lastSeq = 0;
  TypeFilter m_isKnownType;
  Frame m_frame{};
  DecoderCounters m_counters;
};

}  // namespace aidi::proto
