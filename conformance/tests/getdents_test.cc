// getdents64(2), getdents(2).
// syscalls: getdents64 getdents
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <algorithm>
#include <set>

#include "util/test_util.h"

namespace conformance {
namespace {

struct Entry {
  std::string name;
  unsigned char type;
  ino64_t ino;
};

struct linux_dirent64 {
  ino64_t d_ino;
  off64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

struct linux_dirent {
  unsigned long d_ino;
  unsigned long d_off;
  unsigned short d_reclen;
  char d_name[];
};

std::vector<Entry> ReadEntries64(int fd, size_t bufsize = 4096) {
  std::vector<Entry> out;
  std::vector<char> buf(bufsize);
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf.data(), buf.size());
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<linux_dirent64*>(buf.data() + off);
      out.push_back({d->d_name, d->d_type, d->d_ino});
      off += d->d_reclen;
    }
  }
  return out;
}

std::set<std::string> Names(const std::vector<Entry>& es) {
  std::set<std::string> s;
  for (const auto& e : es) s.insert(e.name);
  return s;
}

TEST(Getdents64, EmptyDirHasDotAndDotDot) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_EQ(Names(ReadEntries64(fd.get())), (std::set<std::string>{".", ".."}));
}

TEST(Getdents64, ListsCreatedEntries) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  ASSERT_THAT(mkdir(dir.Join("b").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(symlink("a", dir.Join("c").c_str()), SyscallSucceeds());
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  auto es = ReadEntries64(fd.get());
  EXPECT_EQ(Names(es), (std::set<std::string>{".", "..", "a", "b", "c"}));
}

TEST(Getdents64, TypesAreReported) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  ASSERT_THAT(mkdir(dir.Join("b").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(symlink("a", dir.Join("c").c_str()), SyscallSucceeds());
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  for (const auto& e : ReadEntries64(fd.get())) {
    if (e.name == "a") {
      EXPECT_EQ(e.type, DT_REG);
    }
    if (e.name == "b") {
      EXPECT_EQ(e.type, DT_DIR);
    }
    if (e.name == "c") {
      EXPECT_EQ(e.type, DT_LNK);
    }
  }
}

TEST(Getdents64, InodesMatchStat) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  struct stat st;
  ASSERT_THAT(stat(dir.Join("a").c_str(), &st), SyscallSucceeds());
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  bool found = false;
  for (const auto& e : ReadEntries64(fd.get())) {
    if (e.name == "a") {
      found = true;
      EXPECT_EQ(e.ino, st.st_ino);
    }
  }
  EXPECT_TRUE(found);
}

TEST(Getdents64, ManyEntriesWithSmallBuffer) {
  TempDir dir;
  std::set<std::string> want = {".", ".."};
  for (int i = 0; i < 200; i++) {
    std::string n = "file" + std::to_string(i);
    ASSERT_TRUE(WriteFile(dir.Join(n), ""));
    want.insert(n);
  }
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  auto es = ReadEntries64(fd.get(), 256);
  EXPECT_EQ(es.size(), want.size());
  EXPECT_EQ(Names(es), want);
}

TEST(Getdents64, BufferTooSmallIsEINVAL) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  char buf[8];
  EXPECT_THAT(syscall(SYS_getdents64, fd.get(), buf, sizeof buf), SyscallFailsWithErrno(EINVAL));
}

TEST(Getdents64, NotADirectoryIsENOTDIR) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(open(dir.Join("f").c_str(), O_RDONLY));
  char buf[512];
  EXPECT_THAT(syscall(SYS_getdents64, fd.get(), buf, sizeof buf), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Getdents64, BadFdIsEBADF) {
  char buf[512];
  EXPECT_THAT(syscall(SYS_getdents64, -1, buf, sizeof buf), SyscallFailsWithErrno(EBADF));
}

TEST(Getdents64, AtEndReturnsZero) {
  TempDir dir;
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ReadEntries64(fd.get());
  char buf[512];
  EXPECT_THAT(syscall(SYS_getdents64, fd.get(), buf, sizeof buf), SyscallSucceedsWithValue(0));
}

TEST(Getdents64, RewindWithLseekRestarts) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("x"), ""));
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  auto first = ReadEntries64(fd.get());
  ASSERT_THAT(lseek(fd.get(), 0, SEEK_SET), SyscallSucceedsWithValue(0));
  auto second = ReadEntries64(fd.get());
  EXPECT_EQ(Names(first), Names(second));
  EXPECT_EQ(second.size(), 3u);
}

TEST(Getdents64, RemovedEntryNotListed) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("gone"), ""));
  ASSERT_TRUE(WriteFile(dir.Join("kept"), ""));
  ASSERT_THAT(unlink(dir.Join("gone").c_str()), SyscallSucceeds());
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  EXPECT_EQ(Names(ReadEntries64(fd.get())), (std::set<std::string>{".", "..", "kept"}));
}

TEST(Getdents, LegacyCallListsEntries) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("legacy"), ""));
  FileDescriptor fd(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  char buf[4096];
  long n = syscall(SYS_getdents, fd.get(), buf, sizeof buf);
  ASSERT_THAT(n, SyscallSucceeds());
  std::set<std::string> names;
  for (long off = 0; off < n;) {
    auto* d = reinterpret_cast<linux_dirent*>(buf + off);
    names.insert(d->d_name);
    // The type is the last byte of the record.
    unsigned char type = buf[off + d->d_reclen - 1];
    if (std::string(d->d_name) == "legacy") {
      EXPECT_EQ(type, DT_REG);
    }
    off += d->d_reclen;
  }
  EXPECT_EQ(names, (std::set<std::string>{".", "..", "legacy"}));
}

TEST(Readdir, LibcReaddirSeesAll) {
  TempDir dir;
  for (int i = 0; i < 10; i++) ASSERT_TRUE(WriteFile(dir.Join(std::to_string(i)), ""));
  DIR* d = opendir(dir.path().c_str());
  ASSERT_NE(d, nullptr);
  int count = 0;
  while (readdir(d) != nullptr) count++;
  closedir(d);
  EXPECT_EQ(count, 12);
}

}  // namespace
}  // namespace conformance
