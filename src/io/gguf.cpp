// GGUF v2/v3 reader for untrusted files.
//
// Layout (all little-endian): "GGUF", u32 version, u64 tensor_count, u64 kv_count, the kv
// pairs (string key, u32 value type, value), the tensor infos (string name, u32 n_dims,
// u64 ne[n_dims], u32 ggml type, u64 offset into the data section), padding up to
// general.alignment, then the data section. A string is a u64 byte length plus the bytes.
//
// Nothing read from the file is trusted: each read is bounds-checked against the bytes that
// remain, counts are checked against the smallest encoding their elements could have (so a
// huge count fails before anything is allocated), and the total number of array elements is
// capped because each one becomes a GgufValue of ~100 bytes.
#include "io/gguf.h"

#include <cstring>

#include "base/error.h"

namespace g4 {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the GGUF reader assumes a little-endian host");

namespace {

constexpr uint32_t kDefaultAlignment = 32;
constexpr uint64_t kMaxKeyBytes = 65535;         // GGUF keys are short ASCII paths
constexpr uint64_t kMaxArrayElements = 1u << 22;  // all arrays together; a 262k vocab uses ~1.3M
constexpr uint32_t kMaxDims = 4;

// GGML type ids as numbered by ggml.h, for error messages. Ids 4, 5 and 31..33 were removed
// from ggml but keep their numbers.
const char* ggml_type_name(uint32_t id) {
  static const char* const names[] = {
      "F32",     "F16",      "Q4_0",    "Q4_1",       "Q4_2",       "Q4_3",       "Q5_0",   "Q5_1",
      "Q8_0",    "Q8_1",     "Q2_K",    "Q3_K",       "Q4_K",       "Q5_K",       "Q6_K",   "Q8_K",
      "IQ2_XXS", "IQ2_XS",   "IQ3_XXS", "IQ1_S",      "IQ4_NL",     "IQ3_S",      "IQ2_S",  "IQ4_XS",
      "I8",      "I16",      "I32",     "I64",        "F64",        "IQ1_M",      "BF16",   "Q4_0_4_4",
      "Q4_0_4_8", "Q4_0_8_8", "TQ1_0",  "TQ2_0",      "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4",
  };
  return id < sizeof(names) / sizeof(names[0]) ? names[id] : "unknown";
}

bool dtype_from_ggml(uint32_t id, DType& out) {
  switch (id) {
    case 0: out = DType::F32; return true;
    case 1: out = DType::F16; return true;
    case 2: out = DType::Q4_0; return true;
    case 8: out = DType::Q8_0; return true;
    case 12: out = DType::Q4_K; return true;
    case 14: out = DType::Q6_K; return true;
    case 30: out = DType::BF16; return true;
    default: return false;
  }
}

const char* value_type_name(GgufType t) {
  switch (t) {
    case GgufType::u8: return "u8";
    case GgufType::i8: return "i8";
    case GgufType::u16: return "u16";
    case GgufType::i16: return "i16";
    case GgufType::u32: return "u32";
    case GgufType::i32: return "i32";
    case GgufType::f32: return "f32";
    case GgufType::boolean: return "bool";
    case GgufType::string: return "string";
    case GgufType::array: return "array";
    case GgufType::u64: return "u64";
    case GgufType::i64: return "i64";
    case GgufType::f64: return "f64";
  }
  return "?";
}

// Smallest encoded size of one value of type t (strings: the u64 length alone).
size_t min_value_bytes(GgufType t) {
  switch (t) {
    case GgufType::u8:
    case GgufType::i8:
    case GgufType::boolean: return 1;
    case GgufType::u16:
    case GgufType::i16: return 2;
    case GgufType::u32:
    case GgufType::i32:
    case GgufType::f32: return 4;
    case GgufType::u64:
    case GgufType::i64:
    case GgufType::f64:
    case GgufType::string: return 8;
    case GgufType::array: return 12;  // u32 element type + u64 count
  }
  return 1;
}

bool is_numeric(GgufType t) {
  return t != GgufType::boolean && t != GgufType::string && t != GgufType::array;
}

bool is_float(GgufType t) { return t == GgufType::f32 || t == GgufType::f64; }

}  // namespace

class GgufParser {
 public:
  GgufParser(GgufFile& f, const uint8_t* data, size_t size, const std::string& name)
      : f_(f), d_(data), size_(size), name_(name) {}

  void run() {
    f_.data_ = d_;
    f_.size_ = size_;
    read_header();
    uint64_t n_tensors = u64("tensor count");
    uint64_t n_kv = u64("metadata count");
    // A kv pair needs at least 8 (key length) + 1 (key) + 4 (type) + 1 (value) bytes, a tensor
    // info 8 + 1 + 4 + 8 + 4 + 8.
    check_count(n_kv, 14, "metadata count");
    check_count(n_tensors, 33, "tensor count");
    for (uint64_t i = 0; i < n_kv; ++i) read_kv();
    uint32_t alignment = read_alignment();
    f_.tensors_.reserve(static_cast<size_t>(n_tensors));
    std::vector<uint64_t> offsets;
    offsets.reserve(static_cast<size_t>(n_tensors));
    for (uint64_t i = 0; i < n_tensors; ++i) offsets.push_back(read_tensor_info(alignment));
    place_tensors(offsets, alignment);
  }

 private:
  GgufFile& f_;
  const uint8_t* d_;
  size_t size_;
  const std::string& name_;
  size_t pos_ = 0;
  uint64_t array_elements_ = 0;

  [[noreturn]] void error(Status s, const std::string& msg) const {
    fail(s, "GGUF '" + name_ + "': " + msg);
  }
  [[noreturn]] void error(const std::string& msg) const { error(Status::bad_format, msg); }

  size_t remaining() const { return size_ - pos_; }

  void need(size_t n, const char* what) const {
    if (remaining() < n)
      error("truncated at byte " + std::to_string(pos_) + " reading " + what + " (need " + std::to_string(n) +
            " bytes, " + std::to_string(remaining()) + " left)");
  }

  template <class T>
  T scalar(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, d_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  uint32_t u32(const char* what) { return scalar<uint32_t>(what); }
  uint64_t u64(const char* what) { return scalar<uint64_t>(what); }

  void check_count(uint64_t n, size_t min_bytes, const char* what) const {
    if (n > remaining() / min_bytes)
      error(std::string(what) + " " + std::to_string(n) + " cannot fit in the " + std::to_string(remaining()) +
            " bytes left at byte " + std::to_string(pos_));
  }

  std::string string(const char* what, uint64_t max_len) {
    size_t at = pos_;
    uint64_t len = u64(what);
    if (len > max_len)
      error(std::string(what) + " at byte " + std::to_string(at) + " has length " + std::to_string(len) +
            " (at most " + std::to_string(max_len) + " allowed)");
    need(static_cast<size_t>(len), what);
    std::string s(reinterpret_cast<const char*>(d_ + pos_), static_cast<size_t>(len));
    pos_ += static_cast<size_t>(len);
    return s;
  }

  void read_header() {
    need(4, "the magic");
    if (std::memcmp(d_, "GGUF", 4) != 0) error("not a GGUF file (bad magic)");
    pos_ = 4;
    uint32_t v = u32("the version");
    if (v == 1) error(Status::unsupported, "GGUF version 1 is not supported (only versions 2 and 3)");
    if (v == 0x02000000u || v == 0x03000000u) error(Status::unsupported, "big-endian GGUF is not supported");
    if (v == 0) error("invalid GGUF version 0");
    if (v > 3) error(Status::unsupported, "GGUF version " + std::to_string(v) + " is not supported (only 2 and 3)");
    f_.version_ = v;
  }

  GgufType value_type(const std::string& key, const char* what) {
    size_t at = pos_;
    uint32_t t = u32(what);
    if (t > static_cast<uint32_t>(GgufType::f64))
      error("key '" + key + "': invalid value type " + std::to_string(t) + " at byte " + std::to_string(at));
    return static_cast<GgufType>(t);
  }

  // Reads one non-array value of type t into v.
  void read_scalar(GgufType t, GgufValue& v, const std::string& key) {
    v.type = t;
    switch (t) {
      case GgufType::u8: set_int(v, scalar<uint8_t>("a u8 value")); break;
      case GgufType::i8: set_int(v, scalar<int8_t>("an i8 value")); break;
      case GgufType::u16: set_int(v, scalar<uint16_t>("a u16 value")); break;
      case GgufType::i16: set_int(v, scalar<int16_t>("an i16 value")); break;
      case GgufType::u32: set_int(v, scalar<uint32_t>("a u32 value")); break;
      case GgufType::i32: set_int(v, scalar<int32_t>("an i32 value")); break;
      case GgufType::i64: set_int(v, scalar<int64_t>("an i64 value")); break;
      case GgufType::u64: {
        uint64_t u = scalar<uint64_t>("a u64 value");
        v.i = static_cast<int64_t>(u);  // wraps above INT64_MAX; get_int rejects that case
        v.f = static_cast<double>(u);
        break;
      }
      case GgufType::f32: set_float(v, scalar<float>("an f32 value")); break;
      case GgufType::f64: set_float(v, scalar<double>("an f64 value")); break;
      case GgufType::boolean: {
        size_t at = pos_;
        uint8_t b = scalar<uint8_t>("a bool value");
        if (b > 1)
          error("key '" + key + "': bool value " + std::to_string(b) + " at byte " + std::to_string(at) +
                " is neither 0 nor 1");
        set_int(v, b);
        break;
      }
      case GgufType::string: v.str = string("a string value", UINT64_MAX); break;
      case GgufType::array: error("key '" + key + "': nested arrays are not supported");
    }
  }

  static void set_int(GgufValue& v, int64_t x) {
    v.i = x;
    v.f = static_cast<double>(x);
  }
  static void set_float(GgufValue& v, double x) {
    v.f = x;
    // Converting a NaN or out-of-range double to int64 is undefined; keep 0 there.
    v.i = (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? static_cast<int64_t>(x) : 0;
  }

  void read_kv() {
    size_t at = pos_;
    std::string key = string("a metadata key", kMaxKeyBytes);
    if (key.empty()) error("empty metadata key at byte " + std::to_string(at));
    if (f_.kv_.count(key)) error("duplicate metadata key '" + key + "'");
    GgufValue v;
    GgufType t = value_type(key, "a metadata value type");
    if (t == GgufType::array) {
      v.type = GgufType::array;
      v.elem_type = value_type(key, "an array element type");
      if (v.elem_type == GgufType::array) error(Status::unsupported, "key '" + key + "': nested arrays are not supported");
      uint64_t n = u64("an array count");
      check_count(n, min_value_bytes(v.elem_type), ("array '" + key + "' element count").c_str());
      array_elements_ += n;
      if (array_elements_ > kMaxArrayElements)
        error("metadata arrays hold more than " + std::to_string(kMaxArrayElements) + " elements in total (at key '" +
              key + "')");
      v.arr.resize(static_cast<size_t>(n));
      for (auto& e : v.arr) read_scalar(v.elem_type, e, key);
    } else {
      read_scalar(t, v, key);
    }
    f_.kv_.emplace(std::move(key), std::move(v));
  }

  uint32_t read_alignment() const {
    auto it = f_.kv_.find("general.alignment");
    if (it == f_.kv_.end()) return kDefaultAlignment;
    const GgufValue& v = it->second;
    if (v.type != GgufType::u32)
      error(std::string("general.alignment must be a u32, found ") + value_type_name(v.type));
    uint64_t a = static_cast<uint64_t>(v.i);
    if (a == 0 || (a & (a - 1)) != 0) error("general.alignment " + std::to_string(a) + " is not a power of two");
    return static_cast<uint32_t>(a);
  }

  // Reads one tensor info; checks its shape and type and returns its data offset.
  uint64_t read_tensor_info(uint32_t alignment) {
    size_t at = pos_;
    TensorInfo t;
    t.name = string("a tensor name", kMaxKeyBytes);
    if (t.name.empty()) error("empty tensor name at byte " + std::to_string(at));
    if (f_.index_.count(t.name)) error("duplicate tensor name '" + t.name + "'");
    const std::string where = "tensor '" + t.name + "'";
    uint32_t n_dims = u32("a tensor's n_dims");
    if (n_dims == 0 || n_dims > kMaxDims)
      error(where + " has n_dims " + std::to_string(n_dims) + " (must be 1.." + std::to_string(kMaxDims) + ")");
    int64_t n_elements = 1;
    for (uint32_t i = 0; i < n_dims; ++i) {
      uint64_t ne = u64("a tensor dimension");
      if (ne == 0 || ne > static_cast<uint64_t>(INT64_MAX))
        error(where + " has invalid dimension ne[" + std::to_string(i) + "] = " + std::to_string(ne));
      if (__builtin_mul_overflow(n_elements, static_cast<int64_t>(ne), &n_elements))
        error(where + ": element count overflows");
      t.ne.push_back(static_cast<int64_t>(ne));
    }
    uint32_t type_id = u32("a tensor type");
    if (!dtype_from_ggml(type_id, t.type))
      error(Status::unsupported, where + " has type " + ggml_type_name(type_id) + " (" + std::to_string(type_id) +
                                     "), which libgemma4 does not support; supported: F32 F16 BF16 Q8_0 Q4_0 "
                                     "Q4_K Q6_K");
    int64_t block = dtype_block_elems(t.type);
    if (t.ne[0] % block != 0)
      error(where + ": ne[0] = " + std::to_string(t.ne[0]) + " is not a multiple of the " + dtype_name(t.type) +
            " block size " + std::to_string(block));
    // Row bytes <= 2 * ne[0] * 4 fits easily; the product with the other dims may not.
    uint64_t nbytes = dtype_row_bytes(t.type, t.ne[0]);
    for (uint32_t i = 1; i < n_dims; ++i)
      if (__builtin_mul_overflow(nbytes, static_cast<uint64_t>(t.ne[i]), &nbytes))
        error(where + ": byte size overflows");
    if (nbytes > size_) error(where + " needs " + std::to_string(nbytes) + " bytes, more than the whole file");
    t.nbytes = static_cast<size_t>(nbytes);
    uint64_t offset = u64("a tensor offset");
    if (offset % alignment != 0)
      error(where + ": data offset " + std::to_string(offset) + " is not a multiple of the alignment " +
            std::to_string(alignment));
    f_.index_.emplace(t.name, f_.tensors_.size());
    f_.tensors_.push_back(std::move(t));
    return offset;
  }

  void place_tensors(const std::vector<uint64_t>& offsets, uint32_t alignment) {
    // The data section starts at the first aligned byte after the tensor infos. pos_ <= size_,
    // so this cannot overflow.
    uint64_t data_start = (static_cast<uint64_t>(pos_) + alignment - 1) / alignment * alignment;
    for (size_t i = 0; i < offsets.size(); ++i) {
      TensorInfo& t = f_.tensors_[i];
      uint64_t begin = 0, end = 0;
      if (__builtin_add_overflow(data_start, offsets[i], &begin) ||
          __builtin_add_overflow(begin, static_cast<uint64_t>(t.nbytes), &end) || end > size_)
        error("tensor '" + t.name + "': data [" + std::to_string(offsets[i]) + ", +" + std::to_string(t.nbytes) +
              ") at file offset " + std::to_string(data_start) + " lies outside the file of " +
              std::to_string(size_) + " bytes");
      t.data = d_ + begin;
    }
  }
};

std::unique_ptr<GgufFile> GgufFile::parse(const uint8_t* data, size_t size, const std::string& name_for_errors) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  GgufParser(*f, data, size, name_for_errors).run();
  return f;
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string& path, bool use_mmap) {
  auto file = std::make_unique<MappedFile>(path, use_mmap);
  auto f = parse(file->data(), file->size(), path);
  f->file_ = std::move(file);
  return f;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

const TensorInfo* GgufFile::tensor(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

namespace {
[[noreturn]] void type_error(const std::string& key, const char* expected, GgufType got) {
  fail(Status::bad_format, "GGUF key '" + key + "' should be " + expected + ", found " + value_type_name(got));
}
}  // namespace

bool GgufFile::get_int(const std::string& key, int64_t& out) const {
  const GgufValue* v = find(key);
  if (!v) return false;
  if (!is_numeric(v->type)) type_error(key, "an integer", v->type);
  if (v->type == GgufType::u64 && v->i < 0)
    fail(Status::bad_format, "GGUF key '" + key + "': value " + std::to_string(static_cast<uint64_t>(v->i)) +
                                 " does not fit in int64");
  if (is_float(v->type) &&
      !(v->f >= -9223372036854775808.0 && v->f < 9223372036854775808.0 && static_cast<double>(v->i) == v->f))
    fail(Status::bad_format, "GGUF key '" + key + "': value " + std::to_string(v->f) + " is not an integer");
  out = v->i;
  return true;
}

bool GgufFile::get_float(const std::string& key, double& out) const {
  const GgufValue* v = find(key);
  if (!v) return false;
  if (!is_numeric(v->type)) type_error(key, "a number", v->type);
  out = v->f;
  return true;
}

bool GgufFile::get_bool(const std::string& key, bool& out) const {
  const GgufValue* v = find(key);
  if (!v) return false;
  if (v->type != GgufType::boolean) type_error(key, "a bool", v->type);
  out = v->i != 0;
  return true;
}

bool GgufFile::get_string(const std::string& key, std::string& out) const {
  const GgufValue* v = find(key);
  if (!v) return false;
  if (v->type != GgufType::string) type_error(key, "a string", v->type);
  out = v->str;
  return true;
}

}  // namespace g4
