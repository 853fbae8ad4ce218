// rename(2), renameat(2), renameat2(2).
// syscalls: rename renameat renameat2
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

std::string Read(const std::string& p) {
  std::string s;
  if (!ReadFile(p, &s)) return "<missing>";
  return s;
}

TEST(Rename, MovesFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  ASSERT_THAT(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  EXPECT_EQ(Read(dir.Join("b")), "A");
  EXPECT_THAT(access(dir.Join("a").c_str(), F_OK), SyscallFailsWithErrno(ENOENT));
}

TEST(Rename, ReplacesExistingFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  ASSERT_TRUE(WriteFile(dir.Join("b"), "B"));
  ASSERT_THAT(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  EXPECT_EQ(Read(dir.Join("b")), "A");
}

TEST(Rename, KeepsInode) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  struct stat before, after;
  ASSERT_THAT(stat(dir.Join("a").c_str(), &before), SyscallSucceeds());
  ASSERT_THAT(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  ASSERT_THAT(stat(dir.Join("b").c_str(), &after), SyscallSucceeds());
  EXPECT_EQ(before.st_ino, after.st_ino);
}

TEST(Rename, MovesBetweenDirectories) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d1").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("d2").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("d1/f"), "x"));
  ASSERT_THAT(rename(dir.Join("d1/f").c_str(), dir.Join("d2/g").c_str()), SyscallSucceeds());
  EXPECT_EQ(Read(dir.Join("d2/g")), "x");
}

TEST(Rename, DirectoryOntoEmptyDirectory) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("a").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("b").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("a/inner"), "i"));
  ASSERT_THAT(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  EXPECT_EQ(Read(dir.Join("b/inner")), "i");
}

TEST(Rename, DirectoryOntoNonEmptyIsENOTEMPTY) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("a").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("b").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("b/x"), ""));
  int r = rename(dir.Join("a").c_str(), dir.Join("b").c_str());
  EXPECT_EQ(r, -1);
  EXPECT_TRUE(errno == ENOTEMPTY || errno == EEXIST) << strerror(errno);
}

TEST(Rename, DirectoryOntoFileIsENOTDIR) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("a").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(rename(dir.Join("a").c_str(), dir.Join("f").c_str()), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Rename, FileOntoDirectoryIsEISDIR) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  EXPECT_THAT(rename(dir.Join("f").c_str(), dir.Join("d").c_str()), SyscallFailsWithErrno(EISDIR));
}

TEST(Rename, IntoOwnSubdirectoryIsEINVAL) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("a").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("a/b").c_str(), 0755), SyscallSucceeds());
  EXPECT_THAT(rename(dir.Join("a").c_str(), dir.Join("a/b/c").c_str()),
              SyscallFailsWithErrno(EINVAL));
}

TEST(Rename, MissingSourceIsENOENT) {
  TempDir dir;
  EXPECT_THAT(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallFailsWithErrno(ENOENT));
}

TEST(Rename, SameFileIsNoop) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  ASSERT_THAT(link(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  ASSERT_THAT(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  // Both names still exist (rename(2): "do nothing").
  EXPECT_EQ(Read(dir.Join("a")), "A");
  EXPECT_EQ(Read(dir.Join("b")), "A");
}

TEST(Rename, DotDotUpdatedForMovedDirectory) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d1").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("d2").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("d1/sub").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(rename(dir.Join("d1/sub").c_str(), dir.Join("d2/sub").c_str()), SyscallSucceeds());
  struct stat a, b;
  ASSERT_THAT(stat(dir.Join("d2/sub/..").c_str(), &a), SyscallSucceeds());
  ASSERT_THAT(stat(dir.Join("d2").c_str(), &b), SyscallSucceeds());
  EXPECT_EQ(a.st_ino, b.st_ino);
}

TEST(Rename, SymlinkIsRenamedNotTarget) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "F"));
  ASSERT_THAT(symlink("f", dir.Join("l").c_str()), SyscallSucceeds());
  ASSERT_THAT(rename(dir.Join("l").c_str(), dir.Join("m").c_str()), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(lstat(dir.Join("m").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(Read(dir.Join("f")), "F");
}

TEST(Renameat, RelativeToDirFds) {
  TempDir dir;
  ASSERT_THAT(mkdir(dir.Join("d1").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("d2").c_str(), 0755), SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("d1/f"), "x"));
  FileDescriptor a(open(dir.Join("d1").c_str(), O_RDONLY | O_DIRECTORY));
  FileDescriptor b(open(dir.Join("d2").c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(renameat(a.get(), "f", b.get(), "g"), SyscallSucceeds());
  EXPECT_EQ(Read(dir.Join("d2/g")), "x");
}

TEST(Renameat2, NoReplaceFailsIfTargetExists) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  ASSERT_TRUE(WriteFile(dir.Join("b"), "B"));
  EXPECT_THAT(renameat2(AT_FDCWD, dir.Join("a").c_str(), AT_FDCWD, dir.Join("b").c_str(),
                        RENAME_NOREPLACE),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_EQ(Read(dir.Join("b")), "B");
}

TEST(Renameat2, NoReplaceMovesIfAbsent) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  ASSERT_THAT(renameat2(AT_FDCWD, dir.Join("a").c_str(), AT_FDCWD, dir.Join("b").c_str(),
                        RENAME_NOREPLACE),
              SyscallSucceeds());
  EXPECT_EQ(Read(dir.Join("b")), "A");
}

TEST(Renameat2, ExchangeSwapsEntries) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  ASSERT_THAT(mkdir(dir.Join("b").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(renameat2(AT_FDCWD, dir.Join("a").c_str(), AT_FDCWD, dir.Join("b").c_str(),
                        RENAME_EXCHANGE),
              SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(dir.Join("a").c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(Read(dir.Join("b")), "A");
}

TEST(Renameat2, ExchangeWithMissingIsENOENT) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  EXPECT_THAT(renameat2(AT_FDCWD, dir.Join("a").c_str(), AT_FDCWD, dir.Join("b").c_str(),
                        RENAME_EXCHANGE),
              SyscallFailsWithErrno(ENOENT));
}

TEST(Renameat2, ExchangeAndNoReplaceIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  ASSERT_TRUE(WriteFile(dir.Join("b"), "B"));
  EXPECT_THAT(renameat2(AT_FDCWD, dir.Join("a").c_str(), AT_FDCWD, dir.Join("b").c_str(),
                        RENAME_EXCHANGE | RENAME_NOREPLACE),
              SyscallFailsWithErrno(EINVAL));
}

TEST(Renameat2, UnknownFlagIsEINVAL) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), "A"));
  EXPECT_THAT(renameat2(AT_FDCWD, dir.Join("a").c_str(), AT_FDCWD, dir.Join("b").c_str(), 1 << 20),
              SyscallFailsWithErrno(EINVAL));
}

}  // namespace
}  // namespace conformance
