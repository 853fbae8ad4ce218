// clone(2) with CLONE_VM|CLONE_THREAD (through pthreads), thread ids,
// thread-directed signals, per-thread signal masks, /proc/self/task.
// syscalls: clone clone3 gettid tgkill set_robust_list set_tid_address exit
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "util/test_util.h"

namespace conformance {
namespace {

pid_t Tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

TEST(Threads, CreateAndJoin) {
  std::atomic<int> ran{0};
  std::thread t([&] { ran = 1; });
  t.join();
  EXPECT_EQ(ran, 1);
}

TEST(Threads, SharePidHaveOwnTid) {
  pid_t pid = -1, tid = -1;
  std::thread t([&] {
    pid = getpid();
    tid = Tid();
  });
  t.join();
  EXPECT_EQ(pid, getpid());
  EXPECT_NE(tid, Tid());
  EXPECT_GT(tid, 0);
}

TEST(Threads, ShareMemory) {
  int value = 0;
  std::thread t([&] { value = 42; });
  t.join();
  EXPECT_EQ(value, 42);
}

TEST(Threads, ShareFileDescriptors) {
  int fd = -1;
  std::thread t([&] { fd = open("/dev/null", O_RDONLY); });
  t.join();
  ASSERT_GE(fd, 0);
  EXPECT_THAT(close(fd), SyscallSucceeds());
}

TEST(Threads, ThreadLocalStorageIsPerThread) {
  static thread_local int tls = 1;
  tls = 5;
  int seen = -1;
  std::thread t([&] { seen = tls; });
  t.join();
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(tls, 5);
}

TEST(Threads, MutexAndConditionVariable) {
  std::mutex mu;
  std::condition_variable cv;
  int stage = 0;
  std::thread t([&] {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return stage == 1; });
    stage = 2;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> l(mu);
    stage = 1;
    cv.notify_all();
    cv.wait(l, [&] { return stage == 2; });
  }
  t.join();
  EXPECT_EQ(stage, 2);
}

TEST(Threads, ManyThreadsIncrementAtomically) {
  std::atomic<int> counter{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; i++) {
    ts.emplace_back([&] {
      for (int j = 0; j < 1000; j++) counter++;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, 8000);
}

TEST(Threads, ProcSelfTaskListsThreads) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  pid_t tid = 0;
  std::thread t([&] {
    std::unique_lock<std::mutex> l(mu);
    tid = Tid();
    cv.notify_all();
    cv.wait(l, [&] { return done; });
  });
  std::set<std::string> names;
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return tid != 0; });
    DIR* d = opendir("/proc/self/task");
    if (d) {
      while (struct dirent* e = readdir(d)) names.insert(e->d_name);
      closedir(d);
    }
    done = true;
    cv.notify_all();
  }
  t.join();
  EXPECT_TRUE(names.count(std::to_string(getpid())));
  EXPECT_TRUE(names.count(std::to_string(tid)));
}

TEST(Threads, StatusThreadCount) {
  std::mutex mu;
  std::condition_variable cv;
  bool started = false, done = false;
  std::thread t([&] {
    std::unique_lock<std::mutex> l(mu);
    started = true;
    cv.notify_all();
    cv.wait(l, [&] { return done; });
  });
  std::string status;
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return started; });
    ReadFile("/proc/self/status", &status);
    done = true;
    cv.notify_all();
  }
  t.join();
  EXPECT_NE(status.find("Threads:\t2"), std::string::npos);
}

TEST(Threads, TgkillTargetsThread) {
  static std::atomic<pid_t> handled_on{0};
  ScopedSigaction sa(SIGUSR1, [](int) { handled_on = static_cast<pid_t>(syscall(SYS_gettid)); });
  std::atomic<pid_t> tid{0};
  std::atomic<bool> stop{false};
  std::thread t([&] {
    tid = Tid();
    while (!stop && handled_on == 0) sched_yield();
  });
  while (tid == 0) sched_yield();
  ASSERT_THAT(syscall(SYS_tgkill, getpid(), tid.load(), SIGUSR1), SyscallSucceeds());
  for (int i = 0; i < 10000 && handled_on == 0; i++) usleep(1000);
  stop = true;
  t.join();
  EXPECT_EQ(handled_on, tid);
}

TEST(Threads, SignalMaskIsPerThread) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR2);
  bool blocked_in_thread = true;
  std::thread t([&] {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, nullptr, &cur);
    blocked_in_thread = sigismember(&cur, SIGUSR2);
  });
  t.join();
  EXPECT_FALSE(blocked_in_thread);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, nullptr, &cur);
  EXPECT_TRUE(sigismember(&cur, SIGUSR2));
}

TEST(Threads, ExitGroupFromThreadEndsProcess) {
  int status = RunInChild([] {
    std::thread t([] { syscall(SYS_exit_group, 9); });
    t.join();
    _exit(0);
  });
  EXPECT_TRUE(ExitedWith(status, 9)) << DescribeWaitStatus(status);
}

TEST(Threads, MainThreadExitKeepsOthersRunning) {
  Pipe p = MakePipe();
  int status = RunInChild([&] {
    std::thread t([&] {
      usleep(50000);
      write(p.w.get(), "alive", 5);
      syscall(SYS_exit_group, 0);
    });
    t.detach();
    syscall(SYS_exit, 0);  // Only the main thread exits.
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  p.w.reset();
  EXPECT_EQ(ReadAll(p.r.get()), "alive");
}

TEST(Threads, ForkFromThreadCopiesOnlyThatThread) {
  int child_status = -1;
  std::thread t([&] {
    fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      std::string st;
      ReadFile("/proc/self/status", &st);
      _exit(st.find("Threads:\t1") != std::string::npos ? 0 : 1);
    }
    child_status = WaitStatus(pid);
  });
  t.join();
  EXPECT_TRUE(ExitedWith(child_status, 0)) << DescribeWaitStatus(child_status);
}

// execve(2) from a non-leader thread: the other threads (here the main
// thread, blocked in pause) are killed and the new program runs in the
// process, which keeps its pid.
TEST(Threads, ExecFromThreadReplacesWholeProcess) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    dup2(p.w.get(), 1);
    std::thread t([] {
      // This binary again, running no test (its output ends in "0 tests.").
      const char* argv[] = {"th", "--gtest_filter=-*", nullptr};
      execve(SelfPath().c_str(), const_cast<char**>(argv), environ);
      _exit(126);
    });
    for (;;) pause();
  }
  p.w.reset();
  std::string out = ReadAll(p.r.get());
  int status = WaitStatus(pid);  // waits for `pid`: the pid survived the exec
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_NE(out.find("PASSED  ] 0 tests."), std::string::npos) << out;
}

// A stop signal stops every thread; SIGCONT resumes them all.
TEST(Threads, StopAndContinueAllThreads) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    std::thread t([] {
      for (;;) sched_yield();
    });
    for (;;) pause();
  }
  ASSERT_THAT(kill(pid, SIGSTOP), SyscallSucceeds());
  int status;
  ASSERT_THAT(waitpid(pid, &status, WUNTRACED), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFSTOPPED(status));
  ASSERT_THAT(kill(pid, SIGCONT), SyscallSucceeds());
  ASSERT_THAT(waitpid(pid, &status, WCONTINUED), SyscallSucceedsWithValue(pid));
  EXPECT_TRUE(WIFCONTINUED(status));
  ASSERT_THAT(kill(pid, SIGKILL), SyscallSucceeds());
  status = WaitStatus(pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
