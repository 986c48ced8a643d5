// The Cortex-M4 DSP instructions the optimised kernels use. On the device
// they are single instructions (inline assembly / ACLE); on the host, portable
// C with the same lane semantics, so the kernels' randomized bit-exactness
// tests run natively as well as on the virtual board.
#pragma once

#include <cstdint>
#include <cstring>

namespace aidi::fw::cm4 {

// Four int8 values from any address (unaligned loads are fine on Cortex-M4).
inline std::uint32_t load4(const std::int8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// The last n (< 4) int8 values of a row, zero above: a row's tail read without
// reading past its end.
inline std::uint32_t load4Partial(const std::int8_t* p, std::int32_t n) {
  const auto byte = [p](int j) { return static_cast<std::uint32_t>(static_cast<std::uint8_t>(p[j])) << (8 * j); };
  switch (n) {  // no loop: a conv with one input channel takes this path for every pixel pair
    case 3: return byte(0) | byte(1) | byte(2);
    case 2: return byte(0) | byte(1);
    case 1: return byte(0);
    default: return 0;
  }
}

// An int8 value in each of the four bytes of a word.
inline std::uint32_t replicate4(std::int32_t v) { return 0x01010101u * static_cast<std::uint8_t>(v); }

inline std::uint32_t pack16(std::int32_t lo, std::int32_t hi) {
  return (static_cast<std::uint32_t>(lo) & 0xFFFFu) | (static_cast<std::uint32_t>(hi) << 16);
}

#if defined(__ARM_FEATURE_DSP)

// [b0, b2] sign-extended into two 16-bit lanes.
inline std::uint32_t sxtb16(std::uint32_t x) {
  std::uint32_t r;
  __asm("sxtb16 %0, %1" : "=r"(r) : "r"(x));
  return r;
}
// [b1, b3] sign-extended into two 16-bit lanes.
inline std::uint32_t sxtb16Ror8(std::uint32_t x) {
  std::uint32_t r;
  __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
// a + [b0, b2] lane by lane (16-bit lanes, wrapping).
inline std::uint32_t sxtab16(std::uint32_t a, std::uint32_t x) {
  std::uint32_t r;
  __asm("sxtab16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
inline std::uint32_t sxtab16Ror8(std::uint32_t a, std::uint32_t x) {
  std::uint32_t r;
  __asm("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x));
  return r;
}
// acc + a.lo * b.lo + a.hi * b.hi (signed 16-bit lanes).
inline std::int32_t smlad(std::uint32_t a, std::uint32_t b, std::int32_t acc) {
  std::int32_t r;
  __asm("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
// acc + a.lo * b.lo, and acc + a.hi * b.hi.
inline std::int32_t smlabb(std::uint32_t a, std::uint32_t b, std::int32_t acc) {
  std::int32_t r;
  __asm("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
inline std::int32_t smlatt(std::uint32_t a, std::uint32_t b, std::int32_t acc) {
  std::int32_t r;
  __asm("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
// (a * b + 2^31) >> 32: the rounded high word of the product.
inline std::int32_t smmulr(std::int32_t a, std::int32_t b) {
  std::int32_t r;
  __asm("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
// (x >> 1) saturated to int8.
inline std::int32_t ssat8Asr1(std::int32_t x) {
  std::int32_t r;
  __asm("ssat %0, #8, %1, asr #1" : "=r"(r) : "r"(x));
  return r;
}

// Byte-wise signed max and min of four int8 lanes (SSUB8 sets the GE flags
// SEL reads).
inline std::uint32_t maxBytes(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r, unused;
  __asm("ssub8 %1, %2, %3\n\tsel %0, %2, %3" : "=r"(r), "=&r"(unused) : "r"(a), "r"(b) : "cc");
  return r;
}
inline std::uint32_t minBytes(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r, unused;
  __asm("ssub8 %1, %2, %3\n\tsel %0, %3, %2" : "=r"(r), "=&r"(unused) : "r"(a), "r"(b) : "cc");
  return r;
}

#else  // host: the same arithmetic in C

inline std::int32_t lane(std::uint32_t x, int i) { return static_cast<std::int16_t>(x >> (16 * i)); }
inline std::int32_t byteAt(std::uint32_t x, int i) { return static_cast<std::int8_t>(x >> (8 * i)); }

inline std::uint32_t sxtb16(std::uint32_t x) { return pack16(byteAt(x, 0), byteAt(x, 2)); }
inline std::uint32_t sxtb16Ror8(std::uint32_t x) { return pack16(byteAt(x, 1), byteAt(x, 3)); }
inline std::uint32_t sxtab16(std::uint32_t a, std::uint32_t x) {
  return pack16(lane(a, 0) + byteAt(x, 0), lane(a, 1) + byteAt(x, 2));
}
inline std::uint32_t sxtab16Ror8(std::uint32_t a, std::uint32_t x) {
  return pack16(lane(a, 0) + byteAt(x, 1), lane(a, 1) + byteAt(x, 3));
}
inline std::int32_t smlad(std::uint32_t a, std::uint32_t b, std::int32_t acc) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(acc) +
                                   static_cast<std::uint32_t>(lane(a, 0) * lane(b, 0)) +
                                   static_cast<std::uint32_t>(lane(a, 1) * lane(b, 1)));
}
inline std::int32_t smlabb(std::uint32_t a, std::uint32_t b, std::int32_t acc) { return acc + lane(a, 0) * lane(b, 0); }
inline std::int32_t smlatt(std::uint32_t a, std::uint32_t b, std::int32_t acc) { return acc + lane(a, 1) * lane(b, 1); }
inline std::int32_t smmulr(std::int32_t a, std::int32_t b) {
  return static_cast<std::int32_t>((static_cast<std::int64_t>(a) * b + (1ll << 31)) >> 32);
}
inline std::uint32_t maxBytes(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    const std::int32_t x = byteAt(a, i), y = byteAt(b, i);
    r |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(x > y ? x : y)) << (8 * i);
  }
  return r;
}
inline std::uint32_t minBytes(std::uint32_t a, std::uint32_t b) {
  std::uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    const std::int32_t x = byteAt(a, i), y = byteAt(b, i);
    r |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(x < y ? x : y)) << (8 * i);
  }
  return r;
}
inline std::int32_t ssat8Asr1(std::int32_t x) {
  x >>= 1;
  return x < -128 ? -128 : (x > 127 ? 127 : x);
}

#endif

// (2 * a * b + 2^31) >> 32, i.e. TFLite's SaturatingRoundingDoublingHighMul
// for |a| < 2^30 (the doubling cannot overflow).
inline std::int32_t smmulrDoubled(std::int32_t a, std::int32_t b) { return smmulr(a * 2, b); }

// requantize() of params.hpp in fewer instructions, equal for |acc| < 2^30:
// SaturatingRoundingDoublingHighMul is floor((acc*m + 2^30) / 2^31) for either
// sign (TFLite's truncating division after a sign-dependent nudge comes to the
// same), and rounding half away from zero by 2^e is floor((x + 2^(e-1) - [x<0]) / 2^e).
//
// On the device the high multiply is one SMMULR: floor((2*acc*m + 2^31) / 2^32)
// is exactly floor((acc*m + 2^30) / 2^31).
inline std::int32_t requantizeFast(std::int32_t acc, std::int32_t multiplier, std::int32_t shift) {
  if (shift > 0) acc *= (1 << shift);
  const std::int32_t x = smmulrDoubled(acc, multiplier);
  if (shift >= 0) return x;
  const std::int32_t e = -shift;
  return (x + (x >> 31) + ((1 << e) >> 1)) >> e;
}


}  // namespace aidi::fw::cm4
