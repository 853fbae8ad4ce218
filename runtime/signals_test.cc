#include "runtime/signals.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "runtime/process.h"

namespace bulwark::runtime {
namespace {

class ChildTarget : public ForwardTarget {
 public:
  explicit ChildTarget(Child child) : child_(std::move(child)), pid_(child_.pid) {}
  ~ChildTarget() override {
    (void)SignalChild(child_, SIGKILL);
    (void)ReapChild(child_, true);
  }
  pid_t pid() const override { return pid_; }
  Result<void> Signal(int sig) override {
    signals_.push_back(sig);
    return SignalChild(child_, sig);
  }
  std::optional<int> Poll() override {
    auto st = ReapChild(child_, false);
    return st ? *st : std::nullopt;
  }
  int Wait() override {
    auto st = ReapChild(child_, true);
    return st && *st ? **st : -1;
  }
  std::vector<int> signals_;

 private:
  Child child_;
  pid_t pid_;
};

// Starts `sh -c script` with the forwarder's original mask, as run does.
ChildTarget StartShell(const SignalForwarder& fw, const std::string& script) {
  UniqueFd sh(::open("/bin/sh", O_PATH | O_CLOEXEC));
  SpawnOptions o;
  o.exe_fd = sh.get();
  o.argv = {"sh", "-c", script};
  o.sigmask = fw.original_mask();
  auto child = Spawn(o);
  EXPECT_TRUE(child) << child.error().message;
  return ChildTarget(std::move(*child));
}

TEST(SignalForwarder, ReturnsTheExitStatus) {
  SignalForwarder fw;
  ChildTarget target = StartShell(fw, "exit 5");
  EXPECT_EQ(ExitCodeFromWaitStatus(fw.ForwardUntilExit(target)), 5);
  EXPECT_TRUE(target.signals_.empty());
}

TEST(SignalForwarder, ForwardsToAHandler) {
  SignalForwarder fw;
  // The trap fires between sleeps; the child must not inherit the blocked
  // mask, or it would never see the signal.
  ChildTarget target =
      StartShell(fw, "trap 'exit 3' TERM; i=0; while [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done");
  std::thread sender([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::kill(::getpid(), SIGTERM);
  });
  int status = fw.ForwardUntilExit(target);
  sender.join();
  EXPECT_EQ(ExitCodeFromWaitStatus(status), 3);
  EXPECT_EQ(target.signals_, std::vector<int>{SIGTERM});
}

TEST(SignalForwarder, DeathBySignalIs128PlusN) {
  SignalForwarder fw;
  ChildTarget target = StartShell(fw, "exec sleep 5");
  std::thread sender([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(::getpid(), SIGUSR1);
  });
  int status = fw.ForwardUntilExit(target);
  sender.join();
  EXPECT_EQ(ExitCodeFromWaitStatus(status), 128 + SIGUSR1);
}

TEST(SignalForwarder, RestoresTheMask) {
  sigset_t before, after;
  sigprocmask(SIG_SETMASK, nullptr, &before);
  {
    SignalForwarder fw;
    sigset_t during;
    sigprocmask(SIG_SETMASK, nullptr, &during);
    for (int sig : ForwardedSignals()) EXPECT_TRUE(sigismember(&during, sig)) << sig;
    EXPECT_TRUE(sigismember(&during, SIGCHLD));
  }
  sigprocmask(SIG_SETMASK, nullptr, &after);
  for (int sig = 1; sig < 32; ++sig) {
    EXPECT_EQ(sigismember(&before, sig), sigismember(&after, sig)) << sig;
  }
}

}  // namespace
}  // namespace bulwark::runtime
