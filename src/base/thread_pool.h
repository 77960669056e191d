// One fixed pool of worker threads per context. The calling thread takes part in every job, so
// a pool of size 1 runs everything inline. Idle workers sleep on a condition variable after a
// short spin: nothing burns CPU once generation ends.
#pragma once
#include <atomic>
#include <exception>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace g4 {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(task, thread) for every task in [0, n_tasks); thread is in [0, size()).
  // Tasks are handed out dynamically. Blocks until all tasks are done. Not reentrant: one job
  // at a time per pool (a context's sessions serialise on it). If a task throws, the remaining
  // tasks are skipped and the first exception is rethrown on the calling thread.
  template <class F>
  void parallel_for(int64_t n_tasks, F&& fn) {
    auto thunk = [](void* ctx, int64_t task, int thread) { (*static_cast<F*>(ctx))(task, thread); };
    run(n_tasks, thunk, static_cast<void*>(&fn));
  }

  // Splits [0, n) into about size()*4 contiguous chunks and calls fn(begin, end, thread).
  template <class F>
  void parallel_range(int64_t n, int64_t min_chunk, F&& fn) {
    if (n <= 0) return;
    int64_t chunks = static_cast<int64_t>(n_threads_) * 4;
    int64_t chunk = (n + chunks - 1) / chunks;
    if (chunk < min_chunk) chunk = min_chunk;
    int64_t n_tasks = (n + chunk - 1) / chunk;
    parallel_for(n_tasks, [&](int64_t t, int thread) {
      int64_t b = t * chunk, e = b + chunk < n ? b + chunk : n;
      fn(b, e, thread);
    });
  }

  std::mutex& job_mutex() { return job_mutex_; }

 private:
  using Thunk = void (*)(void*, int64_t, int);
  void run(int64_t n_tasks, Thunk thunk, void* ctx);
  void worker(int index);
  void work(int thread);

  int n_threads_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::mutex job_mutex_;
  uint64_t generation_ = 0;  // bumped for each job
  bool stop_ = false;
  Thunk thunk_ = nullptr;
  void* ctx_ = nullptr;
  int64_t n_tasks_ = 0;
  std::atomic<int64_t> next_{0};
  std::atomic<int> active_{0};
  std::atomic<uint64_t> spin_generation_{0};
  std::exception_ptr error_;  // first exception of the current job (guarded by mu_)
};

}  // namespace g4
