// setxattr(2), getxattr(2), listxattr(2), removexattr(2) and the l*/f* forms,
// on tmpfs (/dev/shm), which supports the user. namespace.
// syscalls: setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr
#include <sys/xattr.h>

#include <set>

#include "util/test_util.h"

namespace conformance {
namespace {

class Xattr : public ::testing::Test {
 protected:
  Xattr() : dir_("/dev/shm") {}
  void SetUp() override {
    path_ = dir_.Join("f");
    ASSERT_TRUE(WriteFile(path_, ""));
  }
  TempDir dir_;
  std::string path_;
};

TEST_F(Xattr, SetAndGet) {
  ASSERT_THAT(setxattr(path_.c_str(), "user.k", "value", 5, 0), SyscallSucceeds());
  char buf[16];
  ASSERT_THAT(getxattr(path_.c_str(), "user.k", buf, sizeof buf), SyscallSucceedsWithValue(5));
  EXPECT_EQ(std::string(buf, 5), "value");
}

TEST_F(Xattr, SizeQueryWithZeroBuffer) {
  ASSERT_THAT(setxattr(path_.c_str(), "user.k", "12345678", 8, 0), SyscallSucceeds());
  EXPECT_THAT(getxattr(path_.c_str(), "user.k", nullptr, 0), SyscallSucceedsWithValue(8));
}

TEST_F(Xattr, MissingIsENODATA) {
  char buf[16];
  EXPECT_THAT(getxattr(path_.c_str(), "user.none", buf, sizeof buf), SyscallFailsWithErrno(ENODATA));
}

TEST_F(Xattr, SmallBufferIsERANGE) {
  ASSERT_THAT(setxattr(path_.c_str(), "user.k", "value", 5, 0), SyscallSucceeds());
  char buf[2];
  EXPECT_THAT(getxattr(path_.c_str(), "user.k", buf, sizeof buf), SyscallFailsWithErrno(ERANGE));
}

TEST_F(Xattr, CreateFlagOnExistingIsEEXIST) {
  ASSERT_THAT(setxattr(path_.c_str(), "user.k", "a", 1, 0), SyscallSucceeds());
  EXPECT_THAT(setxattr(path_.c_str(), "user.k", "b", 1, XATTR_CREATE), SyscallFailsWithErrno(EEXIST));
}

TEST_F(Xattr, ReplaceFlagOnMissingIsENODATA) {
  EXPECT_THAT(setxattr(path_.c_str(), "user.k", "b", 1, XATTR_REPLACE), SyscallFailsWithErrno(ENODATA));
}

TEST_F(Xattr, ListNames) {
  ASSERT_THAT(setxattr(path_.c_str(), "user.a", "1", 1, 0), SyscallSucceeds());
  ASSERT_THAT(setxattr(path_.c_str(), "user.bb", "2", 1, 0), SyscallSucceeds());
  char buf[256];
  ssize_t n = listxattr(path_.c_str(), buf, sizeof buf);
  ASSERT_THAT(n, SyscallSucceeds());
  std::set<std::string> names;
  for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1) names.insert(buf + i);
  EXPECT_TRUE(names.count("user.a"));
  EXPECT_TRUE(names.count("user.bb"));
}

TEST_F(Xattr, Remove) {
  ASSERT_THAT(setxattr(path_.c_str(), "user.k", "v", 1, 0), SyscallSucceeds());
  ASSERT_THAT(removexattr(path_.c_str(), "user.k"), SyscallSucceeds());
  EXPECT_THAT(removexattr(path_.c_str(), "user.k"), SyscallFailsWithErrno(ENODATA));
}

TEST_F(Xattr, FdVariants) {
  FileDescriptor fd(open(path_.c_str(), O_RDWR));
  ASSERT_THAT(fsetxattr(fd.get(), "user.fd", "x", 1, 0), SyscallSucceeds());
  char buf[4];
  EXPECT_THAT(fgetxattr(fd.get(), "user.fd", buf, sizeof buf), SyscallSucceedsWithValue(1));
  EXPECT_THAT(flistxattr(fd.get(), nullptr, 0), SyscallSucceeds());
  EXPECT_THAT(fremovexattr(fd.get(), "user.fd"), SyscallSucceeds());
}

TEST_F(Xattr, SymlinkVariantsDoNotFollow) {
  ASSERT_THAT(symlink("f", dir_.Join("l").c_str()), SyscallSucceeds());
  // user.* attributes are not allowed on symlinks.
  EXPECT_THAT(lsetxattr(dir_.Join("l").c_str(), "user.k", "v", 1, 0), SyscallFailsWithErrno(EPERM));
  char buf[4];
  EXPECT_THAT(lgetxattr(dir_.Join("l").c_str(), "user.k", buf, sizeof buf), SyscallFailsWithErrno(ENODATA));
  EXPECT_THAT(llistxattr(dir_.Join("l").c_str(), nullptr, 0), SyscallSucceeds());
  EXPECT_THAT(lremovexattr(dir_.Join("l").c_str(), "user.k"), SyscallFailsWithErrno(EPERM));
}

TEST_F(Xattr, UnknownNamespaceIsEOPNOTSUPP) {
  EXPECT_THAT(setxattr(path_.c_str(), "bogus.k", "v", 1, 0), SyscallFailsWithErrno(EOPNOTSUPP));
}

TEST_F(Xattr, EmptyNameIsERANGE) {
  EXPECT_THAT(setxattr(path_.c_str(), "", "v", 1, 0), SyscallFailsWithErrno(ERANGE));
}

}  // namespace
}  // namespace conformance
