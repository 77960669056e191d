#include "base/thread_pool.h"

#include <chrono>

namespace g4 {

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  for (int i = 1; i < n_threads_; ++i) threads_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    spin_generation_.store(~0ull);
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

void ThreadPool::work(int thread) {
  for (;;) {
    int64_t task = next_.fetch_add(1, std::memory_order_relaxed);
    if (task >= n_tasks_) break;
    try {
      thunk_(ctx_, task, thread);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
      next_.store(n_tasks_);  // skip the rest
    }
  }
}

void ThreadPool::run(int64_t n_tasks, Thunk thunk, void* ctx) {
  if (n_tasks <= 0) return;
  if (n_threads_ == 1 || n_tasks == 1) {
    for (int64_t t = 0; t < n_tasks; ++t) thunk(ctx, t, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    thunk_ = thunk;
    ctx_ = ctx;
    n_tasks_ = n_tasks;
    error_ = nullptr;
    next_.store(0);
    active_.store(n_threads_ - 1);
    ++generation_;
    spin_generation_.store(generation_, std::memory_order_release);
  }
  wake_.notify_all();
  work(0);
  // Wait for the workers to leave the job (they may still be finishing their last task): the
  // job's closure lives on the caller's stack.
  for (int spins = 0; active_.load(std::memory_order_acquire) != 0; ++spins) {
    if (spins > 20000) {
      std::unique_lock<std::mutex> lock(mu_);
      done_.wait_for(lock, std::chrono::microseconds(200),
                     [&] { return active_.load(std::memory_order_acquire) == 0; });
    }
  }
  if (error_) {
    std::exception_ptr e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    // Spin briefly: decode issues a job every few hundred microseconds and a futex wake-up
    // costs more than that. After the spin budget the worker sleeps.
    bool got = false;
    for (int i = 0; i < 4000; ++i) {
      if (spin_generation_.load(std::memory_order_acquire) != seen) {
        got = true;
        break;
      }
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
    }
    if (!got) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      seen = generation_;
    }
    work(index);
    if (active_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard<std::mutex> lock(mu_);
      done_.notify_all();
    }
  }
}

}  // namespace g4
