#include "report.h"

#include <cmath>

namespace bench {

ModelDesc describe(const std::string& path, const gemma4_model_info& info) {
  ModelDesc d;
  d.filename = path;
  char size[32];
  if (info.n_params >= 1000000000ull) std::snprintf(size, sizeof size, "%.0fB", info.n_params / 1e9);
  else std::snprintf(size, sizeof size, "%.0fM", info.n_params / 1e6);
  d.type = std::string("gemma4 ") + size + " " + (info.weight_type ? info.weight_type : "?");
  d.size_bytes = info.bytes_weights;
  d.n_params = info.n_params;
  d.isa = info.isa ? info.isa : "?";
  return d;
}

std::string test_name(const Row& r) {
  std::string s = r.n_prompt > 0 ? "pp" + std::to_string(r.n_prompt) : "tg" + std::to_string(r.n_gen);
  if (r.n_depth > 0) s += " @ d" + std::to_string(r.n_depth);
  return s;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

double stddev(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double m = mean(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / (v.size() - 1));
}

double bound_ts(const Row& r) {
  if (r.n_gen <= 0 || r.bandwidth_gbs <= 0 || r.model.size_bytes == 0) return 0;
  return r.bandwidth_gbs * 1e9 / static_cast<double>(r.model.size_bytes);
}

namespace {
// "6.50 GiB" / "15.3 MiB", and "11.77 B" / "4.2 M" parameters: readable for 12B and test models.
std::string human_bytes(uint64_t b) {
  char s[32];
  if (b >= (1ull << 30)) std::snprintf(s, sizeof s, "%.2f GiB", b / 1073741824.0);
  else std::snprintf(s, sizeof s, "%.1f MiB", b / 1048576.0);
  return s;
}
std::string human_count(uint64_t n) {
  char s[32];
  if (n >= 1000000000ull) std::snprintf(s, sizeof s, "%.2f B", n / 1e9);
  else std::snprintf(s, sizeof s, "%.1f M", n / 1e6);
  return s;
}
}  // namespace

void print_md(const std::vector<Row>& rows, FILE* out) {
  std::fprintf(out, "| model | size | params | isa | threads | test | t/s | ttft ms | peak RSS | bw GB/s | bound t/s | of bound |\n");
  std::fprintf(out, "| ----- | ---: | -----: | --- | ------: | ---- | --: | ------: | -------: | ------: | --------: | -------: |\n");
  for (const Row& r : rows) {
    char bw[32] = "", bound[32] = "", frac[32] = "";
    const double b = bound_ts(r);
    if (b > 0) {
      std::snprintf(bw, sizeof bw, "%.1f", r.bandwidth_gbs);
      std::snprintf(bound, sizeof bound, "%.2f", b);
      std::snprintf(frac, sizeof frac, "%.0f%%", 100.0 * mean(r.samples_ts) / b);
    }
    std::fprintf(out, "| %s | %s | %s | %s | %d | %s | %.2f ± %.2f | %.1f | %s | %s | %s | %s |\n",
                 r.model.type.c_str(), human_bytes(r.model.size_bytes).c_str(), human_count(r.model.n_params).c_str(),
                 r.model.isa.c_str(), r.n_threads, test_name(r).c_str(), mean(r.samples_ts), stddev(r.samples_ts),
                 r.ttft_ms, human_bytes(r.peak_rss_bytes).c_str(), bw, bound, frac);
  }
}

namespace {
std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      o += esc;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}
}  // namespace

void print_json(const std::vector<Row>& rows, FILE* out) {
  std::fprintf(out, "[");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::fprintf(out, "%s\n  {\"model_filename\": %s, \"model_type\": %s, \"model_size\": %llu, "
                 "\"model_n_params\": %llu, \"isa\": %s, \"n_threads\": %d, \"n_prompt\": %d, \"n_gen\": %d, "
                 "\"n_depth\": %d, \"test\": %s, \"avg_ts\": %.6f, \"stddev_ts\": %.6f, \"samples_ts\": [",
                 i ? "," : "", json_string(r.model.filename).c_str(), json_string(r.model.type).c_str(),
                 static_cast<unsigned long long>(r.model.size_bytes), static_cast<unsigned long long>(r.model.n_params),
                 json_string(r.model.isa).c_str(), r.n_threads, r.n_prompt, r.n_gen, r.n_depth,
                 json_string(test_name(r)).c_str(), mean(r.samples_ts), stddev(r.samples_ts));
    for (size_t k = 0; k < r.samples_ts.size(); ++k) std::fprintf(out, "%s%.6f", k ? ", " : "", r.samples_ts[k]);
    std::fprintf(out, "], \"ttft_ms\": %.3f, \"peak_rss_bytes\": %llu", r.ttft_ms,
                 static_cast<unsigned long long>(r.peak_rss_bytes));
    const double b = bound_ts(r);
    if (r.n_gen > 0 && b > 0)
      std::fprintf(out, ", \"bandwidth_gbs\": %.3f, \"bound_ts\": %.6f, \"fraction_of_bound\": %.6f",
                   r.bandwidth_gbs, b, mean(r.samples_ts) / b);
    std::fprintf(out, "}");
  }
  std::fprintf(out, "%s]\n", rows.empty() ? "" : "\n");
}

}  // namespace bench
