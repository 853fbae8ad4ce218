// Namespaces as the application sees them: /proc/self/ns links, unshare(2),
// setns(2), and the isolation of UTS names.
// syscalls: unshare setns shmget clone
#include <sched.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "util/test_util.h"

namespace conformance {
namespace {

std::string Link(const std::string& p) {
  char buf[256];
  ssize_t n = readlink(p.c_str(), buf, sizeof buf);
  return n < 0 ? "<error: " + std::string(strerror(errno)) + ">" : std::string(buf, n);
}

TEST(Namespaces, ProcSelfNsLinksHaveTypeAndInode) {
  for (const char* ns : {"pid", "net", "mnt", "uts", "ipc", "user"}) {
    std::string l = Link(std::string("/proc/self/ns/") + ns);
    EXPECT_EQ(l.rfind(std::string(ns) + ":[", 0), 0u) << ns << " -> " << l;
    EXPECT_EQ(l.back(), ']') << l;
  }
}

TEST(Namespaces, ChildSharesNamespaces) {
  std::string mine = Link("/proc/self/ns/uts");
  ASSERT_EQ(mine.rfind("uts:[", 0), 0u) << mine;
  Pipe p = MakePipe();
  int status = RunInChild([&] {
    std::string theirs = Link("/proc/self/ns/uts");
    write(p.w.get(), theirs.data(), theirs.size());
  });
  ASSERT_TRUE(ExitedWith(status, 0));
  p.w.reset();
  EXPECT_EQ(ReadAll(p.r.get()), mine);
}

TEST(Namespaces, NsFilesAreStatable) {
  struct stat a, b;
  ASSERT_THAT(stat("/proc/self/ns/net", &a), SyscallSucceeds());
  ASSERT_THAT(stat(("/proc/" + std::to_string(getpid()) + "/ns/net").c_str(), &b), SyscallSucceeds());
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST(Namespaces, UnshareUtsIsolatesHostname) {
  struct utsname before;
  ASSERT_THAT(uname(&before), SyscallSucceeds());
  int status = RunInChild([] {
    CHILD_CHECK(unshare(CLONE_NEWUTS) == 0);
    CHILD_CHECK(sethostname("conformance-uts", 15) == 0);
    struct utsname u;
    uname(&u);
    CHILD_CHECK(strcmp(u.nodename, "conformance-uts") == 0);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  struct utsname after;
  ASSERT_THAT(uname(&after), SyscallSucceeds());
  EXPECT_STREQ(before.nodename, after.nodename);
}

TEST(Namespaces, UnshareChangesNsLink) {
  std::string mine = Link("/proc/self/ns/ipc");
  Pipe p = MakePipe();
  int status = RunInChild([&] {
    CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
    std::string l = Link("/proc/self/ns/ipc");
    write(p.w.get(), l.data(), l.size());
  });
  ASSERT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  p.w.reset();
  std::string theirs = ReadAll(p.r.get());
  EXPECT_NE(theirs, mine);
  EXPECT_EQ(theirs.rfind("ipc:[", 0), 0u);
}

TEST(Namespaces, UnshareIpcHidesSysvObjects) {
  key_t key = 0x6e5f0000 | (getpid() & 0xffff);
  int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  int status = RunInChild([key] {
    CHILD_CHECK(shmget(key, 0, 0) >= 0);
    CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
    CHILD_CHECK(shmget(key, 0, 0) == -1 && errno == ENOENT);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  EXPECT_THAT(shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
}

TEST(Namespaces, UnshareUnprivilegedIsEPERM) {
  int status = RunInChild([] {
    CHILD_CHECK(setuid(1000) == 0);
    CHILD_CHECK(unshare(CLONE_NEWUTS) == -1 && errno == EPERM);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Namespaces, UnshareBadFlagIsEINVAL) {
  EXPECT_THAT(unshare(0x1), SyscallFailsWithErrno(EINVAL));
}

TEST(Namespaces, SetnsIntoOwnNamespace) {
  FileDescriptor fd(open("/proc/self/ns/uts", O_RDONLY));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  int status = RunInChild([&] { CHILD_CHECK(setns(fd.get(), CLONE_NEWUTS) == 0); });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

TEST(Namespaces, SetnsWrongTypeIsEINVAL) {
  FileDescriptor fd(open("/proc/self/ns/uts", O_RDONLY));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  EXPECT_THAT(setns(fd.get(), CLONE_NEWNET), SyscallFailsWithErrno(EINVAL));
}

TEST(Namespaces, SetnsOnRegularFileIsEINVAL) {
  FileDescriptor fd(open("/dev/null", O_RDONLY));
  EXPECT_THAT(setns(fd.get(), 0), SyscallFailsWithErrno(EINVAL));
}

// clone(2) with CLONE_NEWUTS: the child starts in a new UTS namespace.
TEST(Namespaces, CloneNewUts) {
  struct utsname before;
  ASSERT_THAT(uname(&before), SyscallSucceeds());
  fflush(nullptr);
  long pid = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
  if (pid == 0) _exit(sethostname("conformance-clone", 17) == 0 ? 0 : 1);
  ASSERT_THAT(pid, SyscallSucceeds());
  EXPECT_TRUE(ExitedWith(WaitStatus(static_cast<pid_t>(pid)), 0));
  struct utsname after;
  ASSERT_THAT(uname(&after), SyscallSucceeds());
  EXPECT_STREQ(before.nodename, after.nodename);
}

}  // namespace
}  // namespace conformance
