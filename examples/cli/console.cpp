#include "console.h"

#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace cli {

bool stdin_is_tty() { return isatty(STDIN_FILENO) == 1; }
bool stdout_is_tty() { return isatty(STDOUT_FILENO) == 1; }
bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

// ---- Progress ----

Progress::Progress(const char* label, int delay_ms)
    : label_(label), enabled_(stderr_is_tty()), delay_ms_(delay_ms) {}

void Progress::update(float fraction) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (!started_) {
    started_ = true;
    start_ = now;
  }
  if (!drawn_ && std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count() < delay_ms_)
    return;
  if (fraction < 0) fraction = 0;
  if (fraction > 1) fraction = 1;
  const int percent = static_cast<int>(fraction * 100.0f);
  if (percent == last_percent_) return;  // redraw only on change: loads report very often
  last_percent_ = percent;
  const int width = 30, filled = percent * width / 100;
  char bar[width + 1];
  for (int i = 0; i < width; ++i) bar[i] = i < filled ? '#' : '.';
  bar[width] = '\0';
  std::fprintf(stderr, "\r%s [%s] %3d%%", label_, bar, percent);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::reset() {
  clear();
  started_ = false;
}

void Progress::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);  // carriage return + erase to end of line
  std::fflush(stderr);
  drawn_ = false;
  last_percent_ = -1;
}

// ---- Interrupts ----

namespace {
volatile sig_atomic_t g_interrupted = 0;
sem_t g_wake;

extern "C" void on_sigint(int) {
  g_interrupted = 1;
  sem_post(&g_wake);  // async-signal-safe (POSIX.1 list)
}
}  // namespace

Interrupts::Interrupts() {
  sem_init(&g_wake, 0, 0);
  struct sigaction sa = {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  // The watcher must never take the signal itself: a handler running on it would post the
  // semaphore it is about to wait on, which works, but keeping it out makes the flow obvious.
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  watcher_ = std::thread([this] { watch(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

Interrupts::~Interrupts() {
  quit_ = true;
  sem_post(&g_wake);
  watcher_.join();
  signal(SIGINT, SIG_DFL);
  sem_destroy(&g_wake);
}

void Interrupts::set_busy(gemma4_session* session) {
  std::lock_guard<std::mutex> lock(mu_);
  busy_ = session;
}

void Interrupts::set_waiting_for_input(bool waiting) {
  std::lock_guard<std::mutex> lock(mu_);
  waiting_ = waiting;
}

bool Interrupts::interrupted() { return g_interrupted != 0; }
void Interrupts::clear() { g_interrupted = 0; }

void Interrupts::watch() {
  for (;;) {
    while (sem_wait(&g_wake) != 0 && errno == EINTR) {
    }
    if (quit_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (busy_) {
      gemma4_session_cancel(busy_);  // "may be called from any thread"
    } else if (waiting_) {
      std::fputs("\n", stdout);
      std::fflush(stdout);
      _exit(130);  // the main thread is blocked in a read; nothing is left to clean up
    }
  }
}

}  // namespace cli
