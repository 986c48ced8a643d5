// Little-endian cursors over caller-owned buffers. Every access is bounds
// checked; an overrun sets the cursor's failed flag instead of trapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace aidi::proto::internal {

class ByteWriter {
 public:
  ByteWriter(std::uint8_t* out, std::size_t capacity) : m_out(out), m_cap(capacity) {}
  void u8(std::uint8_t v) { put(&v, 1); }
  void u16(std::uint16_t v) { le(v, 2); }
  void u32(std::uint32_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void i8s(const std::int8_t* v, std::size_t n) { put(v, n); }
  void bytes(const void* v, std::size_t n) { put(v, n); }
  // str8: one length byte, then the bytes (no terminator).
  void str8(const char* s, std::uint8_t length) {
    u8(length);
    put(s, length);
  }
  bool ok() const { return !m_failed; }
  std::size_t size() const { return m_size; }

 private:
  void le(std::uint64_t v, std::size_t n) {
    std::uint8_t b[8];
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(v >> (8 * i));
    put(b, n);
  }
  void put(const void* v, std::size_t n) {
    if (m_failed || n > m_cap - m_size) {
      m_failed = true;
      return;
    }
    if (n) std::memcpy(m_out + m_size, v, n);
    m_size += n;
  }
  std::uint8_t* m_out;
  std::size_t m_cap;
  std::size_t m_size = 0;
  bool m_failed = false;
};

class ByteReader {
 public:
  ByteReader(const std::uint8_t* in, std::size_t size) : m_in(in), m_size(size) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(le(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(le(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(le(4)); }
  std::uint64_t u64() { return le(8); }
  void bytes(void* out, std::size_t n) { get(out, n); }
  // Reads a str8 into `out` (capacity `cap`), sets `length`. Fails when the
  // string is longer than `cap`.
  void str8(char* out, std::size_t cap, std::uint8_t& length) {
    length = u8();
    if (length > cap) {
      m_failed = true;
      length = 0;
      return;
    }
    get(out, length);
  }
  bool ok() const { return !m_failed; }
  std::size_t remaining() const { return m_failed ? 0 : m_size - m_pos; }

 private:
  std::uint64_t le(std::size_t n) {
    std::uint8_t b[8] = {};
    get(b, n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(b[i]) << (8 * i);
    return v;
  }
  void get(void* out, std::size_t n) {
    if (m_failed || n > m_size - m_pos) {
      m_failed = true;
      return;
    }
    if (n) std::memcpy(out, m_in + m_pos, n);
    m_pos += n;
  }
  const std::uint8_t* m_in;
  std::size_t m_size;
  std::size_t m_pos = 0;
  bool m_failed = false;
};

}  // namespace aidi::proto::internal
