// Safetensors reader tests: images built in memory (header JSON written by hand here),
// single-file and sharded folders written to a temporary directory, and hostile headers.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "io/safetensors.h"

using namespace g4;

namespace {

// One shard: u64 header length, the header text, then `data_bytes` bytes counting 0, 1, 2, ...
std::vector<uint8_t> shard(const std::string& header, size_t data_bytes) {
  std::vector<uint8_t> b(8 + header.size() + data_bytes);
  uint64_t n = header.size();
  std::memcpy(b.data(), &n, 8);
  std::memcpy(b.data() + 8, header.data(), header.size());
  for (size_t i = 0; i < data_bytes; ++i) b[8 + header.size() + i] = static_cast<uint8_t>(i);
  return b;
}

Status status_of(const std::vector<uint8_t>& f, std::string* msg = nullptr) {
  try {
    SafetensorsModel::parse_single(f.data(), f.size(), "test.safetensors");
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

Status status_of_header(const std::string& header, size_t data_bytes, std::string* msg = nullptr) {
  return status_of(shard(header, data_bytes), msg);
}

// 2x3 F32 (24 bytes) then a 4-element BF16 vector (8 bytes), a scalar and an empty tensor.
const char* kHeader =
    R"({"__metadata__": {"format": "pt"},
        "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "v": {"dtype": "BF16", "shape": [4], "data_offsets": [24, 32]},
        "s": {"dtype": "F16", "shape": [], "data_offsets": [32, 34]},
        "e": {"dtype": "F32", "shape": [0, 5], "data_offsets": [34, 34]}})";

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/g4_st_test_XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempDir() {
    for (const auto& f : files) std::remove((path + "/" + f).c_str());
    rmdir(path.c_str());
  }
  void write(const std::string& name, const std::string& bytes) {
    write(name, std::vector<uint8_t>(bytes.begin(), bytes.end()));
  }
  void write(const std::string& name, const std::vector<uint8_t>& bytes) {
    FILE* f = std::fopen((path + "/" + name).c_str(), "wb");
    REQUIRE(f);
    REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    std::fclose(f);
    files.push_back(name);
  }
  std::vector<std::string> files;
};

Status open_status(const std::string& dir, std::string* msg = nullptr) {
  try {
    SafetensorsModel::open(dir, true);
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return e.status();
  }
  return Status::ok;
}

}  // namespace

TEST_CASE("safetensors: one image in memory") {
  auto f = shard(kHeader, 34);
  auto m = SafetensorsModel::parse_single(f.data(), f.size(), "mem");
  REQUIRE(m->tensors().size() == 4);  // __metadata__ is not a tensor
  CHECK(m->bytes_mapped() == f.size());
  const uint8_t* data = f.data() + 8 + std::strlen(kHeader);
  const TensorInfo* w = m->tensor("w");
  REQUIRE(w);
  CHECK(w->type == DType::F32);
  REQUIRE(w->ne.size() == 2);
  CHECK(w->ne[0] == 3);  // innermost first: shape [2, 3] -> ne {3, 2}
  CHECK(w->ne[1] == 2);
  CHECK(w->nbytes == 24);
  CHECK(w->data == data);
  const TensorInfo* v = m->tensor("v");
  REQUIRE(v);
  CHECK(v->type == DType::BF16);
  CHECK(v->data == data + 24);
  CHECK(v->data[0] == 24);
  const TensorInfo* s = m->tensor("s");
  REQUIRE(s);
  CHECK(s->type == DType::F16);
  REQUIRE(s->ne.size() == 1);  // a 0-d scalar is one element
  CHECK(s->ne[0] == 1);
  CHECK(s->nbytes == 2);
  const TensorInfo* e = m->tensor("e");
  REQUIRE(e);
  CHECK(e->n_elements() == 0);
  CHECK(e->nbytes == 0);
  CHECK(m->tensor("__metadata__") == nullptr);
  CHECK(m->tensors()[0].name == "w");  // header order
}

TEST_CASE("safetensors: every truncation of a valid image is bad_format") {
  auto f = shard(kHeader, 34);
  for (size_t len = 0; len < f.size(); ++len) {
    std::vector<uint8_t> p(f.begin(), f.begin() + len);
    CAPTURE(len);
    CHECK(status_of(p) == Status::bad_format);
  }
}

TEST_CASE("safetensors: hostile headers") {
  std::string msg;
  auto h = [](const std::string& dtype, const std::string& shape, const std::string& off) {
    return "{\"t\": {\"dtype\": \"" + dtype + "\", \"shape\": " + shape + ", \"data_offsets\": " + off + "}}";
  };
  CHECK(status_of_header(h("F32", "[2]", "[0, 8]"), 8) == Status::ok);
  CHECK(status_of_header(h("F32", "[2]", "[0, 8]"), 7) == Status::bad_format);     // beyond the buffer
  CHECK(status_of_header(h("F32", "[2]", "[8, 16]"), 8) == Status::bad_format);    // offsets outside
  CHECK(status_of_header(h("F32", "[2]", "[8, 0]"), 8) == Status::bad_format);     // end < begin
  CHECK(status_of_header(h("F32", "[3]", "[0, 8]"), 16, &msg) == Status::bad_format);  // size mismatch
  CHECK(msg.find("tensor 't'") != std::string::npos);
  CHECK(status_of_header(h("F16", "[2]", "[0, 8]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "[-2]", "[0, 8]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "[2.5]", "[0, 8]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "[\"2\"]", "[0, 8]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "[4294967296, 4294967296, 4294967296]", "[0, 8]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "[2]", "[0]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "[2]", "[0, 8, 9]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "[2]", "[-1, 7]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "[2]", "[0, 1e300]"), 8) == Status::bad_format);
  CHECK(status_of_header(h("F32", "2", "[0, 8]"), 8) == Status::bad_format);
  CHECK(status_of_header(R"({"t": {"shape": [2], "data_offsets": [0, 8]}})", 8) == Status::bad_format);
  CHECK(status_of_header(R"({"t": [1]})", 8) == Status::bad_format);
  CHECK(status_of_header(R"({"__metadata__": 3})", 0) == Status::bad_format);
  CHECK(status_of_header(R"([])", 0) == Status::bad_format);
  CHECK(status_of_header(R"({"t": )", 0) == Status::bad_format);
  CHECK(status_of_header(R"({})", 0) == Status::ok);
  CHECK(status_of_header("{}    ", 0) == Status::ok);  // space padding after the header is valid JSON
  // Duplicate tensor names are duplicate JSON keys.
  CHECK(status_of_header(R"({"a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]},
                             "a": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}})",
                         4) == Status::bad_format);

  CHECK(status_of_header(h("I64", "[1]", "[0, 8]"), 8, &msg) == Status::unsupported);
  CHECK(msg.find("tensor 't'") != std::string::npos);
  CHECK(msg.find("'I64'") != std::string::npos);
  CHECK(status_of_header(h("F8_E4M3", "[1]", "[0, 1]"), 1) == Status::unsupported);

  // Header length beyond the file, and beyond the 100 MB cap.
  auto f = shard("{}", 0);
  uint64_t n = 3;
  std::memcpy(f.data(), &n, 8);
  CHECK(status_of(f) == Status::bad_format);
  n = ~0ull;
  std::memcpy(f.data(), &n, 8);
  CHECK(status_of(f) == Status::bad_format);
  n = 200ull << 20;
  std::memcpy(f.data(), &n, 8);
  CHECK(status_of(f) == Status::bad_format);
}

TEST_CASE("safetensors: single-file and sharded folders") {
  {
    TempDir d;
    auto f = shard(kHeader, 34);
    d.write("model.safetensors", f);
    for (bool mmap : {true, false}) {
      auto m = SafetensorsModel::open(d.path, mmap);
      CHECK(m->tensors().size() == 4);
      CHECK(m->bytes_mapped() == f.size());
      REQUIRE(m->tensor("v"));
      CHECK(m->tensor("v")->data[7] == 31);
    }
  }
  {
    TempDir d;
    auto a = shard(R"({"x": {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]}})", 8);
    auto b = shard(R"({"__metadata__": {}, "y": {"dtype": "BF16", "shape": [3], "data_offsets": [2, 8]},
                       "z": {"dtype": "F16", "shape": [1], "data_offsets": [0, 2]}})",
                   8);
    d.write("model-00001-of-00002.safetensors", a);
    d.write("model-00002-of-00002.safetensors", b);
    d.write("model.safetensors.index.json",
            std::string(R"({"metadata": {"total_size": 16}, "weight_map": {
              "x": "model-00001-of-00002.safetensors",
              "y": "model-00002-of-00002.safetensors",
              "z": "model-00002-of-00002.safetensors"}})"));
    auto m = SafetensorsModel::open(d.path, true);
    CHECK(m->tensors().size() == 3);
    CHECK(m->bytes_mapped() == a.size() + b.size());
    REQUIRE(m->tensor("x"));
    CHECK(m->tensor("x")->ne == std::vector<int64_t>{2, 1});
    REQUIRE(m->tensor("y"));
    CHECK(m->tensor("y")->data[0] == 2);
    CHECK(m->tensor("y")->nbytes == 6);
  }
  {
    TempDir d;  // the index lists a tensor its shard does not have
    d.write("s1.safetensors", shard(R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4));
    d.write("s2.safetensors", shard(R"({"y": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4));
    d.write("model.safetensors.index.json",
            std::string(R"({"weight_map": {"x": "s1.safetensors", "y": "s1.safetensors"}})"));
    std::string msg;
    CHECK(open_status(d.path, &msg) == Status::bad_format);
    CHECK(msg.find("'y'") != std::string::npos);
  }
  {
    TempDir d;  // the same tensor in two shards
    d.write("s1.safetensors", shard(R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4));
    d.write("s2.safetensors", shard(R"({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 4));
    d.write("model.safetensors.index.json",
            std::string(R"({"weight_map": {"x": "s1.safetensors", "y": "s2.safetensors"}})"));
    CHECK(open_status(d.path) == Status::bad_format);
  }
  {
    TempDir d;  // a shard file that is missing, a path escaping the folder, a broken index
    d.write("model.safetensors.index.json", std::string(R"({"weight_map": {"x": "missing.safetensors"}})"));
    CHECK(open_status(d.path) == Status::io);
  }
  {
    TempDir d;
    d.write("model.safetensors.index.json", std::string(R"({"weight_map": {"x": "../etc/passwd"}})"));
    CHECK(open_status(d.path) == Status::bad_format);
  }
  {
    TempDir d;
    d.write("model.safetensors.index.json", std::string(R"({"weight_map": {"x": 5}})"));
    CHECK(open_status(d.path) == Status::bad_format);
  }
  {
    TempDir d;
    d.write("model.safetensors.index.json", std::string(R"({"metadata": {}})"));
    CHECK(open_status(d.path) == Status::bad_format);
  }
  {
    TempDir d;
    d.write("model.safetensors.index.json", std::string("{\"weight_map\": "));
    CHECK(open_status(d.path) == Status::bad_format);
  }
  {
    TempDir d;  // an empty folder
    CHECK(open_status(d.path) == Status::io);
  }
  CHECK(open_status("/nonexistent/g4") == Status::io);
}

TEST_CASE("safetensors: read_text_file") {
  TempDir d;
  d.write("a.json", std::string("{\"a\": 1}\n"));
  CHECK(read_text_file(d.path + "/a.json") == "{\"a\": 1}\n");
  try {
    read_text_file(d.path + "/a.json", 3);
    FAIL("expected an io error for a file above max_bytes");
  } catch (const Error& e) {
    CHECK(e.status() == Status::io);
  }
  try {
    read_text_file(d.path + "/none.json");
    FAIL("expected an io error");
  } catch (const Error& e) {
    CHECK(e.status() == Status::io);
  }
  try {
    read_text_file(d.path);  // a directory
    FAIL("expected an io error");
  } catch (const Error& e) {
    CHECK(e.status() == Status::io);
  }
}
