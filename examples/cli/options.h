// Command line of gemma4-cli: what the user asked for, parsed and checked, nothing run yet.
#ifndef GEMMA4_CLI_OPTIONS_H
#define GEMMA4_CLI_OPTIONS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cli {

// One media item of the command line, in the order given.
struct Media {
  enum class Kind { image, audio, video } kind = Kind::image;
  std::string path;
};

struct Options {
  std::string model;
  int32_t n_threads = 0;        // 0 = the library's choice (online CPUs)
  int32_t n_ctx = 0;            // 0 = the library's default
  int32_t n_predict = 512;      // < 0: until an end token or a full context; 0: prefill only
  // Sampling: unset = the library's default (gemma4_generate_params_default).
  std::optional<float> temperature, top_p, min_p, repeat_penalty;
  std::optional<int32_t> top_k, repeat_last_n;
  std::optional<uint64_t> seed;
  std::string system;
  std::string prompt;
  bool have_prompt = false;     // -p or -f given (an empty prompt is still a prompt)
  bool interactive = false;     // -i
  bool think = false;
  bool no_mmap = false;
  int32_t kv_type = 0;  // GEMMA4_KV_F16
  bool raw = false;
  bool tokenize = false;
  std::string logits_out;
  std::vector<std::string> stops;
  std::string mmproj;           // --mmproj: GGUF projector with the image/audio embedders
  std::vector<Media> media;     // --image / --audio / --video, in command-line order
  int32_t image_tokens = 0;     // 0 = the library's default (280)
  int32_t video_tokens = 0;     // 0 = --image-tokens if given, else 70
  double video_fps = 1.0;
  int verbose = 0;              // each -v raises the log level by one above WARN
};

// What parse() decided: run, or exit at once with `exit_code` (help, version, usage error).
struct ParseResult {
  bool run = false;
  int exit_code = 0;
};

// Parses argv into *opt. Prints help/version to stdout and usage errors to stderr itself.
ParseResult parse(int argc, char** argv, Options* opt);

}  // namespace cli

#endif  // GEMMA4_CLI_OPTIONS_H
