// A libFuzzer-compatible driver for compilers without -fsanitize=fuzzer: replays every file of
// a corpus through LLVMFuzzerTestOneInput, then deterministic mutations of each (bit flips,
// byte sets, "interesting" integers, truncations, insertions, chunk copies) from a fixed seed.
//
//   <target> [--iterations N] <corpus dir or file>...
//
// A corpus directory with a subdirectory named after the target ("gguf" for gguf_fuzz) is
// read from that subdirectory only. Each input is passed in a heap block of exactly its size
// so that AddressSanitizer catches any overread.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

struct Rng {  // splitmix64: small, fast and the same on every platform
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
};

void run_one(const std::vector<uint8_t>& input) {
  std::unique_ptr<uint8_t[]> buf(new uint8_t[input.size()]);
  if (!input.empty()) std::memcpy(buf.get(), input.data(), input.size());
  LLVMFuzzerTestOneInput(buf.get(), input.size());
}

void put_le(std::vector<uint8_t>& b, size_t at, uint64_t v, size_t width) {
  for (size_t i = 0; i < width && at + i < b.size(); ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

void mutate(std::vector<uint8_t>& b, Rng& rng) {
  static const uint64_t kInteresting[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 32, 33, 63, 64, 255, 256, 0x7fff, 0xffff,
                                          0x7fffffff, 0x80000000u, 0xffffffffu, 1ull << 32, 1ull << 62, 1ull << 63,
                                          ~0ull, ~0ull - 7};
  int n_ops = 1 + static_cast<int>(rng.below(4));
  for (int op = 0; op < n_ops; ++op) {
    size_t at = rng.below(b.size() + 1);
    switch (rng.below(8)) {
      case 0:  // bit flip
        if (!b.empty()) b[rng.below(b.size())] ^= static_cast<uint8_t>(1u << rng.below(8));
        break;
      case 1:  // byte set
        if (!b.empty()) b[rng.below(b.size())] = static_cast<uint8_t>(rng.next());
        break;
      case 2:  // an interesting little-endian integer of width 1, 2, 4 or 8
        put_le(b, at, kInteresting[rng.below(sizeof(kInteresting) / sizeof(kInteresting[0]))],
               size_t{1} << rng.below(4));
        break;
      case 3:  // truncation
        b.resize(rng.below(b.size() + 1));
        break;
      case 4: {  // insertion of 1..8 random bytes
        size_t n = 1 + rng.below(8);
        std::vector<uint8_t> ins(n);
        for (auto& c : ins) c = static_cast<uint8_t>(rng.next());
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), ins.begin(), ins.end());
        break;
      }
      case 5: {  // copy a chunk of the input over another place
        if (b.size() < 2) break;
        size_t from = rng.below(b.size()), n = 1 + rng.below(std::min<size_t>(16, b.size() - from));
        std::vector<uint8_t> chunk(b.begin() + static_cast<std::ptrdiff_t>(from),
                                   b.begin() + static_cast<std::ptrdiff_t>(from + n));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), chunk.begin(), chunk.end());
        break;
      }
      case 6:  // erase a range
        if (at < b.size()) b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                                   b.begin() + static_cast<std::ptrdiff_t>(at + 1 + rng.below(std::min<size_t>(16, b.size() - at))));
        break;
      case 7:  // a text-format token (JSON structure characters and escapes)
      {
        static const char* const kTokens[] = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "-", "e",
                                              "0", "1e999", "null", "\xff", "\xc3", " "};
        const char* t = kTokens[rng.below(sizeof(kTokens) / sizeof(kTokens[0]))];
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), t, t + std::strlen(t));
        break;
      }
    }
  }
}

std::vector<uint8_t> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  long iterations = 2000;
  std::vector<fs::path> roots;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) iterations = std::atol(argv[++i]);
    else roots.emplace_back(argv[i]);
  }
  if (roots.empty()) {
    std::fprintf(stderr, "usage: %s [--iterations N] <corpus dir or file>...\n", argv[0]);
    return 2;
  }
  std::string target = fs::path(argv[0]).filename().string();
  if (target.size() > 5 && target.compare(target.size() - 5, 5, "_fuzz") == 0) target.resize(target.size() - 5);

  std::vector<fs::path> files;
  for (fs::path root : roots) {
    if (fs::is_directory(root / target)) root /= target;
    if (fs::is_regular_file(root)) {
      files.push_back(root);
      continue;
    }
    if (!fs::is_directory(root)) {
      std::fprintf(stderr, "%s: no such corpus '%s'\n", argv[0], root.c_str());
      return 2;
    }
    for (const auto& e : fs::recursive_directory_iterator(root))
      if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());  // deterministic order, hence deterministic mutations

  run_one({});
  size_t runs = 1;
  for (size_t k = 0; k < files.size(); ++k) {
    std::vector<uint8_t> seed = read_file(files[k]);
    run_one(seed);
    Rng rng{0x6a656d6d61340000ull + k};
    std::vector<uint8_t> cur = seed;
    for (long it = 0; it < iterations; ++it) {
      // Mostly mutate the seed afresh; sometimes keep stacking mutations on the last input.
      if (rng.below(4) != 0 || cur.size() > 4 * seed.size() + 64) cur = seed;
      mutate(cur, rng);
      run_one(cur);
    }
    runs += 1 + static_cast<size_t>(iterations);
  }
  std::printf("%s: %zu corpus files, %zu inputs, no crash\n", argv[0], files.size(), runs);
  return 0;
}
