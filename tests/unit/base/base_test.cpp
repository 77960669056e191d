// Tests for base/half (IEEE half and bfloat16 conversions), base/mapped_file and
// base/thread_pool.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "base/half.h"
#include "base/mapped_file.h"
#include "base/thread_pool.h"

using namespace g4;

namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Half -> double from the IEEE 754 definition, independent of the code under test.
double half_value(uint16_t h) {
  int sign = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? std::ldexp(m, -24) : std::ldexp(1024 + m, e - 25);
  return sign ? -v : v;
}

bool half_is_nan(uint16_t h) { return (h & 0x7c00) == 0x7c00 && (h & 0x3ff); }

// Round-to-nearest-even float -> half by brute force over the 63488 finite halves' neighbours:
// the reference picks, among the two halves bracketing |x|, the nearer (ties: even mantissa).
uint16_t ref_f32_to_f16(float x) {
  if (std::isnan(x)) return 0x7e00;
  uint16_t sign = std::signbit(x) ? 0x8000 : 0;
  double a = std::fabs(static_cast<double>(x));
  if (a >= 65520.0) return sign | 0x7c00;  // halfway between 65504 and 2^16 rounds to even = inf
  // Binary search for the largest finite half <= a (halves are monotonic in their bits).
  uint16_t lo = 0, hi = 0x7bff;
  while (lo < hi) {
    uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
    if (half_value(mid) <= a) lo = mid;
    else hi = static_cast<uint16_t>(mid - 1);
  }
  uint16_t r = lo;
  if (half_value(r) != a) {
    double below = a - half_value(r), above = half_value(static_cast<uint16_t>(r + 1)) - a;
    if (above < below || (above == below && (r & 1))) ++r;
  }
  return sign | r;
}

}  // namespace

TEST_CASE("half: f16_to_f32 is exact for all 65536 halves") {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = f16_to_f32(static_cast<uint16_t>(h));
    CAPTURE(h);
    if (half_is_nan(static_cast<uint16_t>(h))) {
      CHECK(std::isnan(f));
    } else if ((h & 0x7fff) == 0x7c00) {
      CHECK(std::isinf(f));
      CHECK(std::signbit(f) == ((h & 0x8000) != 0));
    } else {
      CHECK(static_cast<double>(f) == half_value(static_cast<uint16_t>(h)));
      CHECK(std::signbit(f) == ((h & 0x8000) != 0));  // including -0
    }
  }
}

TEST_CASE("half: f32_to_f16 rounds to nearest even") {
  // Round trip of every non-NaN half.
  for (uint32_t h = 0; h < 65536; ++h)
    if (!half_is_nan(static_cast<uint16_t>(h))) REQUIRE(f32_to_f16(f16_to_f32(static_cast<uint16_t>(h))) == h);
  // Midpoints and their float neighbours between every pair of adjacent positive halves
  // (midpoints of halves are exact floats: 11 + 1 significant bits).
  for (uint16_t h = 0; h < 0x7bff; ++h) {
    float mid = static_cast<float>((half_value(h) + half_value(static_cast<uint16_t>(h + 1))) / 2);
    CAPTURE(h);
    uint16_t even = (h & 1) ? static_cast<uint16_t>(h + 1) : h;
    CHECK(f32_to_f16(mid) == even);
    CHECK(f32_to_f16(-mid) == (0x8000 | even));
    CHECK(f32_to_f16(std::nextafter(mid, 0.0f)) == h);
    CHECK(f32_to_f16(std::nextafter(mid, 1e9f)) == h + 1);
  }
  // A strided sweep of all float bit patterns against the brute-force reference.
  for (uint64_t u = 0; u < (1ull << 32); u += 65521) {  // prime stride: hits every exponent
    float x = from_bits(static_cast<uint32_t>(u));
    uint16_t got = f32_to_f16(x);
    CAPTURE(u);
    if (std::isnan(x)) CHECK(half_is_nan(got));
    else CHECK(got == ref_f32_to_f16(x));
  }
  // Edges: overflow, the largest finite, underflow to zero, the smallest subnormal.
  CHECK(f32_to_f16(65504.0f) == 0x7bff);
  CHECK(f32_to_f16(65519.996f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);
  CHECK(f32_to_f16(1e10f) == 0x7c00);
  CHECK(f32_to_f16(-INFINITY) == 0xfc00);
  CHECK(f32_to_f16(std::ldexp(1.0f, -25)) == 0);  // tie between 0 and 2^-24: even is 0
  CHECK(f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)) == 1);
  CHECK(f32_to_f16(std::ldexp(1.0f, -24)) == 1);
  CHECK(f32_to_f16(-0.0f) == 0x8000);
  CHECK(half_is_nan(f32_to_f16(NAN)));
}

TEST_CASE("half: bfloat16") {
  for (uint32_t h = 0; h < 65536; ++h) {
    float f = bf16_to_f32(static_cast<uint16_t>(h));
    CHECK(bits(f) == h << 16);  // exact by definition
    if (!std::isnan(f)) REQUIRE(f32_to_bf16(f) == h);
  }
  // Ties go to even, others to nearest.
  CHECK(f32_to_bf16(from_bits(0x3f808000)) == 0x3f80);  // tie, 0x3f80 even
  CHECK(f32_to_bf16(from_bits(0x3f818000)) == 0x3f82);  // tie, 0x3f81 odd -> up
  CHECK(f32_to_bf16(from_bits(0x3f808001)) == 0x3f81);
  CHECK(f32_to_bf16(from_bits(0x3f807fff)) == 0x3f80);
  CHECK(f32_to_bf16(from_bits(0x7f7fffff)) == 0x7f80);  // rounds up to inf
  // NaNs stay NaN even when only low mantissa bits are set (truncation would give inf).
  uint16_t n = f32_to_bf16(from_bits(0x7f800001));
  CHECK(std::isnan(bf16_to_f32(n)));
  CHECK(std::isnan(bf16_to_f32(f32_to_bf16(from_bits(0xffc00000)))));
}

TEST_CASE("mapped_file: mmap and read give the same bytes") {
  char path[] = "/tmp/g4_base_test_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  std::vector<uint8_t> bytes(10000);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + 3);
  REQUIRE(write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  close(fd);
  for (bool use_mmap : {true, false}) {
    MappedFile f(path, use_mmap);
    CHECK(f.size() == bytes.size());
    CHECK(f.is_mapped() == use_mmap);
    CHECK(f.path() == path);
    CHECK(std::memcmp(f.data(), bytes.data(), bytes.size()) == 0);
  }
  std::remove(path);

  char empty[] = "/tmp/g4_base_test_XXXXXX";  // empty file: size 0, a valid (non-null) pointer
  fd = mkstemp(empty);
  REQUIRE(fd >= 0);
  close(fd);
  for (bool use_mmap : {true, false}) {
    MappedFile f(empty, use_mmap);
    CHECK(f.size() == 0);
    CHECK(f.data() != nullptr);
  }
  std::remove(empty);

  for (const char* bad : {"/nonexistent/g4/file", "/tmp"}) {  // missing, and a directory
    try {
      MappedFile f(bad, true);
      FAIL("expected an io error for " << bad);
    } catch (const Error& e) {
      CHECK(e.status() == Status::io);
      CHECK(std::string(e.what()).find(bad) != std::string::npos);
    }
  }
}

TEST_CASE("thread_pool: every task runs exactly once, on a valid thread") {
  for (int n_threads : {0, 1, 2, 4}) {
    ThreadPool pool(n_threads);
    CHECK(pool.size() == (n_threads < 1 ? 1 : n_threads));
    for (int64_t n : {0, 1, 2, 3, 17, 1000}) {
      CAPTURE(n_threads);
      CAPTURE(n);
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bad_thread{0};
      pool.parallel_for(n, [&](int64_t t, int thread) {
        hits[static_cast<size_t>(t)].fetch_add(1);
        if (thread < 0 || thread >= pool.size()) bad_thread.fetch_add(1);
      });
      int wrong = 0;
      for (auto& h : hits) wrong += h.load() != 1;
      CHECK(wrong == 0);
      CHECK(bad_thread.load() == 0);
    }
  }
}

TEST_CASE("thread_pool: parallel_range covers [0, n) in disjoint chunks") {
  ThreadPool pool(3);
  for (int64_t n : {1, 5, 12, 1001}) {
    for (int64_t min_chunk : {1, 4, 5000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      std::atomic<int> bad{0};
      pool.parallel_range(n, min_chunk, [&](int64_t b, int64_t e, int) {
        if (!(b < e && e <= n && (e - b >= min_chunk || e == n))) bad.fetch_add(1);
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      });
      int wrong = 0;
      for (auto& h : hits) wrong += h.load() != 1;
      CAPTURE(n);
      CAPTURE(min_chunk);
      CHECK(wrong == 0);
      CHECK(bad.load() == 0);
    }
  }
}

TEST_CASE("thread_pool: many back-to-back jobs, and jobs after the workers slept") {
  ThreadPool pool(4);
  int64_t total = 0;
  for (int job = 0; job < 3000; ++job) {
    std::atomic<int64_t> sum{0};
    pool.parallel_for(7, [&](int64_t t, int) { sum.fetch_add(t + 1); });
    total += sum.load();
  }
  CHECK(total == 3000 * 28);
  // Let the workers pass their spin budget and block on the condition variable.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::atomic<int> count{0};
  pool.parallel_for(100, [&](int64_t, int) { count.fetch_add(1); });
  CHECK(count.load() == 100);
  // Work is actually shared: with slow tasks, more than one thread takes part.
  std::vector<std::atomic<int>> per_thread(4);
  pool.parallel_for(16, [&](int64_t, int thread) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    per_thread[static_cast<size_t>(thread)].fetch_add(1);
  });
  int used = 0;
  for (auto& c : per_thread) used += c.load() > 0;
  CHECK(used > 1);
}
