// Results of gemma4-bench and their two renderings: a Markdown table and llama-bench's JSON.
#ifndef GEMMA4_BENCH_REPORT_H
#define GEMMA4_BENCH_REPORT_H

#include <gemma4.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

struct ModelDesc {
  std::string filename;
  std::string type;         // "gemma4 12B Q4_0", as llama-bench's model_type
  uint64_t size_bytes = 0;  // bytes of weights the decoder reads per token
  uint64_t n_params = 0;
  std::string isa;
};

ModelDesc describe(const std::string& path, const gemma4_model_info& info);

struct Row {
  ModelDesc model;
  int n_threads = 0;
  int n_prompt = 0;  // > 0: prefill test pp<n_prompt>
  int n_gen = 0;     // > 0: decode test tg<n_gen>
  int n_depth = 0;
  std::vector<double> samples_ts;  // tokens/s of each repetition
  double ttft_ms = 0;
  uint64_t peak_rss_bytes = 0;
  double bandwidth_gbs = 0;  // decode rows: measured read bandwidth (0 = not measured)
};

std::string test_name(const Row& r);  // "pp512", "tg128 @ d4096"
double mean(const std::vector<double>& v);
double stddev(const std::vector<double>& v);  // sample standard deviation (n - 1)
// Decode bound in tokens/s: every weight is read once per token. 0 if unknown.
double bound_ts(const Row& r);

void print_md(const std::vector<Row>& rows, FILE* out);
void print_json(const std::vector<Row>& rows, FILE* out);

}  // namespace bench

#endif  // GEMMA4_BENCH_REPORT_H
