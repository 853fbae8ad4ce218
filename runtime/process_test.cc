#include "runtime/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "runtime/fs.h"
#include "runtime/sandbox.h"

namespace bulwark::runtime {
namespace {

// Runs `sh -c script` through Spawn with the given fd map; returns the wait
// status.
int RunShell(const std::string& script, std::vector<std::pair<int, int>> fds = {}) {
  UniqueFd sh(::open("/bin/sh", O_PATH | O_CLOEXEC));
  EXPECT_TRUE(sh.valid());
  SpawnOptions o;
  o.exe_fd = sh.get();
  o.argv = {"sh", "-c", script};
  o.fds = std::move(fds);
  auto child = Spawn(o);
  EXPECT_TRUE(child) << child.error().message;
  if (!child) return -1;
  auto status = ReapChild(*child, true);
  EXPECT_TRUE(status && *status);
  return status && *status ? **status : -1;
}

TEST(Spawn, ExitStatusAndSignal) {
  EXPECT_EQ(ExitCodeFromWaitStatus(RunShell("exit 7")), 7);
  EXPECT_EQ(ExitCodeFromWaitStatus(RunShell("kill -9 $$")), 137);
  EXPECT_EQ(ExitCodeFromWaitStatus(RunShell("kill -TERM $$")), 143);
}

TEST(Spawn, OnlyMappedFdsReachTheChild) {
  char tmpl[] = "/tmp/bulwark-spawn-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string out = std::string(tmpl) + "/fds";
  // A leaked, non-CLOEXEC fd in the parent must not reach the child.
  int leaked = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaked, 0);
  UniqueFd a(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  UniqueFd b(::open("/dev/zero", O_RDONLY | O_CLOEXEC));
  // Swap-style map (the sources' numbers overlap the targets) exercises the
  // move-out-of-the-way step.
  int status = RunShell("ls /proc/self/fd > " + out + "; readlink /proc/self/fd/3 >> " + out +
                            "; readlink /proc/self/fd/4 >> " + out,
                        {{b.get(), 3}, {a.get(), 4}});
  ::close(leaked);
  EXPECT_EQ(ExitCodeFromWaitStatus(status), 0);
  auto text = ReadFile(out);
  ASSERT_TRUE(text);
  // 0-2, the two mapped fds, and the one `ls` opens for /proc/self/fd.
  EXPECT_EQ(*text, "0\n1\n2\n3\n4\n5\n/dev/zero\n/dev/null\n") << *text;
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}

TEST(Spawn, ExeFdMayBeATargetNumber) {
  UniqueFd sh(::open("/bin/sh", O_PATH | O_CLOEXEC));
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  SpawnOptions o;
  o.exe_fd = sh.get();
  o.argv = {"sh", "-c", "test \"$(readlink /proc/self/fd/" + std::to_string(sh.get()) +
                            ")\" = /dev/null"};
  o.fds = {{null.get(), sh.get()}};
  auto child = Spawn(o);
  ASSERT_TRUE(child) << child.error().message;
  auto status = ReapChild(*child, true);
  ASSERT_TRUE(status && *status);
  EXPECT_EQ(ExitCodeFromWaitStatus(**status), 0);
}

TEST(Spawn, IgnoredSignalsAreNotInherited) {
  struct sigaction ign = {}, old;
  ign.sa_handler = SIG_IGN;
  ASSERT_EQ(sigaction(SIGINT, &ign, &old), 0);
  int status = RunShell("kill -INT $$; exit 0");
  sigaction(SIGINT, &old, nullptr);
  EXPECT_EQ(ExitCodeFromWaitStatus(status), 128 + SIGINT);
}

TEST(Spawn, ExecFailureIsReported) {
  UniqueFd dir(::open("/tmp", O_PATH | O_CLOEXEC));
  SpawnOptions o;
  o.exe_fd = dir.get();
  o.argv = {"x", "boot"};
  auto child = Spawn(o);
  ASSERT_FALSE(child);
  EXPECT_EQ(child.error().message, "start bulwark boot: exec: Permission denied");
}

TEST(Spawn, NewNamespaces) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  // In a new pid namespace the child is pid 1.
  UniqueFd sh(::open("/bin/sh", O_PATH | O_CLOEXEC));
  SpawnOptions o;
  o.exe_fd = sh.get();
  o.argv = {"sh", "-c", "test $$ = 1"};
  o.namespaces = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET;
  auto child = Spawn(o);
  ASSERT_TRUE(child) << child.error().message;
  auto status = ReapChild(*child, true);
  ASSERT_TRUE(status && *status);
  EXPECT_EQ(ExitCodeFromWaitStatus(**status), 0);
}

TEST(SandboxArgs, GoferAndSentryCommandLines) {
  SandboxOptions o;
  o.rootfs = "/b/rootfs";
  o.gofer_mounts = {{"/host/a", false}, {"/host/b", true}};
  o.overlay = OverlayMode::kTmpfs;
  EXPECT_EQ(GoferArgs(o), (std::vector<std::string>{"gofer", "--sock-fd=3", "--root=/b/rootfs",
                                                     "--root-readonly", "--mount=/host/a",
                                                     "--mount=/host/b:ro"}));
  o.overlay = OverlayMode::kNone;
  EXPECT_EQ(GoferArgs(o)[3], "--mount=/host/a");
  o.root_readonly = true;
  EXPECT_EQ(GoferArgs(o)[3], "--root-readonly");

  o.platform = "ptrace";
  o.strace = true;
  EXPECT_EQ(SentryArgs(o, true),
            (std::vector<std::string>{"boot", "--spec-fd=3", "--gofer-fd=4", "--platform=ptrace",
                                      "--strace", "--overlay=none", "--debug-log-fd=5"}));
  o.strace = false;
  o.overlay = OverlayMode::kTmpfs;
  EXPECT_EQ(SentryArgs(o, false),
            (std::vector<std::string>{"boot", "--spec-fd=3", "--gofer-fd=4", "--platform=ptrace",
                                      "--overlay=tmpfs"}));
}

}  // namespace
}  // namespace bulwark::runtime
