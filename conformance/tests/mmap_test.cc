// mmap(2), munmap(2), mprotect(2).
// syscalls: mmap munmap mprotect
// syscalls(Mprotect): mprotect
// syscalls(Munmap): munmap
// syscalls(MmapFile): mmap msync
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "util/test_util.h"

namespace conformance {
namespace {

const size_t kPage = 4096;

void* Map(size_t len, int prot = PROT_READ | PROT_WRITE, int flags = MAP_PRIVATE | MAP_ANONYMOUS,
          int fd = -1, off_t off = 0) {
  return mmap(nullptr, len, prot, flags, fd, off);
}

// Whether touching `p` (read or write) faults; the probe runs in a child.
int FaultSignal(void* p, bool write) {
  int status = RunInChild([p, write] {
    if (write)
      *static_cast<volatile char*>(p) = 1;
    else
      (void)*static_cast<volatile char*>(p);
  });
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST(Mmap, AnonymousIsZeroFilledAndWritable) {
  char* p = static_cast<char*>(Map(3 * kPage));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kPage, 0u);
  for (size_t i = 0; i < 3 * kPage; i += 512) ASSERT_EQ(p[i], 0);
  p[0] = 'a';
  p[3 * kPage - 1] = 'z';
  EXPECT_EQ(p[0], 'a');
  EXPECT_THAT(munmap(p, 3 * kPage), SyscallSucceeds());
}

TEST(Mmap, ZeroLengthIsEINVAL) { EXPECT_THAT(Map(0), SyscallFailsWithErrno(EINVAL)); }

TEST(Mmap, NeitherPrivateNorSharedIsEINVAL) {
  EXPECT_THAT(Map(kPage, PROT_READ, MAP_ANONYMOUS), SyscallFailsWithErrno(EINVAL));
}

TEST(Mmap, UnalignedOffsetIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(2 * kPage, 'x')));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(Map(kPage, PROT_READ, MAP_PRIVATE, fd.get(), 100), SyscallFailsWithErrno(EINVAL));
}

TEST(Mmap, BadFdIsEBADF) {
  EXPECT_THAT(Map(kPage, PROT_READ, MAP_PRIVATE, 999), SyscallFailsWithErrno(EBADF));
}

TEST(Mmap, WriteOnlyFdIsEACCES) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(kPage, 'x')));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_WRONLY));
  EXPECT_THAT(Map(kPage, PROT_READ, MAP_PRIVATE, fd.get()), SyscallFailsWithErrno(EACCES));
}

TEST(Mmap, SharedWritableOnReadOnlyFdIsEACCES) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(kPage, 'x')));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  EXPECT_THAT(Map(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()),
              SyscallFailsWithErrno(EACCES));
}

TEST(Mmap, PrivateFileMappingReadsContents) {
  TempDir dir;
  std::string data(2 * kPage, 'a');
  data[kPage] = 'B';
  ASSERT_TRUE(WriteFile(dir.Join("f"), data));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  char* p = static_cast<char*>(Map(2 * kPage, PROT_READ, MAP_PRIVATE, fd.get()));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[0], 'a');
  EXPECT_EQ(p[kPage], 'B');
  munmap(p, 2 * kPage);
}

TEST(Mmap, FileOffsetMapping) {
  TempDir dir;
  std::string data(2 * kPage, 'a');
  data[kPage] = 'Q';
  ASSERT_TRUE(WriteFile(dir.Join("f"), data));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  char* p = static_cast<char*>(Map(kPage, PROT_READ, MAP_PRIVATE, fd.get(), kPage));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[0], 'Q');
  munmap(p, kPage);
}

TEST(Mmap, PrivateWritesDoNotReachFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(kPage, 'a')));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  char* p = static_cast<char*>(Map(kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get()));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'z';
  munmap(p, kPage);
  std::string s;
  ASSERT_TRUE(ReadFile(dir.Join("f"), &s));
  EXPECT_EQ(s[0], 'a');
}

TEST(Mmap, SharedFileWritesReachFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(kPage, 'a')));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  char* p = static_cast<char*>(Map(kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  ASSERT_NE(p, MAP_FAILED);
  p[1] = 'S';
  ASSERT_THAT(msync(p, kPage, MS_SYNC), SyscallSucceeds());
  char c;
  ASSERT_THAT(pread(fd.get(), &c, 1, 1), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'S');
  munmap(p, kPage);
}

TEST(Mmap, SharedFileSeesLaterWrites) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(kPage, 'a')));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDWR));
  char* p = static_cast<char*>(Map(kPage, PROT_READ, MAP_SHARED, fd.get()));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(pwrite(fd.get(), "W", 1, 5), SyscallSucceedsWithValue(1));
  EXPECT_EQ(p[5], 'W');
  munmap(p, kPage);
}

TEST(Mmap, BeyondEndOfFileIsSigbus) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(100, 'a')));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  char* p = static_cast<char*>(Map(3 * kPage, PROT_READ, MAP_PRIVATE, fd.get()));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[99], 'a');
  EXPECT_EQ(p[100], 0);  // Rest of the last page is zero.
  EXPECT_EQ(FaultSignal(p + 2 * kPage, false), SIGBUS);
  munmap(p, 3 * kPage);
}

TEST(Mmap, FixedReplacesExistingMapping) {
  char* p = static_cast<char*>(Map(2 * kPage));
  ASSERT_NE(p, MAP_FAILED);
  p[kPage] = 'x';
  char* q = static_cast<char*>(mmap(p + kPage, kPage, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  ASSERT_EQ(q, p + kPage);
  EXPECT_EQ(q[0], 0);
  munmap(p, 2 * kPage);
}

TEST(Mmap, FixedNoReplaceOnExistingIsEEXIST) {
  char* p = static_cast<char*>(Map(kPage));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_THAT(mmap(p, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0),
              SyscallFailsWithErrno(EEXIST));
  munmap(p, kPage);
}

TEST(Mmap, FixedUnalignedIsEINVAL) {
  char* p = static_cast<char*>(Map(2 * kPage));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_THAT(mmap(p + 1, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
              SyscallFailsWithErrno(EINVAL));
  munmap(p, 2 * kPage);
}

TEST(Mmap, HintIsUsedWhenFree) {
  char* p = static_cast<char*>(Map(4 * kPage));
  ASSERT_NE(p, MAP_FAILED);
  munmap(p, 4 * kPage);
  char* q = static_cast<char*>(mmap(p + kPage, kPage, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  EXPECT_EQ(q, p + kPage);
  munmap(q, kPage);
}

TEST(Mmap, ProtNoneFaults) {
  char* p = static_cast<char*>(Map(kPage, PROT_NONE));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(FaultSignal(p, false), SIGSEGV);
  munmap(p, kPage);
}

TEST(Mmap, ReadOnlyWriteFaults) {
  char* p = static_cast<char*>(Map(kPage, PROT_READ));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(FaultSignal(p, true), SIGSEGV);
  EXPECT_EQ(FaultSignal(p, false), 0);
  munmap(p, kPage);
}

TEST(Mmap, SegvSiginfoHasFaultAddress) {
  char* p = static_cast<char*>(Map(kPage, PROT_NONE));
  ASSERT_NE(p, MAP_FAILED);
  Pipe pp = MakePipe();
  int status = RunInChild([&] {
    static int wfd;
    wfd = pp.w.get();
    struct sigaction act = {};
    act.sa_sigaction = [](int, siginfo_t* info, void*) {
      void* addr = info->si_addr;
      int code = info->si_code;
      write(wfd, &addr, sizeof addr);
      write(wfd, &code, sizeof code);
      _exit(0);
    };
    act.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &act, nullptr);
    *static_cast<volatile char*>(p + 8) = 1;
    _exit(1);
  });
  ASSERT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
  void* addr = nullptr;
  int code = 0;
  ASSERT_THAT(read(pp.r.get(), &addr, sizeof addr), SyscallSucceedsWithValue(sizeof addr));
  ASSERT_THAT(read(pp.r.get(), &code, sizeof code), SyscallSucceedsWithValue(sizeof code));
  EXPECT_EQ(addr, p + 8);
  EXPECT_EQ(code, SEGV_ACCERR);
  munmap(p, kPage);
}

TEST(Mmap, UnmappedAccessIsSegvMaperr) {
  char* p = static_cast<char*>(Map(kPage));
  ASSERT_NE(p, MAP_FAILED);
  munmap(p, kPage);
  EXPECT_EQ(FaultSignal(p, false), SIGSEGV);
}

TEST(Mmap, SharedAnonymousSurvivesFork) {
  int* p = static_cast<int*>(Map(kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS));
  ASSERT_NE(p, MAP_FAILED);
  int status = RunInChild([p] { p[10] = 77; });
  ASSERT_TRUE(ExitedWith(status, 0));
  EXPECT_EQ(p[10], 77);
  munmap(p, kPage);
}

TEST(Mmap, PrivateAnonymousIsCopyOnWriteAcrossFork) {
  int* p = static_cast<int*>(Map(kPage));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 1;
  int status = RunInChild([p] {
    CHILD_CHECK(p[0] == 1);
    p[0] = 2;
  });
  ASSERT_TRUE(ExitedWith(status, 0));
  EXPECT_EQ(p[0], 1);
  munmap(p, kPage);
}

TEST(Mmap, DirectoryFdIsENODEV) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  void* p = Map(kPage, PROT_READ, MAP_PRIVATE, fd.get());
  EXPECT_EQ(p, MAP_FAILED);
  EXPECT_EQ(errno, ENODEV);
}

TEST(Mmap, HugeLengthIsENOMEM) {
  EXPECT_THAT(Map(~size_t{0} - kPage), SyscallFailsWithErrno(ENOMEM));
}

TEST(Munmap, PartialUnmapSplitsMapping) {
  char* p = static_cast<char*>(Map(3 * kPage));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'a';
  p[2 * kPage] = 'c';
  ASSERT_THAT(munmap(p + kPage, kPage), SyscallSucceeds());
  EXPECT_EQ(p[0], 'a');
  EXPECT_EQ(p[2 * kPage], 'c');
  EXPECT_EQ(FaultSignal(p + kPage, false), SIGSEGV);
  munmap(p, 3 * kPage);
}

TEST(Munmap, UnalignedIsEINVAL) {
  char* p = static_cast<char*>(Map(kPage));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_THAT(munmap(p + 1, kPage), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Munmap, UnmappedRangeSucceeds) {
  char* p = static_cast<char*>(Map(kPage));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(munmap(p, kPage), SyscallSucceeds());
  EXPECT_THAT(munmap(p, kPage), SyscallSucceeds());
}

TEST(Munmap, ZeroLengthIsEINVAL) {
  char* p = static_cast<char*>(Map(kPage));
  EXPECT_THAT(munmap(p, 0), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Mprotect, RemoveWriteThenFault) {
  char* p = static_cast<char*>(Map(kPage));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'x';
  ASSERT_THAT(mprotect(p, kPage, PROT_READ), SyscallSucceeds());
  EXPECT_EQ(p[0], 'x');
  EXPECT_EQ(FaultSignal(p, true), SIGSEGV);
  munmap(p, kPage);
}

TEST(Mprotect, AddWrite) {
  char* p = static_cast<char*>(Map(kPage, PROT_READ));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(mprotect(p, kPage, PROT_READ | PROT_WRITE), SyscallSucceeds());
  p[0] = 'w';
  EXPECT_EQ(p[0], 'w');
  munmap(p, kPage);
}

TEST(Mprotect, UnalignedIsEINVAL) {
  char* p = static_cast<char*>(Map(kPage));
  EXPECT_THAT(mprotect(p + 1, kPage, PROT_READ), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Mprotect, UnmappedIsENOMEM) {
  char* p = static_cast<char*>(Map(kPage));
  munmap(p, kPage);
  EXPECT_THAT(mprotect(p, kPage, PROT_READ), SyscallFailsWithErrno(ENOMEM));
}

TEST(Mprotect, BadProtIsEINVAL) {
  char* p = static_cast<char*>(Map(kPage));
  EXPECT_THAT(mprotect(p, kPage, 0x100), SyscallFailsWithErrno(EINVAL));
  munmap(p, kPage);
}

TEST(Mprotect, WriteOnSharedReadOnlyFileMappingIsEACCES) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), std::string(kPage, 'a')));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  char* p = static_cast<char*>(Map(kPage, PROT_READ, MAP_SHARED, fd.get()));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_THAT(mprotect(p, kPage, PROT_READ | PROT_WRITE), SyscallFailsWithErrno(EACCES));
  munmap(p, kPage);
}

TEST(Mprotect, MiddlePageOnly) {
  char* p = static_cast<char*>(Map(3 * kPage));
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_THAT(mprotect(p + kPage, kPage, PROT_NONE), SyscallSucceeds());
  EXPECT_EQ(FaultSignal(p, true), 0);
  EXPECT_EQ(FaultSignal(p + kPage, false), SIGSEGV);
  EXPECT_EQ(FaultSignal(p + 2 * kPage, true), 0);
  munmap(p, 3 * kPage);
}

// File mappings: MAP_SHARED coherence with read(2)/write(2), write-back,
// SIGBUS past the end of the file. Each test runs in /tmp (the root
// overlay's upper layer in bulwark) and in /conformance-bind when it exists
// (conformance/runner.py bind-mounts a host directory there for this
// family: gofer files); natively both are /tmp.
std::string DirOf(const std::string& which) {
  if (which == "bind" && access("/conformance-bind", W_OK) == 0) return "/conformance-bind";
  return "/tmp";
}

class MmapFile : public ::testing::TestWithParam<std::string> {
 protected:
  MmapFile() : dir_(DirOf(GetParam())) {}
  // A file of `content` named `name`, opened O_RDWR.
  FileDescriptor Make(const std::string& name, const std::string& content) {
    EXPECT_TRUE(WriteFile(dir_.Join(name), content));
    return FileDescriptor(open(dir_.Join(name).c_str(), O_RDWR));
  }
  char* MapShared(int fd, size_t len, int prot = PROT_READ | PROT_WRITE) {
    return static_cast<char*>(mmap(nullptr, len, prot, MAP_SHARED, fd, 0));
  }
  std::string Read(const std::string& name) {
    std::string s;
    EXPECT_TRUE(ReadFile(dir_.Join(name), &s));
    return s;
  }
  TempDir dir_;
};

TEST_P(MmapFile, MappingWriteIsSeenByRead) {
  FileDescriptor fd = Make("f", std::string(kPage, 'a'));
  char* p = MapShared(fd.get(), kPage);
  ASSERT_NE(p, MAP_FAILED);
  p[10] = 'M';
  char c = 0;
  ASSERT_THAT(pread(fd.get(), &c, 1, 10), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'M');
  // Through another description too.
  FileDescriptor other(open(dir_.Join("f").c_str(), O_RDONLY));
  ASSERT_THAT(pread(other.get(), &c, 1, 10), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 'M');
  munmap(p, kPage);
}

TEST_P(MmapFile, WriteIsSeenByMapping) {
  FileDescriptor fd = Make("f", std::string(kPage, 'a'));
  char* p = MapShared(fd.get(), kPage);
  ASSERT_NE(p, MAP_FAILED);
  FileDescriptor other(open(dir_.Join("f").c_str(), O_WRONLY));
  ASSERT_THAT(pwrite(other.get(), "WX", 2, 7), SyscallSucceedsWithValue(2));
  EXPECT_EQ(p[7], 'W');
  EXPECT_EQ(p[8], 'X');
  munmap(p, kPage);
}

TEST_P(MmapFile, MsyncThenAnotherProcessReads) {
  FileDescriptor fd = Make("f", std::string(2 * kPage, 'a'));
  char* p = MapShared(fd.get(), 2 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  p[kPage + 3] = 'S';
  ASSERT_THAT(msync(p, 2 * kPage, MS_SYNC), SyscallSucceeds());
  std::string path = dir_.Join("f");
  int status = RunInChild([&] {
    int f = open(path.c_str(), O_RDONLY);
    char c = 0;
    if (f < 0 || pread(f, &c, 1, kPage + 3) != 1) _exit(2);
    _exit(c == 'S' ? 0 : 1);
  });
  EXPECT_EQ(status, 0);
  munmap(p, 2 * kPage);
}

TEST_P(MmapFile, UnmapWritesBack) {
  {
    FileDescriptor fd = Make("f", std::string(kPage, 'a'));
    char* p = MapShared(fd.get(), kPage);
    ASSERT_NE(p, MAP_FAILED);
    p[0] = 'U';
    p[kPage - 1] = 'V';
    munmap(p, kPage);
  }
  std::string s = Read("f");
  ASSERT_EQ(s.size(), kPage);
  EXPECT_EQ(s[0], 'U');
  EXPECT_EQ(s[kPage - 1], 'V');
}

TEST_P(MmapFile, ForkedProcessesShareTheMapping) {
  FileDescriptor fd = Make("f", std::string(kPage, 'a'));
  char* p = MapShared(fd.get(), kPage);
  ASSERT_NE(p, MAP_FAILED);
  int status = RunInChild([p] {
    p[0] = 'c';
    _exit(0);
  });
  EXPECT_EQ(status, 0);
  EXPECT_EQ(p[0], 'c');
  p[1] = 'p';
  status = RunInChild([p] { _exit(p[1] == 'p' ? 0 : 1); });
  EXPECT_EQ(status, 0);
  munmap(p, kPage);
}

TEST_P(MmapFile, PrivateWritesAreNotWrittenBack) {
  FileDescriptor fd = Make("f", std::string(kPage, 'a'));
  char* p = static_cast<char*>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  p[0] = 'z';
  ASSERT_THAT(msync(p, kPage, MS_SYNC), SyscallSucceeds());
  munmap(p, kPage);
  EXPECT_EQ(Read("f")[0], 'a');
}

TEST_P(MmapFile, TruncateThenAccessIsSigbus) {
  FileDescriptor fd = Make("f", std::string(2 * kPage, 'a'));
  char* p = MapShared(fd.get(), 2 * kPage);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[kPage], 'a');
  ASSERT_THAT(ftruncate(fd.get(), 100), SyscallSucceeds());
  EXPECT_EQ(p[99], 'a');
  EXPECT_EQ(p[100], 0);  // the rest of the last page reads as zero
  EXPECT_EQ(FaultSignal(p + kPage, false), SIGBUS);
  EXPECT_EQ(FaultSignal(p + kPage, true), SIGBUS);
  // Growing the file makes the page reachable again, zero-filled.
  ASSERT_THAT(ftruncate(fd.get(), 2 * kPage), SyscallSucceeds());
  EXPECT_EQ(FaultSignal(p + kPage, false), 0);
  EXPECT_EQ(p[kPage], 0);
  munmap(p, 2 * kPage);
}

TEST_P(MmapFile, SharedBeyondEndOfFileIsSigbus) {
  FileDescriptor fd = Make("f", std::string(100, 'a'));
  char* p = MapShared(fd.get(), 3 * kPage, PROT_READ);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[99], 'a');
  EXPECT_EQ(p[100], 0);
  EXPECT_EQ(FaultSignal(p + kPage, false), SIGBUS);
  EXPECT_EQ(FaultSignal(p + 2 * kPage, false), SIGBUS);
  munmap(p, 3 * kPage);
}

TEST_P(MmapFile, PrivateBeyondEndOfFileIsSigbus) {
  FileDescriptor fd = Make("f", std::string(kPage + 1, 'a'));
  char* p = static_cast<char*>(mmap(nullptr, 3 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0));
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(p[kPage], 'a');
  EXPECT_EQ(p[kPage + 1], 0);
  EXPECT_EQ(FaultSignal(p + 2 * kPage, true), SIGBUS);
  munmap(p, 3 * kPage);
}

TEST_P(MmapFile, WritableSharedMappingOfReadOnlyFdIsEACCES) {
  FileDescriptor fd = Make("f", std::string(kPage, 'a'));
  FileDescriptor ro(open(dir_.Join("f").c_str(), O_RDONLY));
  EXPECT_EQ(mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_SHARED, ro.get(), 0), MAP_FAILED);
  EXPECT_EQ(errno, EACCES);
  char* p = MapShared(ro.get(), kPage, PROT_READ);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_THAT(mprotect(p, kPage, PROT_READ | PROT_WRITE), SyscallFailsWithErrno(EACCES));
  munmap(p, kPage);
}

INSTANTIATE_TEST_SUITE_P(Dirs, MmapFile, ::testing::Values("tmp", "bind"),
                         [](const auto& info) { return info.param; });

// A directory on a noexec mount, or "" if none can be had: natively a new
// tmpfs in a private mount namespace; in a sandbox that cannot mount, the
// /dev/shm container managers mount noexec.
std::string NoexecDir(const std::string& scratch) {
  if (unshare(CLONE_NEWNS) == 0 && mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
      mount("tmpfs", scratch.c_str(), "tmpfs", MS_NOEXEC, nullptr) == 0)
    return scratch;
  struct statvfs sv;
  if (statvfs("/dev/shm", &sv) == 0 && (sv.f_flag & ST_NOEXEC)) return "/dev/shm";
  return "";
}

// do_mmap(): a file of a noexec mount cannot be mapped executable (EPERM),
// nor made executable later (mprotect: EACCES); READ_IMPLIES_EXEC does not
// apply to it.
TEST(Mmap, NoexecMountRefusesExecutableMappings) {
  TempDir dir;
  int status = RunInChild([&] {
    std::string d = NoexecDir(dir.path());
    if (d.empty()) _exit(0);  // nothing to check here
    std::string f = d + "/mmap-noexec-file";
    int fd = open(f.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0755);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(ftruncate(fd, 4096) == 0);
    unlink(f.c_str());
    CHILD_CHECK(mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED &&
                errno == EPERM);
    void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    CHILD_CHECK(p != MAP_FAILED);
    CHILD_CHECK(mprotect(p, 4096, PROT_READ | PROT_EXEC) == -1 && errno == EACCES);
    CHILD_CHECK(mprotect(p, 4096, PROT_READ) == 0);
    // Anonymous memory can still be made executable.
    void* a = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHILD_CHECK(a != MAP_FAILED && mprotect(a, 4096, PROT_READ | PROT_EXEC) == 0);
    close(fd);
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << DescribeWaitStatus(status);
}

}  // namespace
}  // namespace conformance
