// /proc/self: status, stat, maps, cmdline, environ, fd, exe, cwd, and
// /proc/PID of other processes.
// syscalls: open read readlink getdents64
#include <dirent.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <set>
#include <sstream>

#include "util/test_util.h"

namespace conformance {
namespace {

std::string Slurp(const std::string& path) {
  std::string s;
  if (!ReadFile(path, &s)) return "<error: " + std::string(strerror(errno)) + ">";
  return s;
}

std::string Readlink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return "<error: " + std::string(strerror(errno)) + ">";
  return std::string(buf, n);
}

std::string StatusField(const std::string& status, const std::string& key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      size_t i = key.size() + 1;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) i++;
      return line.substr(i);
    }
  }
  return "<missing>";
}

TEST(ProcSelf, SelfLinkPointsToPid) {
  EXPECT_EQ(Readlink("/proc/self"), std::to_string(getpid()));
}

TEST(ProcSelf, StatusHasPidsAndIds) {
  std::string st = Slurp("/proc/self/status");
  EXPECT_EQ(StatusField(st, "Pid"), std::to_string(getpid()));
  EXPECT_EQ(StatusField(st, "PPid"), std::to_string(getppid()));
  EXPECT_EQ(StatusField(st, "Tgid"), std::to_string(getpid()));
  EXPECT_EQ(StatusField(st, "Uid"), "0\t0\t0\t0");
  EXPECT_EQ(StatusField(st, "Threads"), "1");
}

TEST(ProcSelf, StatusNameIsExecutableBasename) {
  std::string st = Slurp("/proc/self/status");
  std::string name = StatusField(st, "Name");
  std::string self = SelfPath().substr(SelfPath().rfind('/') + 1);
  EXPECT_EQ(name, self.substr(0, 15));
}

TEST(ProcSelf, StatusSignalMasks) {
  ScopedSignalMask block(SIG_BLOCK, SIGUSR1);
  std::string st = Slurp("/proc/self/status");
  unsigned long long blk = std::stoull(StatusField(st, "SigBlk"), nullptr, 16);
  EXPECT_TRUE(blk & (1ULL << (SIGUSR1 - 1)));
}

TEST(ProcSelf, StatFields) {
  std::string st = Slurp("/proc/self/stat");
  int pid = 0;
  ASSERT_EQ(sscanf(st.c_str(), "%d", &pid), 1) << st;
  EXPECT_EQ(pid, getpid());
  size_t close = st.rfind(')');
  ASSERT_NE(close, std::string::npos);
  char state = st[close + 2];
  EXPECT_EQ(state, 'R');
  int ppid = 0, pgrp = 0, session = 0;
  ASSERT_EQ(sscanf(st.c_str() + close + 4, "%d %d %d", &ppid, &pgrp, &session), 3);
  EXPECT_EQ(ppid, getppid());
  EXPECT_EQ(pgrp, getpgrp());
  EXPECT_EQ(session, getsid(0));
}

TEST(ProcSelf, MapsShowsNewMapping) {
  void* p = mmap(nullptr, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  char want[64];
  snprintf(want, sizeof want, "%lx-%lx r--p", reinterpret_cast<unsigned long>(p),
           reinterpret_cast<unsigned long>(p) + 3 * 4096);
  EXPECT_NE(Slurp("/proc/self/maps").find(want), std::string::npos) << want;
  munmap(p, 3 * 4096);
}

TEST(ProcSelf, MapsShowsStackAndExecutable) {
  std::string maps = Slurp("/proc/self/maps");
  EXPECT_NE(maps.find("[stack]"), std::string::npos);
  EXPECT_NE(maps.find(SelfPath().substr(SelfPath().rfind('/'))), std::string::npos);
}

TEST(ProcSelf, MapsReflectsMprotect) {
  char* p = static_cast<char*>(
      mmap(nullptr, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(mprotect(p + 4096, 4096, PROT_READ), SyscallSucceeds());
  char want[64];
  snprintf(want, sizeof want, "%lx-%lx r--p", reinterpret_cast<unsigned long>(p + 4096),
           reinterpret_cast<unsigned long>(p + 2 * 4096));
  EXPECT_NE(Slurp("/proc/self/maps").find(want), std::string::npos) << want;
  munmap(p, 2 * 4096);
}

CONFORMANCE_CHILD_MODE(cat) {
  std::string s;
  if (!ReadFile(argv[2], &s)) return 1;
  fwrite(s.data(), 1, s.size(), stdout);
  return 0;
}

std::string RunSelf(std::vector<std::string> args, std::vector<std::string> env = {}) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(p.w.get(), 1);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(SelfPath().c_str(), argv.data(), envp.data());
    _exit(127);
  }
  p.w.reset();
  std::string out = ReadAll(p.r.get());
  WaitStatus(pid);
  return out;
}

TEST(ProcSelf, CmdlineIsNulSeparatedArgv) {
  std::string out = RunSelf({"argzero", "--child-cat", "/proc/self/cmdline", "extra"});
  EXPECT_EQ(out, std::string("argzero\0--child-cat\0/proc/self/cmdline\0extra\0", 45));
}

TEST(ProcSelf, EnvironIsNulSeparatedEnvp) {
  std::string out = RunSelf({"x", "--child-cat", "/proc/self/environ"}, {"A=1", "BB=two"});
  EXPECT_EQ(out, std::string("A=1\0BB=two\0", 11));
}

TEST(ProcSelf, ExeLinkIsBinary) {
  EXPECT_EQ(Readlink("/proc/self/exe"), SelfPath());
}

TEST(ProcSelf, CwdLinkFollowsChdir) {
  TempDir dir;
  ScopedChdir cd(dir.path());
  ASSERT_TRUE(cd.ok());
  EXPECT_EQ(Readlink("/proc/self/cwd"), dir.path());
}

TEST(ProcSelf, FdDirListsOpenFds) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  std::set<std::string> names;
  DIR* d = opendir("/proc/self/fd");
  ASSERT_NE(d, nullptr);
  while (struct dirent* e = readdir(d)) names.insert(e->d_name);
  closedir(d);
  EXPECT_TRUE(names.count(std::to_string(fd.get())));
  EXPECT_TRUE(names.count("0"));
  EXPECT_EQ(Readlink("/proc/self/fd/" + std::to_string(fd.get())), dir.Join("f"));
}

TEST(ProcSelf, FdLinkOfDeletedFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(unlink(dir.Join("f").c_str()), SyscallSucceeds());
  EXPECT_EQ(Readlink("/proc/self/fd/" + std::to_string(fd.get())), dir.Join("f") + " (deleted)");
}

TEST(ProcSelf, OpenViaFdLinkReopensFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "reopen"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(unlink(dir.Join("f").c_str()), SyscallSucceeds());
  FileDescriptor again(open(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), O_RDONLY));
  ASSERT_TRUE(again.valid()) << strerror(errno);
  EXPECT_EQ(ReadAll(again.get()), "reopen");
  // A separate open file description: its own offset.
  EXPECT_THAT(lseek(fd.get(), 0, SEEK_CUR), SyscallSucceedsWithValue(0));
}

TEST(ProcSelf, FdinfoShowsFlagsAndPos) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "abcdef"));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_THAT(lseek(fd.get(), 3, SEEK_SET), SyscallSucceeds());
  std::string info = Slurp("/proc/self/fdinfo/" + std::to_string(fd.get()));
  EXPECT_EQ(StatusField(info, "pos"), "3");
  unsigned flags = std::stoul(StatusField(info, "flags"), nullptr, 8);
  EXPECT_TRUE(flags & O_CLOEXEC);
}

TEST(ProcPid, OtherProcessVisible) {
  Pipe p = MakePipe();
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) {
    char c;
    read(p.r.get(), &c, 1);
    _exit(0);
  }
  std::string st = Slurp("/proc/" + std::to_string(pid) + "/status");
  EXPECT_EQ(StatusField(st, "PPid"), std::to_string(getpid()));
  write(p.w.get(), "x", 1);
  WaitStatus(pid);
}

TEST(ProcPid, ZombieStateIsZ) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(0);
  siginfo_t info = {};
  ASSERT_THAT(waitid(P_PID, pid, &info, WEXITED | WNOWAIT), SyscallSucceeds());
  std::string st = Slurp("/proc/" + std::to_string(pid) + "/stat");
  size_t close = st.rfind(')');
  ASSERT_NE(close, std::string::npos) << st;
  EXPECT_EQ(st[close + 2], 'Z');
  WaitStatus(pid);
}

TEST(ProcPid, GoneAfterReap) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_THAT(pid, SyscallSucceeds());
  if (pid == 0) _exit(0);
  WaitStatus(pid);
  struct stat st;
  EXPECT_THAT(stat(("/proc/" + std::to_string(pid)).c_str(), &st), SyscallFailsWithErrno(ENOENT));
}

TEST(ProcPid, ListedInProcRoot) {
  std::set<std::string> names;
  DIR* d = opendir("/proc");
  ASSERT_NE(d, nullptr);
  while (struct dirent* e = readdir(d)) names.insert(e->d_name);
  closedir(d);
  EXPECT_TRUE(names.count(std::to_string(getpid())));
  EXPECT_TRUE(names.count("self"));
}

TEST(ProcFiles, MeminfoAndCpuinfoReadable) {
  std::string mem = Slurp("/proc/meminfo");
  EXPECT_NE(mem.find("MemTotal:"), std::string::npos);
  std::string cpu = Slurp("/proc/cpuinfo");
  EXPECT_NE(cpu.find("processor"), std::string::npos);
}

TEST(ProcFiles, StatusIsReadOnlyRegularFile) {
  struct stat st;
  ASSERT_THAT(stat("/proc/self/status", &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0444u);
  EXPECT_EQ(st.st_uid, getuid());
}

}  // namespace
}  // namespace conformance
