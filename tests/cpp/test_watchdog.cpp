// The hang detector of the test runners (watchdog.hpp) must catch a case that loops forever and one
// that blocks forever, and must leave a finished case alone. Each case runs in a child process,
// because a caught hang ends the process.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include "watchdog.hpp"

namespace {

using namespace std::chrono_literals;
using subsidy_test::Watchdog;
using subsidy_test::WatchdogLimits;

struct ChildResult {
  int status = -1;  ///< exit status, or -1 when the child did not exit normally
  std::string stderr_text;
};

void drain(int fd, std::string& into) {
  char buffer[512];
  for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;)
    into.append(buffer, static_cast<size_t>(n));
}

/// Runs `body` in a child process whose stderr is captured. A child still running after the
/// backstop is killed and reported as status -1, so a broken detector fails instead of hanging.
template <class Body>
ChildResult run_child(Body body) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::cout.flush();  // the child must not print the parent's buffered output again
  std::fflush(stdout);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    body();
    std::_Exit(0);
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  ChildResult result;
  int status = 0;
  const auto backstop = std::chrono::steady_clock::now() + 600s;
  for (;;) {
    drain(fds[0], result.stderr_text);
    if (waitpid(pid, &status, WNOHANG) == pid) break;
    if (std::chrono::steady_clock::now() > backstop) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      close(fds[0]);
      return result;
    }
    std::this_thread::sleep_for(20ms);
  }
  drain(fds[0], result.stderr_text);
  close(fds[0]);
  if (WIFEXITED(status)) result.status = WEXITSTATUS(status);
  return result;
}

void spin_for(std::chrono::nanoseconds cpu) {
  const auto until = subsidy_test::process_cpu_time() + cpu;
  volatile unsigned long sink = 0;
  while (subsidy_test::process_cpu_time() < until) sink = sink + 1;
}

}  // namespace

TEST_CASE("watchdog: a case that loops forever is reported") {
  const auto result = run_child([] {
    Watchdog watchdog(WatchdogLimits{1s, 600s, 50ms});
    watchdog.start("spins");
    volatile unsigned long sink = 0;
    for (;;) sink = sink + 1;
  });
  CHECK(result.status == 3);
  CHECK(result.stderr_text.find("case 'spins' used more than 1 s of CPU time (a hang)") !=
        std::string::npos);
}

TEST_CASE("watchdog: a case that blocks forever is reported") {
  const auto result = run_child([] {
    Watchdog watchdog(WatchdogLimits{600s, 1s, 50ms});
    watchdog.start("blocks");
    for (;;) pause();
  });
  CHECK(result.status == 3);
  CHECK(result.stderr_text.find("case 'blocks' used no CPU for 1 s (blocked: a hang)") !=
        std::string::npos);
}

TEST_CASE("watchdog: cases that finish within their CPU time are left alone") {
  const auto result = run_child([] {
    Watchdog watchdog(WatchdogLimits{2s, 600s, 10ms});
    for (const char* name : {"first", "second", "third"}) {
      watchdog.start(name);
      spin_for(800ms);  // together more than one case's limit: each case has its own budget
      watchdog.done();
    }
  });
  CHECK(result.status == 0);
  CHECK(result.stderr_text.empty());
}
