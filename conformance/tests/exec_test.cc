// execve(2), execveat(2).
// syscalls: execve execveat
// syscalls(Execveat): execveat
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>

#include "util/test_util.h"

extern char** environ;

namespace conformance {
namespace {

// Exits with the number of arguments; prints them on stdout, one per line.
CONFORMANCE_CHILD_MODE(args) {
  for (int i = 0; i < argc; i++) printf("%s\n", argv[i]);
  return argc;
}

// Prints the value of the environment variable argv[2].
CONFORMANCE_CHILD_MODE(env) {
  const char* v = argc > 2 ? getenv(argv[2]) : nullptr;
  printf("%s", v ? v : "<unset>");
  return 0;
}

// Exits 0 if fd argv[2] is open, 1 if not.
CONFORMANCE_CHILD_MODE(fdopen) {
  int fd = atoi(argv[2]);
  return fcntl(fd, F_GETFD) >= 0 ? 0 : 1;
}

// Reports the SIGUSR1 disposition and blocked state: "ign", "dfl" and "blocked"/"unblocked".
CONFORMANCE_CHILD_MODE(sigstate) {
  struct sigaction sa;
  sigaction(SIGUSR1, nullptr, &sa);
  sigset_t cur;
  sigprocmask(SIG_BLOCK, nullptr, &cur);
  printf("%s %s", sa.sa_handler == SIG_IGN ? "ign" : (sa.sa_handler == SIG_DFL ? "dfl" : "other"),
         sigismember(&cur, SIGUSR1) ? "blocked" : "unblocked");
  sigset_t pending;
  sigpending(&pending);
  printf(" %s", sigismember(&pending, SIGUSR1) ? "pending" : "none");
  return 0;
}

// Waits until fd argv[2] reaches EOF, then exits 0.
CONFORMANCE_CHILD_MODE(waitfd) {
  char c;
  while (read(atoi(argv[2]), &c, 1) > 0) {
  }
  return 0;
}

// Prints its pid and parent pid.
CONFORMANCE_CHILD_MODE(ids) {
  printf("%d %d", getpid(), getppid());
  return 0;
}

// Runs `fn` (which must exec) in a child with stdout on a pipe; returns the
// output and the wait status.
std::pair<std::string, int> Capture(const std::function<void()>& fn) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) return {"", -1};
  if (pid == 0) {
    dup2(p.w.get(), 1);
    fn();
    _exit(127);
  }
  p.w.reset();
  std::string out = ReadAll(p.r.get());
  return {out, WaitStatus(pid)};
}

TEST(Execve, RunsProgramWithArgs) {
  auto [out, status] = Capture([] {
    const char* argv[] = {"name0", "--child-args", "x", "y", nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), environ);
  });
  EXPECT_TRUE(ExitedWith(status, 4)) << DescribeWaitStatus(status);
  EXPECT_EQ(out, "name0\n--child-args\nx\ny\n");
}

TEST(Execve, PassesEnvironment) {
  auto [out, status] = Capture([] {
    const char* argv[] = {"x", "--child-env", "CONF_VAR", nullptr};
    const char* envp[] = {"CONF_VAR=hello world", nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), const_cast<char**>(envp));
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_EQ(out, "hello world");
}

TEST(Execve, EmptyEnvironment) {
  auto [out, status] = Capture([] {
    const char* argv[] = {"x", "--child-env", "PATH", nullptr};
    const char* envp[] = {nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), const_cast<char**>(envp));
  });
  EXPECT_EQ(out, "<unset>");
}

TEST(Execve, MissingFileIsENOENT) {
  const char* argv[] = {"x", nullptr};
  EXPECT_THAT(execve("/tmp/conformance-no-such-binary", const_cast<char**>(argv), environ),
              SyscallFailsWithErrno(ENOENT));
}

TEST(Execve, DirectoryIsEACCES) {
  const char* argv[] = {"x", nullptr};
  EXPECT_THAT(execve("/tmp", const_cast<char**>(argv), environ), SyscallFailsWithErrno(EACCES));
}

TEST(Execve, NonExecutableFileIsEACCES) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "#!/bin/sh\n"));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0644), SyscallSucceeds());
  const char* argv[] = {"x", nullptr};
  EXPECT_THAT(execve(dir.Join("f").c_str(), const_cast<char**>(argv), environ),
              SyscallFailsWithErrno(EACCES));
}

TEST(Execve, GarbageFileIsENOEXEC) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(64, '\x01')));
  ASSERT_THAT(chmod(dir.Join("f").c_str(), 0755), SyscallSucceeds());
  const char* argv[] = {"x", nullptr};
  EXPECT_THAT(execve(dir.Join("f").c_str(), const_cast<char**>(argv), environ),
              SyscallFailsWithErrno(ENOEXEC));
}

TEST(Execve, ShebangRunsInterpreterWithScriptPath) {
  TempDir dir;
  std::string script = dir.Join("s");
  ASSERT_TRUE(WriteFile(script, "#!" + SelfPath() + " --child-args\n"));
  ASSERT_THAT(chmod(script.c_str(), 0755), SyscallSucceeds());
  auto [out, status] = Capture([&] {
    const char* argv[] = {"ignored0", "a1", nullptr};
    execve(script.c_str(), const_cast<char**>(argv), environ);
  });
  // argv = interpreter, optional arg, script path, then argv[1..].
  EXPECT_EQ(out, SelfPath() + "\n--child-args\n" + script + "\na1\n");
  EXPECT_TRUE(ExitedWith(status, 4)) << DescribeWaitStatus(status);
}

TEST(Execve, ShebangMissingInterpreterIsENOENT) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("s"), "#!/nonexistent/interp\n"));
  ASSERT_THAT(chmod(dir.Join("s").c_str(), 0755), SyscallSucceeds());
  const char* argv[] = {"x", nullptr};
  EXPECT_THAT(execve(dir.Join("s").c_str(), const_cast<char**>(argv), environ),
              SyscallFailsWithErrno(ENOENT));
}

TEST(Execve, CloexecFdsAreClosed) {
  FileDescriptor keep(open("/dev/null", O_RDONLY));
  FileDescriptor drop(open("/dev/null", O_RDONLY | O_CLOEXEC));
  auto [o1, s1] = Capture([&] {
    std::string fd = std::to_string(keep.get());
    const char* argv[] = {"x", "--child-fdopen", fd.c_str(), nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), environ);
  });
  EXPECT_TRUE(ExitedWith(s1, 0)) << DescribeWaitStatus(s1);
  auto [o2, s2] = Capture([&] {
    std::string fd = std::to_string(drop.get());
    const char* argv[] = {"x", "--child-fdopen", fd.c_str(), nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), environ);
  });
  EXPECT_TRUE(ExitedWith(s2, 1)) << DescribeWaitStatus(s2);
}

TEST(Execve, HandlersResetIgnoredKeptMaskKept) {
  auto [out, status] = Capture([] {
    signal(SIGUSR1, [](int) {});
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    const char* argv[] = {"x", "--child-sigstate", nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), environ);
  });
  EXPECT_EQ(out, "dfl blocked none");
  auto [out2, status2] = Capture([] {
    signal(SIGUSR1, SIG_IGN);
    const char* argv[] = {"x", "--child-sigstate", nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), environ);
  });
  EXPECT_EQ(out2, "ign unblocked none");
}

TEST(Execve, PendingSignalSurvivesExec) {
  auto [out, status] = Capture([] {
    signal(SIGUSR1, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, nullptr);
    kill(getpid(), SIGUSR1);
    const char* argv[] = {"x", "--child-sigstate", nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), environ);
  });
  EXPECT_EQ(out, "dfl blocked pending");
}

TEST(Execve, KeepsPidAndParent) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    dup2(p.w.get(), 1);
    const char* argv[] = {"x", "--child-ids", nullptr};
    execve(SelfPath().c_str(), const_cast<char**>(argv), environ);
    _exit(127);
  }
  p.w.reset();
  std::string out = ReadAll(p.r.get());
  EXPECT_EQ(out, std::to_string(pid) + " " + std::to_string(getpid()));
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
}

TEST(Execve, BadArgvPointerIsEFAULT) {
  EXPECT_THAT(execve(SelfPath().c_str(), reinterpret_cast<char**>(8), environ),
              SyscallFailsWithErrno(EFAULT));
}

TEST(Execve, NullArgvRunsWithEmptyArgv) {
  // Since Linux 5.18 a NULL argv becomes {"", NULL}; util/main.cc exits 77
  // when argv[0] is missing or empty.
  auto [out, status] = Capture([] {
    syscall(SYS_execve, SelfPath().c_str(), nullptr, nullptr);
  });
  EXPECT_TRUE(ExitedWith(status, 77)) << DescribeWaitStatus(status);
}

TEST(Execveat, RelativeToDirFd) {
  std::string self = SelfPath();
  std::string dir = self.substr(0, self.rfind('/'));
  std::string base = self.substr(self.rfind('/') + 1);
  FileDescriptor d(open(dir.c_str(), O_RDONLY | O_DIRECTORY));
  auto [out, status] = Capture([&] {
    const char* argv[] = {"x", "--child-args", nullptr};
    syscall(SYS_execveat, d.get(), base.c_str(), argv, environ, 0);
  });
  EXPECT_TRUE(ExitedWith(status, 2)) << DescribeWaitStatus(status);
}

TEST(Execveat, EmptyPathExecutesFd) {
  FileDescriptor fd(open(SelfPath().c_str(), O_RDONLY));
  auto [out, status] = Capture([&] {
    const char* argv[] = {"x", "--child-args", "z", nullptr};
    syscall(SYS_execveat, fd.get(), "", argv, environ, AT_EMPTY_PATH);
  });
  EXPECT_TRUE(ExitedWith(status, 3)) << DescribeWaitStatus(status);
}

TEST(Execveat, BadFlagIsEINVAL) {
  const char* argv[] = {"x", nullptr};
  EXPECT_THAT(syscall(SYS_execveat, AT_FDCWD, SelfPath().c_str(), argv, environ, 0x1),
              SyscallFailsWithErrno(EINVAL));
}

// ETXTBSY (execve(2), open(2), truncate(2)): a running executable cannot
// be opened for writing or truncated, and a file open for writing cannot
// be executed.
TEST(Execve, RunningExecutableOpenForWriteIsETXTBSY) {
  EXPECT_THAT(open("/proc/self/exe", O_WRONLY), SyscallFailsWithErrno(ETXTBSY));
  EXPECT_THAT(open("/proc/self/exe", O_RDWR), SyscallFailsWithErrno(ETXTBSY));
  EXPECT_THAT(truncate("/proc/self/exe", 0), SyscallFailsWithErrno(ETXTBSY));
  FileDescriptor fd(open("/proc/self/exe", O_RDONLY));
  EXPECT_TRUE(fd.valid()) << strerror(errno);
}

TEST(Execve, FileOpenForWriteIsETXTBSY) {
  TempDir dir;
  std::string path = dir.Join("copy");
  {
    FileDescriptor self(open("/proc/self/exe", O_RDONLY));
    ASSERT_TRUE(self.valid());
    ASSERT_TRUE(WriteFile(path, ReadAll(self.get())));
  }
  ASSERT_THAT(chmod(path.c_str(), 0755), SyscallSucceeds());
  const char* argv[] = {"x", nullptr};
  {
    FileDescriptor w(open(path.c_str(), O_WRONLY));
    ASSERT_TRUE(w.valid()) << strerror(errno);
    EXPECT_THAT(execve(path.c_str(), const_cast<char**>(argv), environ),
                SyscallFailsWithErrno(ETXTBSY));
  }
  // Closed: the copy runs, and while it runs it cannot be opened for
  // writing. `exec_done` (close-on-exec) reaches EOF once the exec worked.
  Pipe release = MakePipe();
  int exec_done[2];
  ASSERT_THAT(pipe2(exec_done, O_CLOEXEC), SyscallSucceeds());
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    close(exec_done[0]);
    release.w.reset();
    std::string fd = std::to_string(release.r.get());
    const char* a[] = {path.c_str(), "--child-waitfd", fd.c_str(), nullptr};
    execve(path.c_str(), const_cast<char**>(a), environ);
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  close(exec_done[1]);
  char c;
  EXPECT_EQ(read(exec_done[0], &c, 1), 0);
  close(exec_done[0]);
  EXPECT_THAT(open(path.c_str(), O_WRONLY), SyscallFailsWithErrno(ETXTBSY));
  release.w.reset();
  EXPECT_TRUE(ExitedWith(WaitStatus(pid), 0));
  // Writable again once the process has exited.
  FileDescriptor w(open(path.c_str(), O_WRONLY));
  EXPECT_TRUE(w.valid()) << strerror(errno);
}

}  // namespace
}  // namespace conformance
