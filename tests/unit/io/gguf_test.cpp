// GGUF reader tests. Files are built in memory by a small writer below (independent of the
// reader), then valid files are checked field by field and hostile files for their Status.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "io/gguf.h"

using namespace g4;

namespace {

// ggml type ids used by the tests (ggml.h numbering).
enum : uint32_t { T_F32 = 0, T_F16 = 1, T_Q4_0 = 2, T_Q8_0 = 8, T_Q4_K = 12, T_Q5_K = 13, T_Q6_K = 14, T_BF16 = 30 };

// Raw little-endian byte writer.
struct W {
  std::vector<uint8_t> b;
  template <class T>
  W& put(T v) {
    uint8_t tmp[sizeof(T)];
    std::memcpy(tmp, &v, sizeof(T));
    b.insert(b.end(), tmp, tmp + sizeof(T));
    return *this;
  }
  W& raw(const void* p, size_t n) {
    b.insert(b.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
    return *this;
  }
  W& str(const std::string& s) {
    put<uint64_t>(s.size());
    return raw(s.data(), s.size());
  }
  W& header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    raw("GGUF", 4);
    return put(version).put(n_tensors).put(n_kv);
  }
  void pad_to(size_t alignment) {
    while (b.size() % alignment) b.push_back(0);
  }
};

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> ne;
  uint32_t type;
  size_t nbytes;  // as the writer computes it (independent table below)
};

// Bytes per block and elements per block, written out here rather than taken from base/dtype.
size_t test_nbytes(uint32_t type, const std::vector<uint64_t>& ne) {
  size_t be = 1, bb = 0;
  switch (type) {
    case T_F32: bb = 4; break;
    case T_F16:
    case T_BF16: bb = 2; break;
    case T_Q8_0: be = 32, bb = 34; break;
    case T_Q4_0: be = 32, bb = 18; break;
    case T_Q4_K: be = 256, bb = 144; break;
    case T_Q6_K: be = 256, bb = 210; break;
  }
  size_t n = ne[0] / be * bb;
  for (size_t i = 1; i < ne.size(); ++i) n *= ne[i];
  return n;
}

// A valid file: the metadata written by `kvs` (count n_kv), then the tensors with data laid
// out back to back at the given alignment, each filled with a byte pattern of its index.
std::vector<uint8_t> build(uint32_t n_kv, const std::vector<uint8_t>& kvs, const std::vector<TensorSpec>& ts,
                           uint32_t alignment = 32, uint32_t version = 3) {
  W w;
  w.header(version, ts.size(), n_kv);
  w.raw(kvs.data(), kvs.size());
  uint64_t off = 0;
  std::vector<uint64_t> offs;
  for (const auto& t : ts) {
    w.str(t.name).put<uint32_t>(t.ne.size());
    for (auto d : t.ne) w.put<uint64_t>(d);
    w.put<uint32_t>(t.type).put<uint64_t>(off);
    offs.push_back(off);
    off += (t.nbytes + alignment - 1) / alignment * alignment;
  }
  w.pad_to(alignment);
  for (size_t i = 0; i < ts.size(); ++i) {
    w.b.resize(w.b.size() + (i ? offs[i] - offs[i - 1] - ts[i - 1].nbytes : 0), 0);
    w.b.resize(w.b.size() + ts[i].nbytes, static_cast<uint8_t>(0xA0 + i));
  }
  return w.b;
}

TensorSpec spec(const std::string& name, std::vector<uint64_t> ne, uint32_t type) {
  size_t n = test_nbytes(type, ne);
  return TensorSpec{name, std::move(ne), type, n};
}

std::vector<TensorSpec> all_types() {
  return {spec("a.f32", {4, 3}, T_F32),        spec("b.f16", {8}, T_F16),       spec("c.q8_0", {64, 2}, T_Q8_0),
          spec("d.q4_0", {32, 1, 3}, T_Q4_0),  spec("e.q4_k", {256, 2}, T_Q4_K), spec("f.q6_k", {512}, T_Q6_K),
          spec("g.bf16", {2, 2, 2, 2}, T_BF16)};
}

// One tensor with arbitrary (possibly hostile) fields and `data_bytes` bytes of data.
std::vector<uint8_t> one_tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type,
                                uint64_t offset, size_t data_bytes, uint32_t alignment = 32) {
  W w;
  w.header(3, 1, alignment == 32 ? 0 : 1);
  if (alignment != 32) w.str("general.alignment").put<uint32_t>(4).put<uint32_t>(alignment);
  w.str(name).put<uint32_t>(ne.size());
  for (auto d : ne) w.put<uint64_t>(d);
  w.put<uint32_t>(type).put<uint64_t>(offset);
  w.pad_to(alignment);
  w.b.resize(w.b.size() + data_bytes, 0x55);
  return w.b;
}

Status status_of(const std::vector<uint8_t>& f, std::string* msg = nullptr) {
  try {
    GgufFile::parse(f.data(), f.size(), "test.gguf");
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

// Every metadata type once, plus arrays.
std::vector<uint8_t> all_kvs(uint32_t& n) {
  W w;
  w.str("k.u8").put<uint32_t>(0).put<uint8_t>(200);
  w.str("k.i8").put<uint32_t>(1).put<int8_t>(-100);
  w.str("k.u16").put<uint32_t>(2).put<uint16_t>(60000);
  w.str("k.i16").put<uint32_t>(3).put<int16_t>(-30000);
  w.str("k.u32").put<uint32_t>(4).put<uint32_t>(4000000000u);
  w.str("k.i32").put<uint32_t>(5).put<int32_t>(-2000000000);
  w.str("k.f32").put<uint32_t>(6).put<float>(1.5f);
  w.str("k.bool").put<uint32_t>(7).put<uint8_t>(1);
  w.str("k.str").put<uint32_t>(8).str("gemma4");
  w.str("k.u64").put<uint32_t>(10).put<uint64_t>(1ull << 40);
  w.str("k.i64").put<uint32_t>(11).put<int64_t>(-(1ll << 50));
  w.str("k.f64").put<uint32_t>(12).put<double>(1e-6);
  w.str("k.f32int").put<uint32_t>(6).put<float>(4.0f);
  w.str("k.u64big").put<uint32_t>(10).put<uint64_t>(1ull << 63);
  w.str("a.i32").put<uint32_t>(9).put<uint32_t>(5).put<uint64_t>(3).put<int32_t>(8).put<int32_t>(-1).put<int32_t>(7);
  w.str("a.str").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(2).str("<bos>").str("");
  w.str("a.bool").put<uint32_t>(9).put<uint32_t>(7).put<uint64_t>(2).put<uint8_t>(1).put<uint8_t>(0);
  w.str("a.f32").put<uint32_t>(9).put<uint32_t>(6).put<uint64_t>(1).put<float>(-2.25f);
  w.str("a.empty").put<uint32_t>(9).put<uint32_t>(4).put<uint64_t>(0);
  n = 19;
  return w.b;
}

}  // namespace

TEST_CASE("gguf: every metadata type round-trips") {
  uint32_t n;
  auto kvs = all_kvs(n);
  auto f = build(n, kvs, {}, 32, 2);
  auto g = GgufFile::parse(f.data(), f.size(), "t");
  CHECK(g->version() == 2);
  CHECK(g->metadata().size() == n);
  CHECK(g->tensors().empty());
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string s;
  CHECK((g->get_int("k.u8", i) && i == 200));
  CHECK((g->get_int("k.i8", i) && i == -100));
  CHECK((g->get_int("k.u16", i) && i == 60000));
  CHECK((g->get_int("k.i16", i) && i == -30000));
  CHECK((g->get_int("k.u32", i) && i == 4000000000ll));
  CHECK((g->get_int("k.i32", i) && i == -2000000000));
  CHECK((g->get_int("k.u64", i) && i == (1ll << 40)));
  CHECK((g->get_int("k.i64", i) && i == -(1ll << 50)));
  CHECK((g->get_float("k.f32", d) && d == 1.5));
  CHECK((g->get_float("k.f64", d) && d == 1e-6));
  CHECK((g->get_float("k.i32", d) && d == -2000000000.0));  // numeric types convert
  CHECK((g->get_int("k.f32int", i) && i == 4));              // integral float converts
  CHECK((g->get_bool("k.bool", b) && b));
  CHECK((g->get_string("k.str", s) && s == "gemma4"));
  CHECK(g->find("k.str")->type == GgufType::string);
  CHECK(g->find("k.u16")->type == GgufType::u16);
  CHECK_FALSE(g->get_int("absent", i));
  CHECK(g->find("absent") == nullptr);

  auto status = [](auto fn) {
    try {
      fn();
    } catch (const Error& e) {
      return e.status();
    }
    return Status::ok;
  };
  CHECK(status([&] { g->get_int("k.f32", i); }) == Status::bad_format);     // 1.5 is not integral
  CHECK(status([&] { g->get_int("k.u64big", i); }) == Status::bad_format);  // 2^63 > INT64_MAX
  CHECK(status([&] { g->get_int("k.str", i); }) == Status::bad_format);
  CHECK(status([&] { g->get_string("k.u8", s); }) == Status::bad_format);
  CHECK(status([&] { g->get_bool("k.u8", b); }) == Status::bad_format);
  CHECK(status([&] { g->get_float("a.f32", d); }) == Status::bad_format);

  const GgufValue* a = g->find("a.i32");
  REQUIRE(a);
  CHECK(a->type == GgufType::array);
  CHECK(a->elem_type == GgufType::i32);
  REQUIRE(a->arr.size() == 3);
  CHECK(a->arr[0].i == 8);
  CHECK(a->arr[1].i == -1);
  CHECK(a->arr[2].i == 7);
  const GgufValue* as = g->find("a.str");
  REQUIRE((as && as->arr.size() == 2));
  CHECK(as->arr[0].str == "<bos>");
  CHECK(as->arr[1].str.empty());
  CHECK(g->find("a.bool")->arr[0].i == 1);
  CHECK(g->find("a.bool")->arr[1].i == 0);
  CHECK(g->find("a.f32")->arr[0].f == -2.25);
  CHECK(g->find("a.empty")->arr.empty());
  CHECK(g->find("a.empty")->elem_type == GgufType::u32);
}

TEST_CASE("gguf: tensors of every supported type, alignment 32 and 64") {
  for (uint32_t align : {32u, 64u}) {
    CAPTURE(align);
    W kv;
    uint32_t n_kv = 0;
    if (align != 32) {
      kv.str("general.alignment").put<uint32_t>(4).put<uint32_t>(align);
      n_kv = 1;
    }
    auto ts = all_types();
    auto f = build(n_kv, kv.b, ts, align);
    auto g = GgufFile::parse(f.data(), f.size(), "t");
    REQUIRE(g->tensors().size() == ts.size());
    const DType want[] = {DType::F32, DType::F16, DType::Q8_0, DType::Q4_0, DType::Q4_K, DType::Q6_K, DType::BF16};
    const uint8_t* prev_end = nullptr;
    for (size_t i = 0; i < ts.size(); ++i) {
      const TensorInfo& t = g->tensors()[i];
      CAPTURE(t.name);
      CHECK(t.name == ts[i].name);
      CHECK(g->tensor(ts[i].name) == &t);
      CHECK(t.type == want[i]);
      REQUIRE(t.ne.size() == ts[i].ne.size());
      for (size_t k = 0; k < t.ne.size(); ++k) CHECK(t.ne[k] == static_cast<int64_t>(ts[i].ne[k]));
      CHECK(t.nbytes == ts[i].nbytes);
      CHECK((t.data - f.data()) % align == 0);
      CHECK(t.data >= f.data());
      CHECK(t.data + t.nbytes <= f.data() + f.size());
      if (prev_end) CHECK(t.data >= prev_end);
      prev_end = t.data + t.nbytes;
      // The pattern the writer put there: first and last byte of this tensor.
      CHECK(t.data[0] == 0xA0 + i);
      CHECK(t.data[t.nbytes - 1] == 0xA0 + i);
    }
    CHECK(g->tensor("nope") == nullptr);
    CHECK(g->file_size() == f.size());
  }
}

TEST_CASE("gguf: every truncation of a valid file is bad_format") {
  uint32_t n;
  auto kvs = all_kvs(n);
  auto f = build(n, kvs, all_types());
  REQUIRE(status_of(f) == Status::ok);
  for (size_t len = 0; len < f.size(); ++len) {
    std::vector<uint8_t> p(f.begin(), f.begin() + len);  // exact-size copy so ASan sees overreads
    CAPTURE(len);
    CHECK(status_of(p) == Status::bad_format);
  }
}

TEST_CASE("gguf: hostile headers") {
  std::string msg;
  {
    W w;
    w.raw("GGUG", 4).put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(0);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  for (uint32_t v : {1u, 4u, 0x03000000u}) {
    W w;
    w.header(v, 0, 0);
    CAPTURE(v);
    CHECK(status_of(w.b) == Status::unsupported);
  }
  {
    W w;
    w.header(0, 0, 0);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // minimal valid file: no metadata, no tensors
    w.header(3, 0, 0);
    CHECK(status_of(w.b) == Status::ok);
  }
  {
    W w;
    w.header(3, 1ull << 60, 0);
    CHECK(status_of(w.b, &msg) == Status::bad_format);
    CHECK(msg.find("tensor count") != std::string::npos);
  }
  {
    W w;
    w.header(3, 0, ~0ull);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // key string length far beyond the file
    w.header(3, 0, 1).put<uint64_t>(1ull << 62).raw("abc", 3);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // value string length far beyond the file
    w.header(3, 0, 1).str("k").put<uint32_t>(8).put<uint64_t>(~0ull - 3);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // array count far beyond the file
    w.header(3, 0, 1).str("k").put<uint32_t>(9).put<uint32_t>(0).put<uint64_t>(1ull << 40);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // nested array
    w.header(3, 0, 1).str("k").put<uint32_t>(9).put<uint32_t>(9).put<uint64_t>(0);
    CHECK(status_of(w.b) == Status::unsupported);
  }
  {
    W w;  // invalid value type
    w.header(3, 0, 1).str("k").put<uint32_t>(13).put<uint32_t>(0);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // bool that is neither 0 nor 1
    w.header(3, 0, 1).str("k").put<uint32_t>(7).put<uint8_t>(2);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // duplicate key
    w.header(3, 0, 2).str("k").put<uint32_t>(4).put<uint32_t>(1).str("k").put<uint32_t>(4).put<uint32_t>(2);
    CHECK(status_of(w.b, &msg) == Status::bad_format);
    CHECK(msg.find("duplicate") != std::string::npos);
  }
  {
    W w;  // empty key
    w.header(3, 0, 1).str("").put<uint32_t>(4).put<uint32_t>(1);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // arrays past the total element cap (2^22), even though the bytes are present
    w.header(3, 0, 1).str("k").put<uint32_t>(9).put<uint32_t>(0).put<uint64_t>(5u << 20);
    w.b.resize(w.b.size() + (5u << 20), 1);
    CHECK(status_of(w.b, &msg) == Status::bad_format);
    CHECK(msg.find("elements in total") != std::string::npos);
  }
  {
    W w;  // non-finite floats are stored, but are not integers
    w.header(3, 0, 2).str("nan").put<uint32_t>(6).put<float>(NAN).str("big").put<uint32_t>(12).put<double>(1e300);
    auto g = GgufFile::parse(w.b.data(), w.b.size(), "t");
    double d = 0;
    int64_t i = 0;
    CHECK((g->get_float("nan", d) && std::isnan(d)));
    CHECK_THROWS_AS(g->get_int("nan", i), Error);
    CHECK_THROWS_AS(g->get_int("big", i), Error);
  }
  for (uint32_t a : {0u, 3u, 48u}) {
    W w;  // alignment not a power of two
    w.header(3, 0, 1).str("general.alignment").put<uint32_t>(4).put<uint32_t>(a);
    CAPTURE(a);
    CHECK(status_of(w.b) == Status::bad_format);
  }
  {
    W w;  // alignment of the wrong type
    w.header(3, 0, 1).str("general.alignment").put<uint32_t>(10).put<uint64_t>(32);
    CHECK(status_of(w.b) == Status::bad_format);
  }
}

TEST_CASE("gguf: hostile tensor infos") {
  std::string msg;
  CHECK(status_of(one_tensor("w", {4, 2}, T_F32, 0, 32)) == Status::ok);
  CHECK(status_of(one_tensor("w", {4, 2}, T_F32, 0, 31)) == Status::bad_format);   // nbytes beyond the data
  CHECK(status_of(one_tensor("w", {4, 2}, T_F32, 32, 32)) == Status::bad_format);  // offset outside
  CHECK(status_of(one_tensor("w", {4, 2}, T_F32, 32, 64)) == Status::ok);
  CHECK(status_of(one_tensor("w", {4, 2}, T_F32, 16, 64)) == Status::bad_format);  // misaligned (32)
  CHECK(status_of(one_tensor("w", {4, 2}, T_F32, 32, 96, 64)) == Status::bad_format);  // misaligned (64)
  CHECK(status_of(one_tensor("w", {4, 2}, T_F32, 64, 96, 64)) == Status::ok);
  CHECK(status_of(one_tensor("w", {4, 2}, T_F32, ~0ull - 31, 32)) == Status::bad_format);  // offset overflow
  CHECK(status_of(one_tensor("w", {1, 1, 1, 1, 1}, T_F32, 0, 32)) == Status::bad_format);  // n_dims 5
  CHECK(status_of(one_tensor("w", {}, T_F32, 0, 32)) == Status::bad_format);               // n_dims 0
  CHECK(status_of(one_tensor("w", {4, 0}, T_F32, 0, 32)) == Status::bad_format);           // ne 0
  CHECK(status_of(one_tensor("w", {1ull << 62, 4}, T_F32, 0, 32)) == Status::bad_format);  // overflow
  CHECK(status_of(one_tensor("w", {1ull << 40, 1ull << 20}, T_F32, 0, 32)) == Status::bad_format);
  CHECK(status_of(one_tensor("w", {48}, T_Q8_0, 0, 64)) == Status::bad_format);  // not a multiple of 32
  CHECK(status_of(one_tensor("w", {128}, T_Q4_K, 0, 256)) == Status::bad_format);
  CHECK(status_of(one_tensor("", {4}, T_F32, 0, 32)) == Status::bad_format);  // empty name

  CHECK(status_of(one_tensor("blk.0.attn_q.weight", {256}, T_Q5_K, 0, 256), &msg) == Status::unsupported);
  CHECK(msg.find("tensor 'blk.0.attn_q.weight' has type Q5_K (13)") != std::string::npos);
  CHECK(msg.find("supported: F32 F16 BF16 Q8_0 Q4_0 Q4_K Q6_K") != std::string::npos);
  CHECK(status_of(one_tensor("w", {32}, 3, 0, 256), &msg) == Status::unsupported);
  CHECK(msg.find("Q4_1 (3)") != std::string::npos);
  CHECK(status_of(one_tensor("w", {32}, 999, 0, 256), &msg) == Status::unsupported);
  CHECK(msg.find("(999)") != std::string::npos);

  {
    W w;  // duplicate tensor names
    w.header(3, 2, 0);
    for (uint64_t off : {0ull, 32ull}) w.str("w").put<uint32_t>(1).put<uint64_t>(4).put<uint32_t>(0).put<uint64_t>(off);
    w.pad_to(32);
    w.b.resize(w.b.size() + 64);
    CHECK(status_of(w.b, &msg) == Status::bad_format);
    CHECK(msg.find("duplicate tensor name 'w'") != std::string::npos);
  }
  {
    W w;  // tensor count larger than the tensor infos present
    w.header(3, 2, 0).str("w").put<uint32_t>(1).put<uint64_t>(4).put<uint32_t>(0).put<uint64_t>(0);
    w.pad_to(32);
    w.b.resize(w.b.size() + 64);
    CHECK(status_of(w.b) == Status::bad_format);
  }
}

TEST_CASE("gguf: open() maps a file; missing file is an io error") {
  auto ts = all_types();
  auto f = build(0, {}, ts, 32);
  char path[] = "/tmp/g4_gguf_test_XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, f.data(), f.size()) == static_cast<ssize_t>(f.size()));
  close(fd);
  for (bool mmap : {true, false}) {
    auto g = GgufFile::open(path, mmap);
    CHECK(g->file_size() == f.size());
    REQUIRE(g->tensors().size() == ts.size());
    const TensorInfo* t = g->tensor("c.q8_0");
    REQUIRE(t);
    CHECK(t->nbytes == 4 * 34);  // [64, 2]: two blocks per row, two rows
    // Same bytes as at the same offset of the in-memory image.
    auto in_memory = GgufFile::parse(f.data(), f.size(), "mem");
    size_t offset = static_cast<size_t>(in_memory->tensor("c.q8_0")->data - f.data());
    CHECK(std::memcmp(t->data, f.data() + offset, t->nbytes) == 0);
  }
  std::remove(path);
  try {
    GgufFile::open(path, true);
    FAIL("expected an io error");
  } catch (const Error& e) {
    CHECK(e.status() == Status::io);
  }
}
