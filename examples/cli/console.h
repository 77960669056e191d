// Terminal plumbing of gemma4-cli: the progress bar and Ctrl-C handling.
#ifndef GEMMA4_CLI_CONSOLE_H
#define GEMMA4_CLI_CONSOLE_H

#include <gemma4.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace cli {

bool stdin_is_tty();
bool stdout_is_tty();
bool stderr_is_tty();

// A one-line bar on stderr, redrawn in place. Drawn only when stderr is a terminal, and only
// once `delay_ms` have passed since the first update (short prefills draw nothing).
class Progress {
 public:
  Progress(const char* label, int delay_ms);
  ~Progress() { clear(); }
  void update(float fraction);
  void clear();  // erases the bar so following output starts on a clean line
  void reset();  // clear(), and the next update() starts a new delay

 private:
  const char* label_;
  bool enabled_;
  bool drawn_ = false;
  bool started_ = false;
  int delay_ms_;
  int last_percent_ = -1;
  std::chrono::steady_clock::time_point start_;
};

// Ctrl-C: the SIGINT handler only sets a flag and posts a semaphore (both async-signal-safe);
// a watcher thread wakes up and calls gemma4_session_cancel() on the session registered as
// busy, or ends the program when the chat waits at its prompt. Elsewhere (model load, short
// steps) the main thread polls interrupted(), e.g. from the library's progress callbacks.
class Interrupts {
 public:
  Interrupts();   // installs the handler and starts the watcher
  ~Interrupts();  // stops the watcher, restores the default handler

  // The session whose running call Ctrl-C should cancel (nullptr = none). The watcher uses
  // it under a lock, so clearing it before freeing the session is enough.
  void set_busy(gemma4_session* session);
  // While true, Ctrl-C ends the program at once (exit status 130): the chat is blocked
  // reading stdin and has nothing to save.
  void set_waiting_for_input(bool waiting);
  static bool interrupted();
  static void clear();

 private:
  void watch();
  std::mutex mu_;
  gemma4_session* busy_ = nullptr;
  bool waiting_ = false;
  std::atomic<bool> quit_{false};
  std::thread watcher_;
};

// Scoped Interrupts::set_busy(session) ... set_busy(nullptr).
class BusyScope {
 public:
  BusyScope(Interrupts* in, gemma4_session* s) : in_(in) { in_->set_busy(s); }
  ~BusyScope() { in_->set_busy(nullptr); }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  Interrupts* in_;
};

}  // namespace cli

#endif  // GEMMA4_CLI_CONSOLE_H
