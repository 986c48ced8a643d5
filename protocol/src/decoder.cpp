#include "aidi/proto/decoder.hpp"

#include "aidi/proto/crc32c.hpp"

namespace aidi::proto {

void FrameDecoder::endOfInput() {
  if (m_inFrame && !m_discarding) ++m_counters.truncated;  // an oversize one was counted already
  resync();
}

void FrameDecoder::resync() {
  m_size = 0;
  m_codeLeft = 0;
  m_inFrame = false;
  m_pendingZero = false;
  m_discarding = false;
}

DecodeResult FrameDecoder::push(std::uint8_t byte) {
  ++m_counters.bytes;
  if (byte == kDelimiter) {
    if (m_discarding) {
      resync();
      return DecodeResult::Dropped;  // counted as oversize when it overflowed
    }
    if (!m_inFrame) {
      ++m_counters.emptyFrames;
      return DecodeResult::NeedMore;
    }
    if (m_codeLeft != 0) {  // the last block promised more bytes than arrived
      ++m_counters.badCobs;
      resync();
      return DecodeResult::Dropped;
    }
    return finishFrame();
  }
  if (m_discarding) return DecodeResult::NeedMore;

  if (m_codeLeft == 0) {
    // A code byte. The previous block, unless it was a full 0xFF block,
    // ended in a zero that COBS removed: restore it.
    if (m_pendingZero) m_buffer[m_size++] = 0;
    m_codeLeft = static_cast<std::uint8_t>(byte - 1);
    m_pendingZero = byte != 0xFF;
    m_inFrame = true;
  } else {
    m_buffer[m_size++] = byte;
    --m_codeLeft;
  }
  if (m_size > kMaxFrame) {
    ++m_counters.oversize;
    m_discarding = true;
    m_size = 0;
    m_codeLeft = 0;
  }
  return DecodeResult::NeedMore;
}

DecodeResult FrameDecoder::finishFrame() {
  const std::size_t size = m_size;
  resync();
  if (size < kMinFrame) {
    ++m_counters.tooShort;
    return DecodeResult::Dropped;
  }
  const std::size_t body = size - kCrcSize;
  const std::uint32_t expected = static_cast<std::uint32_t>(m_buffer[body]) |
                                 static_cast<std::uint32_t>(m_buffer[body + 1]) << 8 |
                                 static_cast<std::uint32_t>(m_buffer[body + 2]) << 16 |
                                 static_cast<std::uint32_t>(m_buffer[body + 3]) << 24;
  if (Crc32c::calculate(m_buffer, body) != expected) {
    ++m_counters.badCrc;
    return DecodeResult::Dropped;
  }
  if (m_buffer[0] != kProtocolVersion) {
    ++m_counters.badVersion;
    return DecodeResult::Dropped;
  }
  m_frame.version = m_buffer[0];
  m_frame.type = m_buffer[1];
  m_frame.bootId = static_cast<std::uint16_t>(m_buffer[2] | m_buffer[3] << 8);
  m_frame.seq = static_cast<std::uint16_t>(m_buffer[4] | m_buffer[5] << 8);
  m_frame.payload = m_buffer + kHeaderSize;
  m_frame.payloadSize = static_cast<std::uint16_t>(body - kHeaderSize);
  track(m_frame);
  if (m_isKnownType && !m_isKnownType(m_frame.type)) ++m_counters.unknownType;
  ++m_counters.frames;
  return DecodeResult::Frame;
}

void FrameDecoder::track(const Frame& frame) {
  if (m_haveLast) {
    if (frame.bootId != m_lastBoot) {
      ++m_counters.bootChanges;
    } else {
      const std::uint16_t expected = static_cast<std::uint16_t>(m_lastSeq + 1);
      if (frame.seq != expected) {
        ++m_counters.seqGaps;
        m_counters.framesMissed += static_cast<std::uint16_t>(frame.seq - expected);
      }
    }
  }
  m_haveLast = true;
  m_lastBoot = frame.bootId;
  m_lastSeq = frame.seq;
}

void FrameDecoder::feed(const std::uint8_t* data, std::size_t n, FrameHandler handler, void* context) {
  for (std::size_t i = 0; i < n; ++i) {
    if (push(data[i]) == DecodeResult::Frame && handler) handler(m_frame, context);
  }
}

}  // namespace aidi::proto
