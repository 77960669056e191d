// Safetensors reader for untrusted Hugging Face model folders.
//
// A shard is: u64 little-endian header length N, N bytes of JSON
//   {"<tensor>": {"dtype": "BF16", "shape": [out, in], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {...}}
// then the data buffer; offsets are relative to the first byte after the header. A sharded
// model adds model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor: file}}.
//
// Every offset, shape and dtype is checked against the shard before a TensorInfo points into
// it. Overlapping tensor ranges are not rejected: they are harmless in a read-only image.
#include "io/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "base/error.h"

namespace g4 {

namespace {

// Far above any real header (a 12B model's largest shard header is well under 1 MB) but small
// enough that a hostile length cannot make us parse gigabytes of JSON.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

bool dtype_from_safetensors(const std::string& s, DType& out) {
  if (s == "F32") out = DType::F32;
  else if (s == "F16") out = DType::F16;
  else if (s == "BF16") out = DType::BF16;
  else return false;
  return true;
}

// A dtype string from the file, shortened so a hostile one cannot flood the message.
std::string quoted(const std::string& s) {
  return "'" + (s.size() > 40 ? s.substr(0, 40) + "..." : s) + "'";
}

// A JSON number that is a non-negative integer below 2^63.
bool json_index(const Json& j, uint64_t& out) {
  if (!j.is_number()) return false;
  double d = j.as_number();
  if (!(d >= 0 && d < 9223372036854775808.0) || static_cast<double>(static_cast<uint64_t>(d)) != d) return false;
  out = static_cast<uint64_t>(d);
  return true;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A shard name from the index must name a file inside the folder.
bool plain_file_name(const std::string& f) {
  return !f.empty() && f != "." && f != ".." && f.find('/') == std::string::npos &&
         f.find('\0') == std::string::npos;
}

}  // namespace

void SafetensorsModel::add_shard(const uint8_t* data, size_t size, const std::string& name) {
  const std::string file = "safetensors '" + name + "': ";
  if (size < 8) fail(Status::bad_format, file + "file of " + std::to_string(size) + " bytes is too small");
  uint64_t n;
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the safetensors reader assumes a little-endian host");
  std::memcpy(&n, data, 8);
  if (n > kMaxHeaderBytes || n > size - 8)
    fail(Status::bad_format, file + "header length " + std::to_string(n) + " exceeds the file (" +
                                 std::to_string(size) + " bytes) or the " + std::to_string(kMaxHeaderBytes) +
                                 "-byte limit");
  Json header;
  try {
    header = Json::parse(std::string_view(reinterpret_cast<const char*>(data + 8), static_cast<size_t>(n)));
  } catch (const Error& e) {
    fail(Status::bad_format, file + "header: " + e.what());
  }
  if (!header.is_object()) fail(Status::bad_format, file + "the header is not a JSON object");
  const uint8_t* buffer = data + 8 + n;
  const uint64_t buffer_size = size - 8 - n;
  bytes_ += size;

  for (const auto& [tname, desc] : header.as_object()) {
    if (tname == "__metadata__") {
      if (!desc.is_object()) fail(Status::bad_format, file + "__metadata__ is not an object");
      continue;
    }
    const std::string where = file + "tensor '" + tname + "': ";
    if (!desc.is_object()) fail(Status::bad_format, where + "entry is not an object");
    const Json* dtype = desc.find("dtype");
    const Json* shape = desc.find("shape");
    const Json* offsets = desc.find("data_offsets");
    if (!dtype || !dtype->is_string()) fail(Status::bad_format, where + "missing or non-string \"dtype\"");
    if (!shape || !shape->is_array()) fail(Status::bad_format, where + "missing or non-array \"shape\"");
    if (!offsets || !offsets->is_array() || offsets->size() != 2)
      fail(Status::bad_format, where + "\"data_offsets\" must be an array [begin, end]");
    TensorInfo t;
    t.name = tname;
    if (!dtype_from_safetensors(dtype->as_string(), t.type))
      fail(Status::unsupported, where + "dtype " + quoted(dtype->as_string()) +
                                    " is not supported by libgemma4; supported: F32 F16 BF16");
    // ne is innermost first: the reverse of the row-major shape. A 0-d scalar is one element.
    int64_t n_elements = 1;
    const auto& dims = shape->as_array();
    for (auto it = dims.rbegin(); it != dims.rend(); ++it) {
      uint64_t u;
      if (!json_index(*it, u)) fail(Status::bad_format, where + "shape entries must be non-negative integers");
      int64_t d = static_cast<int64_t>(u);
      if (__builtin_mul_overflow(n_elements, d, &n_elements))
        fail(Status::bad_format, where + "element count overflows");
      t.ne.push_back(d);
    }
    if (t.ne.empty()) t.ne.push_back(1);
    const auto& off = offsets->as_array();
    uint64_t begin, end;
    if (!json_index(off[0], begin) || !json_index(off[1], end))
      fail(Status::bad_format, where + "data_offsets must be non-negative integers");
    if (end < begin || end > buffer_size)
      fail(Status::bad_format, where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                                   ") are reversed or outside the data buffer of " + std::to_string(buffer_size) +
                                   " bytes");
    uint64_t expect;
    if (__builtin_mul_overflow(static_cast<uint64_t>(n_elements), dtype_block_bytes(t.type), &expect))
      fail(Status::bad_format, where + "byte size overflows");
    if (expect != end - begin)
      fail(Status::bad_format, where + "data_offsets span " + std::to_string(end - begin) + " bytes but the shape needs " +
                                   std::to_string(expect) + " bytes of " + dtype_name(t.type));
    t.data = buffer + begin;
    t.nbytes = static_cast<size_t>(end - begin);
    if (!index_.emplace(t.name, tensors_.size()).second)
      fail(Status::bad_format, where + "appears in more than one shard");
    tensors_.push_back(std::move(t));
  }
}

std::unique_ptr<SafetensorsModel> SafetensorsModel::parse_single(const uint8_t* data, size_t size,
                                                                 const std::string& name_for_errors) {
  std::unique_ptr<SafetensorsModel> m(new SafetensorsModel());
  m->add_shard(data, size, name_for_errors);
  return m;
}

std::unique_ptr<SafetensorsModel> SafetensorsModel::open(const std::string& dir, bool use_mmap) {
  std::unique_ptr<SafetensorsModel> m(new SafetensorsModel());
  const std::string index_path = dir + "/model.safetensors.index.json";
  const std::string single_path = dir + "/model.safetensors";
  auto add_file = [&](const std::string& path) {
    m->files_.push_back(std::make_unique<MappedFile>(path, use_mmap));
    const MappedFile& f = *m->files_.back();
    m->add_shard(f.data(), f.size(), path);
  };
  if (!file_exists(index_path)) {
    if (!file_exists(single_path))
      fail(Status::io, "'" + dir + "' holds neither model.safetensors nor model.safetensors.index.json");
    add_file(single_path);
    return m;
  }

  Json index;
  try {
    index = Json::parse(read_text_file(index_path));
  } catch (const Error& e) {
    if (e.status() != Status::bad_format) throw;
    fail(Status::bad_format, "'" + index_path + "': " + e.what());
  }
  const Json* map = index.find("weight_map");
  if (!map || !map->is_object() || map->size() == 0)
    fail(Status::bad_format, "'" + index_path + "': missing or empty \"weight_map\" object");
  // Shards in order of first mention; for each, the range of tensors_ it produced.
  std::vector<std::string> shards;
  std::set<std::string> seen;
  for (const auto& [tname, file] : map->as_object()) {
    if (!file.is_string() || !plain_file_name(file.as_string()))
      fail(Status::bad_format, "'" + index_path + "': weight_map entry for '" + tname +
                                   "' must be a file name inside the model folder");
    if (seen.insert(file.as_string()).second) shards.push_back(file.as_string());
  }
  std::map<std::string, std::pair<size_t, size_t>> range;
  for (const auto& s : shards) {
    size_t first = m->tensors_.size();
    add_file(dir + "/" + s);
    range[s] = {first, m->tensors_.size()};
  }
  for (const auto& [tname, file] : map->as_object()) {
    auto it = m->index_.find(tname);
    auto r = range[file.as_string()];
    if (it == m->index_.end() || it->second < r.first || it->second >= r.second)
      fail(Status::bad_format, "'" + index_path + "': tensor '" + tname + "' is listed in shard '" +
                                   file.as_string() + "' but that shard does not contain it");
  }
  return m;
}

const TensorInfo* SafetensorsModel::tensor(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

size_t SafetensorsModel::bytes_mapped() const { return bytes_; }

std::string read_text_file(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(Status::io, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(Status::io, "'" + path + "' is not a readable regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    fail(Status::io, "'" + path + "' is " + std::to_string(st.st_size) + " bytes, more than the " +
                         std::to_string(max_bytes) + "-byte limit");
  }
  std::string s(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < s.size()) {
    ssize_t r = ::read(fd, &s[got], s.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      fail(Status::io, "read error on '" + path + "': " + std::strerror(err));
    }
    if (r == 0) break;  // the file shrank while we read: keep what is there
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  s.resize(got);
  return s;
}

}  // namespace g4
