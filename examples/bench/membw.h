// Memory read bandwidth of this machine, the ceiling of decode speed: generating one token
// reads every weight once, so tokens/s <= bandwidth / bytes of weights.
#ifndef GEMMA4_BENCH_MEMBW_H
#define GEMMA4_BENCH_MEMBW_H

#include <cstddef>
#include <cstdint>

namespace bench {

// Size of the last-level cache in bytes from sysfs, or 0 if unknown.
uint64_t llc_bytes();

// Median over `passes` of the read bandwidth (bytes/s) of summing a `bytes` buffer with
// `n_threads` threads (0 = online CPUs). Runs in a forked child so the buffer never counts
// toward this process's peak RSS. Returns a negative value on failure.
double read_bandwidth(size_t bytes, int n_threads, int passes);

}  // namespace bench

#endif  // GEMMA4_BENCH_MEMBW_H
