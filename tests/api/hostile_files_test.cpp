// Hostile model files through gemma4_context_create(): copies of the generated test models,
// truncated or patched in a temporary folder. Every one must fail cleanly (a status, a message,
// out = NULL), never crash, hang or leak (the sanitizer build runs this file under ASan/UBSan).
// EVIDENCE-OF: IO (cannot read); BAD_FORMAT (malformed or inconsistent file, missing tensor);
// UNSUPPORTED (weight type or architecture). / Creators write the new handle to an
// out-parameter, set to NULL on failure.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <gemma4.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<unsigned char>;

std::string model(const char* name) { return std::string(GEMMA4_API_MODELS_DIR) + "/" + name; }

Bytes read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

void write_file(const std::string& path, const Bytes& b, size_t n = SIZE_MAX) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(std::min(n, b.size())));
  REQUIRE(f.good());
}

// A temporary folder removed with the object.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "gemma4-hostile-XXXXXX").string();
    REQUIRE(mkdtemp(&t[0]) != nullptr);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Loads path; returns the status and checks the failure contract.
gemma4_status load(const std::string& path, int32_t use_mmap = 1) {
  gemma4_context_params cp;
  REQUIRE(gemma4_context_params_default(&cp) == GEMMA4_OK);
  cp.n_threads = 1;
  cp.use_mmap = use_mmap;
  gemma4_context* ctx = reinterpret_cast<gemma4_context*>(0x1);
  gemma4_status st = gemma4_context_create(path.c_str(), &cp, &ctx);
  if (st == GEMMA4_OK) {
    gemma4_context_free(ctx);
  } else {
    CHECK(ctx == nullptr);
    CHECK(std::strlen(gemma4_last_error()) > 0);
  }
  return st;
}

// Offsets of the fields of a GGUF file (little-endian, versions 2/3), for patching.
struct GgufMap {
  struct Kv {
    size_t value_type_at, value_at;  // for arrays value_at is the element type; count at +4
  };
  struct Tensor {
    size_t name_at, n_dims_at, ne_at, type_at, offset_at;
  };
  std::map<std::string, Kv> kv;
  std::map<std::string, Tensor> tensors;
  size_t header_end = 0;  // end of the tensor infos
};

template <class T>
T get(const Bytes& b, size_t at) {
  T v;
  REQUIRE(at + sizeof(T) <= b.size());
  std::memcpy(&v, b.data() + at, sizeof(T));
  return v;
}
template <class T>
void put(Bytes& b, size_t at, T v) {
  REQUIRE(at + sizeof(T) <= b.size());
  std::memcpy(b.data() + at, &v, sizeof(T));
}

size_t scalar_size(uint32_t type) {
  switch (type) {
    case 0: case 1: case 7: return 1;     // u8 i8 bool
    case 2: case 3: return 2;             // u16 i16
    case 4: case 5: case 6: return 4;     // u32 i32 f32
    case 10: case 11: case 12: return 8;  // u64 i64 f64
  }
  return 0;
}

GgufMap map_gguf(const Bytes& b) {
  GgufMap m;
  REQUIRE(std::memcmp(b.data(), "GGUF", 4) == 0);
  const uint64_t n_tensors = get<uint64_t>(b, 8), n_kv = get<uint64_t>(b, 16);
  size_t pos = 24;
  auto str = [&](size_t& p) {
    uint64_t len = get<uint64_t>(b, p);
    std::string s(reinterpret_cast<const char*>(b.data() + p + 8), len);
    p += 8 + len;
    return s;
  };
  auto skip_value = [&](uint32_t type, size_t& p) {
    if (type == 8) str(p);
    else p += scalar_size(type);
  };
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = str(pos);
    GgufMap::Kv kv{pos, pos + 4};
    uint32_t type = get<uint32_t>(b, pos);
    pos += 4;
    if (type == 9) {
      uint32_t et = get<uint32_t>(b, pos);
      uint64_t n = get<uint64_t>(b, pos + 4);
      pos += 12;
      for (uint64_t k = 0; k < n; ++k) skip_value(et, pos);
    } else {
      skip_value(type, pos);
    }
    m.kv[key] = kv;
  }
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufMap::Tensor t;
    t.name_at = pos;
    std::string name = str(pos);
    t.n_dims_at = pos;
    uint32_t n_dims = get<uint32_t>(b, pos);
    t.ne_at = pos + 4;
    pos += 4 + 8 * n_dims;
    t.type_at = pos;
    t.offset_at = pos + 4;
    pos += 12;
    m.tensors[name] = t;
  }
  m.header_end = pos;
  return m;
}

constexpr uint32_t kGgmlQ8_0 = 8;

// A patched copy of the GGUF test model: patch(bytes, map), then load.
template <class F>
gemma4_status load_patched_gguf(F patch, std::string* message = nullptr) {
  TempDir dir;
  Bytes b = read_file(model("api-q8_0.gguf"));
  GgufMap m = map_gguf(b);
  patch(b, m);
  write_file(dir / "m.gguf", b);
  gemma4_status st = load(dir / "m.gguf");
  if (message) *message = gemma4_last_error();
  return st;
}

}  // namespace

TEST_CASE("the unpatched models load (the patches below are what breaks them)") {
  CHECK(load(model("api-q8_0.gguf")) == GEMMA4_OK);
  CHECK(load(model("api-q8_0.gguf"), 0) == GEMMA4_OK);
  CHECK(load(model("api-st-f32")) == GEMMA4_OK);
  // A copy written by the helpers loads too.
  CHECK(load_patched_gguf([](Bytes&, const GgufMap&) {}) == GEMMA4_OK);
}

TEST_CASE("missing files and folders are IO errors") {
  TempDir dir;
  CHECK(load(dir / "does-not-exist.gguf") == GEMMA4_ERR_IO);
  CHECK(load(dir.path.string()) == GEMMA4_ERR_IO);  // a folder without config.json
}

TEST_CASE("a GGUF truncated anywhere is BAD_FORMAT") {
  const Bytes b = read_file(model("api-q8_0.gguf"));
  const GgufMap m = map_gguf(b);
  std::vector<size_t> cuts = {1, 3, 4, 7, 8, 15, 16, 23, 24, 25, 31, 32, 33, 40};
  for (size_t i = 1; i < 48; ++i) cuts.push_back(m.header_end * i / 48);  // inside the metadata
  for (const auto& t : m.tensors) cuts.push_back(t.second.type_at + 2);  // inside tensor infos
  for (size_t c : {m.header_end - 1, m.header_end, m.header_end + 1, b.size() / 2, b.size() - 1}) cuts.push_back(c);
  TempDir dir;
  const std::string path = dir / "cut.gguf";
  int n = 0;
  for (size_t cut : cuts) {
    CAPTURE(cut);
    write_file(path, b, cut);
    CHECK(load(path, n++ % 2) == GEMMA4_ERR_BAD_FORMAT);  // both the mmap and the read path
  }
  write_file(path, b, 0);  // an empty file: nothing to read, or a malformed one
  gemma4_status st = load(path);
  CHECK((st == GEMMA4_ERR_BAD_FORMAT || st == GEMMA4_ERR_IO));
}

TEST_CASE("GGUF header: wrong magic, unsupported versions, absurd counts and lengths") {
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap&) { b[3] = 'X'; }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap&) { put<uint32_t>(b, 4, 1); }) == GEMMA4_ERR_UNSUPPORTED);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap&) { put<uint32_t>(b, 4, 99); }) == GEMMA4_ERR_UNSUPPORTED);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap&) { put<uint64_t>(b, 8, 1ull << 62); }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap&) { put<uint64_t>(b, 16, 1ull << 62); }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap&) { put<uint64_t>(b, 8, ~0ull); }) == GEMMA4_ERR_BAD_FORMAT);
  // The first key's length, an array's element count, a string value's length.
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap&) { put<uint64_t>(b, 24, 1ull << 63); }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
          put<uint64_t>(b, m.kv.at("tokenizer.ggml.tokens").value_at + 4, 1ull << 60);
        }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
          put<uint64_t>(b, m.kv.at("tokenizer.ggml.scores").value_at + 4, ~0ull / 2);
        }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
          put<uint64_t>(b, m.kv.at("general.name").value_at, 1ull << 40);
        }) == GEMMA4_ERR_BAD_FORMAT);
  // A value type that does not exist.
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
          put<uint32_t>(b, m.kv.at("general.name").value_type_at, 77);
        }) == GEMMA4_ERR_BAD_FORMAT);
  // Fewer tokens than the vocabulary (the embedding has 1024 rows).
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
          size_t at = m.kv.at("tokenizer.ggml.token_type").value_at + 4;
          put<uint64_t>(b, at, get<uint64_t>(b, at) - 1);
        }) == GEMMA4_ERR_BAD_FORMAT);
}

TEST_CASE("GGUF metadata: another architecture is UNSUPPORTED, a wrong key type BAD_FORMAT") {
  std::string msg;
  CHECK(load_patched_gguf(
            [](Bytes& b, const GgufMap& m) {
              size_t at = m.kv.at("general.architecture").value_at + 8;  // "gemma4" -> "gemmaX"
              b[at + 5] = 'X';
            },
            &msg) == GEMMA4_ERR_UNSUPPORTED);
  CHECK(msg.find("gemmaX") != std::string::npos);
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
          put<uint32_t>(b, m.kv.at("gemma4.block_count").value_type_at, 6);  // u32 -> f32 bits
        }) == GEMMA4_ERR_BAD_FORMAT);
  // An absurd layer count: more layers than tensors.
  CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
          put<uint32_t>(b, m.kv.at("gemma4.block_count").value_at, 1u << 30);
        }) == GEMMA4_ERR_BAD_FORMAT);
}

TEST_CASE("GGUF tensors: missing, wrong norm dtype, wrong shapes, bad offsets") {
  std::string msg;
  SUBCASE("a missing tensor is BAD_FORMAT and named") {
    CHECK(load_patched_gguf(
              [](Bytes& b, const GgufMap& m) {
                size_t at = m.tensors.at("blk.3.ffn_up.weight").name_at + 8;
                b[at + std::strlen("blk.3.ffn_u")] = 'X';  // blk.3.ffn_uX.weight
              },
              &msg) == GEMMA4_ERR_BAD_FORMAT);
    CHECK(msg.find("blk.3.ffn_up.weight") != std::string::npos);
  }
  SUBCASE("a Q8_0 norm is rejected and named") {
    // 256 F32 values (1024 bytes) read as Q8_0 are 272 bytes: still inside the file, so only the
    // loader's type check can catch it.
    gemma4_status st = load_patched_gguf(
        [](Bytes& b, const GgufMap& m) { put<uint32_t>(b, m.tensors.at("blk.0.attn_norm.weight").type_at, kGgmlQ8_0); },
        &msg);
    CHECK((st == GEMMA4_ERR_BAD_FORMAT || st == GEMMA4_ERR_UNSUPPORTED));
    CHECK(msg.find("blk.0.attn_norm.weight") != std::string::npos);
  }
  SUBCASE("an unknown tensor type is UNSUPPORTED") {
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            put<uint32_t>(b, m.tensors.at("blk.1.ffn_down.weight").type_at, 99);
          }) == GEMMA4_ERR_UNSUPPORTED);
  }
  SUBCASE("shape mismatches are BAD_FORMAT and named") {
    CHECK(load_patched_gguf(
              [](Bytes& b, const GgufMap& m) { put<uint64_t>(b, m.tensors.at("blk.2.attn_norm.weight").ne_at, 128); },
              &msg) == GEMMA4_ERR_BAD_FORMAT);
    CHECK(msg.find("blk.2.attn_norm.weight") != std::string::npos);
    CHECK(load_patched_gguf(
              [](Bytes& b, const GgufMap& m) { put<uint64_t>(b, m.tensors.at("blk.4.attn_q.weight").ne_at + 8, 128); },
              &msg) == GEMMA4_ERR_BAD_FORMAT);
    CHECK(msg.find("blk.4.attn_q.weight") != std::string::npos);
    // ne[0] not a multiple of the Q8_0 block.
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            put<uint64_t>(b, m.tensors.at("blk.4.ffn_gate.weight").ne_at, 250);
          }) == GEMMA4_ERR_BAD_FORMAT);
    // Absurd dimensions: the element count overflows, or a zero dimension.
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            put<uint64_t>(b, m.tensors.at("token_embd.weight").ne_at + 8, 1ull << 62);
          }) == GEMMA4_ERR_BAD_FORMAT);
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            put<uint64_t>(b, m.tensors.at("token_embd.weight").ne_at + 8, 0);
          }) == GEMMA4_ERR_BAD_FORMAT);
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            put<uint32_t>(b, m.tensors.at("output_norm.weight").n_dims_at, 1000);
          }) == GEMMA4_ERR_BAD_FORMAT);
  }
  SUBCASE("data offsets outside the file or misaligned are BAD_FORMAT") {
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            put<uint64_t>(b, m.tensors.at("blk.0.ffn_down.weight").offset_at, uint64_t(b.size()) / 32 * 32);
          }) == GEMMA4_ERR_BAD_FORMAT);
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            put<uint64_t>(b, m.tensors.at("blk.0.ffn_down.weight").offset_at, ~0ull - 31);
          }) == GEMMA4_ERR_BAD_FORMAT);
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            size_t at = m.tensors.at("blk.0.ffn_down.weight").offset_at;
            put<uint64_t>(b, at, get<uint64_t>(b, at) + 4);
          }) == GEMMA4_ERR_BAD_FORMAT);
  }
  SUBCASE("a NaN in a norm is BAD_FORMAT") {
    CHECK(load_patched_gguf(
              [](Bytes& b, const GgufMap& m) {
                size_t data_start = (m.header_end + 31) / 32 * 32;
                size_t at = data_start + get<uint64_t>(b, m.tensors.at("output_norm.weight").offset_at);
                put<uint32_t>(b, at + 8, 0x7fc00000u);
              },
              &msg) == GEMMA4_ERR_BAD_FORMAT);
    CHECK(msg.find("output_norm.weight") != std::string::npos);
  }
  SUBCASE("a duplicate tensor name is BAD_FORMAT") {
    CHECK(load_patched_gguf([](Bytes& b, const GgufMap& m) {
            // blk.1.ffn_up.weight -> blk.1.ffn_gate.weight does not fit; rename ffn_up of layer
            // 1 to layer 2's (same length) instead.
            b[m.tensors.at("blk.1.ffn_up.weight").name_at + 8 + 4] = '2';
          }) == GEMMA4_ERR_BAD_FORMAT);
  }
}

// ---- safetensors folders -------------------------------------------------------------------------

namespace {

// A copy of the two-shard safetensors folder, patched by patch(dir), then loaded.
template <class F>
gemma4_status load_patched_st(F patch, std::string* message = nullptr) {
  TempDir dir;
  fs::copy(model("api-st-f32"), dir.path / "m", fs::copy_options::recursive);
  patch((dir.path / "m").string());
  gemma4_status st = load((dir.path / "m").string());
  if (message) *message = gemma4_last_error();
  return st;
}

const char* kShard1 = "model-00001-of-00002.safetensors";
const char* kShard2 = "model-00002-of-00002.safetensors";

// Replaces the first occurrence of `from` in the file by `to` (same length).
void replace_in(const std::string& path, const std::string& from, const std::string& to, size_t limit = SIZE_MAX) {
  REQUIRE(from.size() == to.size());
  Bytes b = read_file(path);
  std::string s(b.begin(), b.begin() + static_cast<long>(std::min(limit, b.size())));
  size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  std::memcpy(b.data() + at, to.data(), to.size());
  write_file(path, b);
}

// Where a tensor's entry starts in a shard's JSON header, and the header's length.
size_t st_header_len(const std::string& path) { return static_cast<size_t>(get<uint64_t>(read_file(path), 0)); }

}  // namespace

TEST_CASE("safetensors: missing shard, missing config, bad index") {
  CHECK(load_patched_st([](const std::string& d) { fs::remove(d + "/" + kShard2); }) == GEMMA4_ERR_IO);
  CHECK(load_patched_st([](const std::string& d) { fs::remove(d + "/config.json"); }) == GEMMA4_ERR_IO);
  CHECK(load_patched_st([](const std::string& d) { fs::remove(d + "/tokenizer.json"); }) == GEMMA4_ERR_IO);
  // The index names a shard that is not there.
  CHECK(load_patched_st([](const std::string& d) {
          replace_in(d + "/model.safetensors.index.json", "model-00002-of-00002", "model-00009-of-00002");
        }) == GEMMA4_ERR_IO);
  CHECK(load_patched_st([](const std::string& d) {
          Bytes b = read_file(d + "/model.safetensors.index.json");
          write_file(d + "/model.safetensors.index.json", b, b.size() / 2);  // cut JSON
        }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_st([](const std::string& d) {
          Bytes b = read_file(d + "/config.json");
          b[0] = '[';
          write_file(d + "/config.json", b);
        }) == GEMMA4_ERR_BAD_FORMAT);
}

TEST_CASE("safetensors: bad headers, truncated data, missing tensor, wrong dtype and shape") {
  std::string msg;
  // Header length beyond the file, zero, or not covering valid JSON.
  CHECK(load_patched_st([](const std::string& d) {
          Bytes b = read_file(d + "/" + kShard1);
          put<uint64_t>(b, 0, 1ull << 60);
          write_file(d + "/" + kShard1, b);
        }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_st([](const std::string& d) {
          Bytes b = read_file(d + "/" + kShard1);
          put<uint64_t>(b, 0, 0);
          write_file(d + "/" + kShard1, b);
        }) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(load_patched_st([](const std::string& d) {
          Bytes b = read_file(d + "/" + kShard2);
          b[8] = '!';
          write_file(d + "/" + kShard2, b);
        }) == GEMMA4_ERR_BAD_FORMAT);
  for (size_t cut : {size_t(3), size_t(8), size_t(100)}) {
    CAPTURE(cut);
    CHECK(load_patched_st([cut](const std::string& d) {
            Bytes b = read_file(d + "/" + kShard2);
            write_file(d + "/" + kShard2, b, cut);
          }) == GEMMA4_ERR_BAD_FORMAT);
  }
  CHECK(load_patched_st([](const std::string& d) {
          Bytes b = read_file(d + "/" + kShard2);
          write_file(d + "/" + kShard2, b, b.size() - 1);  // the last tensor's data is cut
        }) == GEMMA4_ERR_BAD_FORMAT);
  // A tensor renamed in its shard header but still listed in the index: missing.
  CHECK(load_patched_st(
            [](const std::string& d) {
              replace_in(d + "/" + kShard1, "layers.0.mlp.up_proj.weight", "layers.0.mlp.up_proj.weighX",
                         8 + st_header_len(d + "/" + kShard1));
            },
            &msg) == GEMMA4_ERR_BAD_FORMAT);
  CHECK(msg.find("up_proj") != std::string::npos);
  // A tensor left out of the index (renamed there): missing too.
  CHECK(load_patched_st([](const std::string& d) {
          replace_in(d + "/model.safetensors.index.json", "layers.1.mlp.down_proj.weight", "layers.1.mlp.down_proj.weighX");
        }) == GEMMA4_ERR_BAD_FORMAT);
  // A norm stored as I32 (same size as F32): not a float type.
  {
    gemma4_status st = load_patched_st(
        [](const std::string& d) {
          const std::string shard = d + "/" + kShard1;
          Bytes b = read_file(shard);
          std::string h(b.begin() + 8, b.begin() + 8 + static_cast<long>(st_header_len(shard)));
          size_t at = h.find("\"model.language_model.layers.0.input_layernorm.weight\"");
          REQUIRE(at != std::string::npos);
          size_t dt = h.find("\"F32\"", at);
          REQUIRE(dt != std::string::npos);
          std::memcpy(b.data() + 8 + dt, "\"I32\"", 5);
          write_file(shard, b);
        },
        &msg);
    CHECK((st == GEMMA4_ERR_BAD_FORMAT || st == GEMMA4_ERR_UNSUPPORTED));
    CHECK(msg.find("input_layernorm") != std::string::npos);
  }
  // A norm whose shape disagrees with its data_offsets and the config.
  CHECK(load_patched_st([](const std::string& d) {
          const std::string shard = d + "/" + kShard1;
          Bytes b = read_file(shard);
          std::string h(b.begin() + 8, b.begin() + 8 + static_cast<long>(st_header_len(shard)));
          size_t at = h.find("\"model.language_model.layers.0.input_layernorm.weight\"");
          REQUIRE(at != std::string::npos);
          size_t sh = h.find("[256]", at);
          REQUIRE(sh != std::string::npos);
          std::memcpy(b.data() + 8 + sh, "[128]", 5);
          write_file(shard, b);
        }) == GEMMA4_ERR_BAD_FORMAT);
  // The config disagrees with the tensors (hidden size).
  CHECK(load_patched_st([](const std::string& d) {
          replace_in(d + "/config.json", "\"hidden_size\": 256", "\"hidden_size\": 128");
        }) == GEMMA4_ERR_BAD_FORMAT);
}
