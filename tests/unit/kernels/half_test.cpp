// base/half: exhaustive fp16 round trip and rounding of the float -> half/bfloat16 conversions.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "base/half.h"

using namespace g4;

namespace {

// The value of a half computed independently in double: (-1)^s * 2^(e-15) * (1 + m/1024),
// subnormals 2^-14 * m/1024.
double half_value(uint16_t h) {
  int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return s ? -v : v;
}

float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

TEST_CASE("f16: all 65536 halves convert exactly and round-trip") {
  int bad = 0;
  for (uint32_t i = 0; i < 65536; ++i) {
    uint16_t h = static_cast<uint16_t>(i);
    float f = f16_to_f32(h);
    int e = (h >> 10) & 31, m = h & 1023;
    if (e == 31 && m != 0) {  // NaN stays NaN (payload not kept)
      bad += !std::isnan(f) || !std::isnan(f16_to_f32(f32_to_f16(f)));
      continue;
    }
    if (e == 31) {
      bad += !(std::isinf(f) && std::signbit(f) == ((h >> 15) != 0));
    } else {
      bad += static_cast<double>(f) != half_value(h) || std::signbit(f) != ((h >> 15) != 0);
    }
    bad += f32_to_f16(f) != h;
  }
  CHECK(bad == 0);
}

TEST_CASE("f16: float -> half rounds to nearest, ties to even, at every half boundary") {
  // Between adjacent finite non-negative halves a and a+1: the midpoint goes to the even one,
  // and the floats one ulp either side of the midpoint go to the nearer one.
  int bad = 0;
  for (uint32_t a = 0; a < 0x7bff; ++a) {
    double lo = half_value(static_cast<uint16_t>(a)), hi = half_value(static_cast<uint16_t>(a + 1));
    float mid = static_cast<float>((lo + hi) / 2);  // exact: the midpoint needs 12 bits
    uint16_t even = (a & 1) ? static_cast<uint16_t>(a + 1) : static_cast<uint16_t>(a);
    bad += f32_to_f16(mid) != even;
    bad += f32_to_f16(std::nextafter(mid, 0.0f)) != a;
    bad += f32_to_f16(std::nextafter(mid, 1e9f)) != a + 1;
    bad += f32_to_f16(-mid) != (even | 0x8000);
  }
  CHECK(bad == 0);
  // Overflow: 65519.99 -> 65504, 65520 (the tie above the largest half) -> inf.
  CHECK(f32_to_f16(65519.99f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);
  CHECK(f32_to_f16(-1e30f) == 0xfc00);
  // Underflow: half of the smallest subnormal ties to 0; just above rounds up.
  CHECK(f32_to_f16(std::ldexp(1.0f, -25)) == 0);
  CHECK(f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 1);
  CHECK(f32_to_f16(bits_to_float(0x7fc00001u)) == 0x7e00);
}

TEST_CASE("bf16: exact widening and round to nearest even") {
  for (uint32_t i = 0; i < 65536; i += 7) {
    uint16_t h = static_cast<uint16_t>(i);
    float f = bf16_to_f32(h);
    if (std::isnan(f)) continue;
    CHECK(f32_to_bf16(f) == h);
  }
  CHECK(f32_to_bf16(bits_to_float(0x3f808000u)) == 0x3f80);  // tie, even stays
  CHECK(f32_to_bf16(bits_to_float(0x3f818000u)) == 0x3f82);  // tie, odd rounds up
  CHECK(f32_to_bf16(bits_to_float(0x3f808001u)) == 0x3f81);
  CHECK(std::isnan(bf16_to_f32(f32_to_bf16(bits_to_float(0x7f800001u)))));
}
