// A hang detector for test runners on shared machines. A case hangs when it either spins (uses
// more CPU time than its limit) or blocks (uses no CPU at all for a long stretch of wall time). A
// case that is merely slow because other work shares the cores keeps gaining CPU time, so neither
// test fires: wall time alone is never the verdict.
#pragma once

#include <time.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

namespace subsidy_test {

inline std::chrono::nanoseconds cpu_clock(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

/// CPU time used so far by this process, all threads.
inline std::chrono::nanoseconds process_cpu_time() { return cpu_clock(CLOCK_PROCESS_CPUTIME_ID); }

struct WatchdogLimits {
  std::chrono::milliseconds
      cpu;  ///< whole seconds of CPU time one case may use before it counts as spinning
  std::chrono::milliseconds stall;  ///< wall time without any CPU progress that counts as blocked
  std::chrono::milliseconds poll{250};
};

/// Ends the process with status 3, naming the case, when a case spins or blocks. A thread cannot
/// be cancelled, so the whole test stops; that is a failure, not a stuck CI job.
class Watchdog {
 public:
  explicit Watchdog(WatchdogLimits limits) : limits_(limits), thread_([this] { watch(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void start(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    name_ = name;
    ++generation_;
    wake_.notify_all();
  }
  void done() {
    std::lock_guard<std::mutex> lock(mutex_);
    name_.clear();
  }

 private:
  void watch() {
    std::unique_lock<std::mutex> lock(mutex_);
    unsigned long seen = 0;
    std::chrono::nanoseconds started_cpu{}, last_cpu{};
    auto last_progress = std::chrono::steady_clock::now();
    while (!stop_) {
      if (name_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto now = std::chrono::steady_clock::now();
      // The cases' CPU time: the whole process less this thread's own polling.
      const auto cpu = process_cpu_time() - cpu_clock(CLOCK_THREAD_CPUTIME_ID);
      if (seen != generation_) {  // a new case: its budget starts now (start() woke this thread)
        seen = generation_;
        started_cpu = cpu;
        last_progress = now;
      }
      if (cpu > last_cpu) {
        last_cpu = cpu;
        last_progress = now;
      }
      if (cpu - started_cpu > limits_.cpu)
        fail("used more than", limits_.cpu, "of CPU time (a hang)");
      if (now - last_progress > limits_.stall)
        fail("used no CPU for", limits_.stall, "(blocked: a hang)");
      wake_.wait_for(lock, limits_.poll, [&] { return stop_ || seen != generation_; });
    }
  }

  [[noreturn]] void fail(const char* what, std::chrono::milliseconds limit, const char* verdict) {
    std::cerr << "watchdog: case '" << name_ << "' " << what << ' ' << limit.count() / 1000 << " s "
              << verdict << '\n';
    std::_Exit(3);
  }

  WatchdogLimits limits_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string name_;
  unsigned long generation_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace subsidy_test
