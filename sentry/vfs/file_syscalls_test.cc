// open/read/write/stat/dir/link/attr/fcntl syscalls end to end.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>

#include <cstring>

#include "sentry/vfs/syscall_fixture.h"

namespace bulwark::syscalls {
namespace {

using testing::FileSyscallsTest;

TEST_F(FileSyscallsTest, OpenWriteSeekRead) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  int fd = Open("/f", O_CREAT | O_RDWR);
  EXPECT_EQ(fd, 0);
  EXPECT_EQ(Write(fd, "hello world"), 11u);
  EXPECT_EQ(*sys_lseek(*t_, GuestFd{fd}, 0, SEEK_SET), 0u);
  EXPECT_EQ(Read(fd, 5), "hello");
  EXPECT_EQ(Read(fd, 100), " world");
  EXPECT_EQ(Read(fd, 100), "");
  auto buf = Buf(5);
  EXPECT_EQ(*sys_pread64(*t_, GuestFd{fd}, buf, 5, 6), 5u);
  EXPECT_EQ(Get(buf.addr, 5), "world");
  EXPECT_EQ(Error(sys_pread64(*t_, GuestFd{fd}, buf, 5, -1)), Errno::kEINVAL);
  EXPECT_EQ(*sys_lseek(*t_, GuestFd{fd}, -1, SEEK_END), 10u);
  EXPECT_EQ(*sys_lseek(*t_, GuestFd{fd}, 3, SEEK_HOLE), 11u);
  EXPECT_EQ(Error(sys_lseek(*t_, GuestFd{fd}, 11, SEEK_DATA)), Errno::kENXIO);
  EXPECT_EQ(Error(sys_lseek(*t_, GuestFd{fd}, -20, SEEK_CUR)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_lseek(*t_, GuestFd{fd}, 0, 5)), Errno::kEINVAL);

  struct stat st;
  UserPtr<struct stat> sp{Put(&st, sizeof(st))};
  ASSERT_TRUE(sys_fstat(*t_, GuestFd{fd}, sp));
  st = *t_->CopyIn(sp);
  EXPECT_EQ(st.st_size, 11);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(Error(sys_close(*t_, GuestFd{fd})), Errno{});
  EXPECT_EQ(Error(sys_close(*t_, GuestFd{fd})), Errno::kEBADF);

  // Read-only descriptors do not write, and the other way round.
  int ro = Open("/f", O_RDONLY);
  EXPECT_EQ(Error(sys_write(*t_, GuestFd{ro}, Buf(1), 1)), Errno::kEBADF);
  int wo = Open("/f", O_WRONLY | O_APPEND);
  EXPECT_EQ(Read(wo, 1), "error EBADF");
  EXPECT_EQ(Write(wo, "!"), 1u);
  EXPECT_EQ(*sys_lseek(*t_, GuestFd{wo}, 0, SEEK_CUR), 12u);
  EXPECT_EQ(Read(ro, 100), "hello world!");
  int dir = Open("/", O_RDONLY | O_DIRECTORY);
  EXPECT_EQ(Read(dir, 1), "error EISDIR");
  EXPECT_EQ(*sys_lseek(*t_, GuestFd{dir}, 1, SEEK_SET), 1u);
  EXPECT_EQ(Error(sys_lseek(*t_, GuestFd{dir}, 0, SEEK_END)), Errno::kEINVAL);
}

TEST_F(FileSyscallsTest, Vectored) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  int fd = Open("/v", O_CREAT | O_RDWR);
  auto a = Put("abc", 3), b = Put("defg", 4);
  iovec iov[2] = {{reinterpret_cast<void*>(a), 3}, {reinterpret_cast<void*>(b), 4}};
  UserPtr<iovec> uiov{Put(iov, sizeof(iov))};
  EXPECT_EQ(*sys_writev(*t_, GuestFd{fd}, uiov, 2), 7u);
  EXPECT_EQ(Error(sys_writev(*t_, GuestFd{fd}, uiov, -1)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_writev(*t_, GuestFd{fd}, uiov, 1025)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_pwritev2(*t_, GuestFd{fd}, uiov, 2, 0, 0, 0x1000)), Errno::kEOPNOTSUPP);
  auto out = Buf(8);
  iovec rd[1] = {{reinterpret_cast<void*>(out.addr), 8}};
  UserPtr<iovec> urd{Put(rd, sizeof(rd))};
  EXPECT_EQ(*sys_preadv(*t_, GuestFd{fd}, urd, 1, 2, 0), 5u);
  EXPECT_EQ(Get(out.addr, 5), "cdefg");
  // preadv2 with offset -1 uses and moves the file offset.
  ASSERT_TRUE(sys_lseek(*t_, GuestFd{fd}, 1, SEEK_SET));
  EXPECT_EQ(*sys_preadv2(*t_, GuestFd{fd}, urd, 1, -1, 0, 0), 6u);
  EXPECT_EQ(*sys_lseek(*t_, GuestFd{fd}, 0, SEEK_CUR), 7u);
  // A buffer that runs into unmapped memory gives a short read.
  iovec edge[1] = {{reinterpret_cast<void*>(testing::kData + testing::kDataSize - 2), 8}};
  UserPtr<iovec> uedge{Put(edge, sizeof(edge))};
  EXPECT_EQ(*sys_preadv(*t_, GuestFd{fd}, uedge, 1, 0, 0), 2u);
  iovec bad[1] = {{reinterpret_cast<void*>(0x1000), 8}};
  UserPtr<iovec> ubad{Put(bad, sizeof(bad))};
  EXPECT_EQ(Error(sys_preadv(*t_, GuestFd{fd}, ubad, 1, 0, 0)), Errno::kEFAULT);
}

TEST_F(FileSyscallsTest, DirectoriesAndGetdents) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  ASSERT_TRUE(sys_mkdir(*t_, Str("/d"), 0755));
  EXPECT_EQ(Error(sys_mkdir(*t_, Str("/d"), 0755)), Errno::kEEXIST);
  Open("/d/a", O_CREAT | O_RDWR);
  Open("/d/bb", O_CREAT | O_RDWR);
  int fd = Open("/d", O_RDONLY | O_DIRECTORY);
  auto buf = Buf(4096);
  size_t n = *sys_getdents64(*t_, GuestFd{fd}, buf, 4096);
  std::string data = Get(buf.addr, n);
  std::vector<std::string> names;
  for (size_t off = 0; off < n;) {
    uint16_t reclen;
    memcpy(&reclen, data.data() + off + 16, 2);
    names.push_back(std::string(data.c_str() + off + 19));
    off += reclen;
  }
  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "a", "bb"}));
  EXPECT_EQ(*sys_getdents64(*t_, GuestFd{fd}, buf, 4096), 0u);
  ASSERT_TRUE(sys_lseek(*t_, GuestFd{fd}, 0, SEEK_SET));
  EXPECT_EQ(Error(sys_getdents64(*t_, GuestFd{fd}, buf, 10)), Errno::kEINVAL);
  EXPECT_EQ(*sys_getdents64(*t_, GuestFd{fd}, buf, 24), 24u);  // just "."
  // Old-style getdents puts d_type in the last byte.
  ASSERT_TRUE(sys_lseek(*t_, GuestFd{fd}, 0, SEEK_SET));
  n = *sys_getdents(*t_, GuestFd{fd}, buf, 4096);
  data = Get(buf.addr, n);
  uint16_t reclen;
  memcpy(&reclen, data.data() + 16, 2);
  EXPECT_EQ(data[reclen - 1], DT_DIR);
  EXPECT_EQ(std::string(data.c_str() + 18), ".");

  int file = Open("/d/a", O_RDONLY);
  EXPECT_EQ(Error(sys_getdents64(*t_, GuestFd{file}, buf, 4096)), Errno::kENOTDIR);
  EXPECT_EQ(Error(sys_rmdir(*t_, Str("/d"))), Errno::kENOTEMPTY);
  ASSERT_TRUE(sys_unlink(*t_, Str("/d/a")));
  ASSERT_TRUE(sys_unlinkat(*t_, GuestFd{fd}, Str("bb"), 0));
  EXPECT_EQ(Error(sys_unlinkat(*t_, GuestFd{AT_FDCWD}, Str("/d"), 0)), Errno::kEISDIR);
  EXPECT_EQ(Error(sys_unlinkat(*t_, GuestFd{AT_FDCWD}, Str("/d"), 1)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_unlinkat(*t_, GuestFd{file}, Str("x"), 0)), Errno::kENOTDIR);
  ASSERT_TRUE(sys_unlinkat(*t_, GuestFd{AT_FDCWD}, Str("/d"), AT_REMOVEDIR));
}

TEST_F(FileSyscallsTest, CwdAndChroot) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  ASSERT_TRUE(sys_mkdir(*t_, Str("/a"), 0755));
  ASSERT_TRUE(sys_mkdir(*t_, Str("/a/b"), 0755));
  ASSERT_TRUE(sys_chdir(*t_, Str("/a/b")));
  auto buf = UserPtr<char>{Buf(256).addr};
  EXPECT_EQ(*sys_getcwd(*t_, buf, 256), 5u);
  EXPECT_EQ(Get(buf.addr, 5), std::string("/a/b\0", 5));
  EXPECT_EQ(Error(sys_getcwd(*t_, buf, 4)), Errno::kERANGE);
  Open("x", O_CREAT | O_WRONLY);
  ASSERT_TRUE(sys_chroot(*t_, Str("/a")));
  EXPECT_EQ(*sys_getcwd(*t_, buf, 256), 3u);  // "/b"
  EXPECT_GE(Open("/b/x", O_RDONLY), 0);
  EXPECT_GE(Open("/../../b/x", O_RDONLY), 0);
  ASSERT_TRUE(sys_chdir(*t_, Str("/")));
  ASSERT_TRUE(sys_unlink(*t_, Str("/b/x")));
  ASSERT_TRUE(sys_chdir(*t_, Str("/b")));
  ASSERT_TRUE(sys_rmdir(*t_, Str("/b")));
  EXPECT_EQ(Error(sys_getcwd(*t_, buf, 256)), Errno::kENOENT);
  EXPECT_EQ(Error(sys_chdir(*t_, Str("/nope"))), Errno::kENOENT);
  int root = Open("/", O_PATH);
  ASSERT_TRUE(sys_fchdir(*t_, GuestFd{root}));
  t_->creds().cap_effective = 0;
  EXPECT_EQ(Error(sys_chroot(*t_, Str("/"))), Errno::kEPERM);
}

TEST_F(FileSyscallsTest, StatFamily) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  Open("/target", O_CREAT | O_WRONLY, 0600);
  ASSERT_TRUE(sys_symlink(*t_, Str("target"), Str("/sym")));
  UserPtr<struct stat> sp{Buf(sizeof(struct stat)).addr};
  ASSERT_TRUE(sys_lstat(*t_, Str("/sym"), sp));
  EXPECT_TRUE(S_ISLNK(t_->CopyIn(sp)->st_mode));
  ASSERT_TRUE(sys_stat(*t_, Str("/sym"), sp));
  EXPECT_EQ(t_->CopyIn(sp)->st_mode, S_IFREG | 0600u);
  ASSERT_TRUE(sys_newfstatat(*t_, GuestFd{AT_FDCWD}, Str("/sym"), sp, AT_SYMLINK_NOFOLLOW));
  EXPECT_TRUE(S_ISLNK(t_->CopyIn(sp)->st_mode));
  EXPECT_EQ(Error(sys_newfstatat(*t_, GuestFd{AT_FDCWD}, Str(""), sp, 0)), Errno::kENOENT);
  ASSERT_TRUE(sys_newfstatat(*t_, GuestFd{AT_FDCWD}, Str(""), sp, AT_EMPTY_PATH));
  EXPECT_TRUE(S_ISDIR(t_->CopyIn(sp)->st_mode));
  EXPECT_EQ(Error(sys_newfstatat(*t_, GuestFd{AT_FDCWD}, Str("/sym"), sp, 0x1)), Errno::kEINVAL);

  UserPtr<struct statx> sx{Buf(sizeof(struct statx)).addr};
  ASSERT_TRUE(sys_statx(*t_, GuestFd{AT_FDCWD}, Str("/"), 0, STATX_BASIC_STATS, sx));
  struct statx x = *t_->CopyIn(sx);
  EXPECT_TRUE(x.stx_attributes & STATX_ATTR_MOUNT_ROOT);
  EXPECT_EQ(x.stx_mask & STATX_BASIC_STATS, STATX_BASIC_STATS);
  EXPECT_EQ(Error(sys_statx(*t_, GuestFd{AT_FDCWD}, Str("/"), AT_STATX_SYNC_TYPE, 0, sx)),
            Errno::kEINVAL);
  EXPECT_EQ(Error(sys_statx(*t_, GuestFd{AT_FDCWD}, Str("/"), 0, 0x80000000u, sx)),
            Errno::kEINVAL);

  auto buf = UserPtr<char>{Buf(64).addr};
  EXPECT_EQ(*sys_readlink(*t_, Str("/sym"), buf, 3), 3u);
  EXPECT_EQ(Get(buf.addr, 3), "tar");
  EXPECT_EQ(Error(sys_readlink(*t_, Str("/target"), buf, 64)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_readlink(*t_, Str("/sym"), buf, 0)), Errno::kEINVAL);
  int lfd = Open("/sym", O_PATH | O_NOFOLLOW);
  EXPECT_EQ(*sys_readlinkat(*t_, GuestFd{lfd}, Str(""), buf, 64), 6u);

  UserPtr<struct statfs> sf{Buf(sizeof(struct statfs)).addr};
  ASSERT_TRUE(sys_statfs(*t_, Str("/"), sf));
  EXPECT_EQ(t_->CopyIn(sf)->f_type, 0x01021994);  // TMPFS_MAGIC
}

TEST_F(FileSyscallsTest, AttributesAndAccess) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  Open("/f", O_CREAT | O_WRONLY, 0644);
  ASSERT_TRUE(sys_chmod(*t_, Str("/f"), 0600));
  ASSERT_TRUE(sys_chown(*t_, Str("/f"), 1000, 1000));
  UserPtr<struct stat> sp{Buf(sizeof(struct stat)).addr};
  ASSERT_TRUE(sys_stat(*t_, Str("/f"), sp));
  EXPECT_EQ(t_->CopyIn(sp)->st_mode, S_IFREG | 0600u);
  EXPECT_EQ(t_->CopyIn(sp)->st_uid, 1000u);
  ASSERT_TRUE(sys_truncate(*t_, Str("/f"), 100));
  ASSERT_TRUE(sys_stat(*t_, Str("/f"), sp));
  EXPECT_EQ(t_->CopyIn(sp)->st_size, 100);
  EXPECT_EQ(Error(sys_truncate(*t_, Str("/f"), -1)), Errno::kEINVAL);

  timespec ts[2] = {{1000, 0}, {2000, UTIME_OMIT}};
  ASSERT_TRUE(sys_utimensat(*t_, GuestFd{AT_FDCWD}, Str("/f"),
                            UserPtr<timespec>{Put(ts, sizeof(ts))}, 0));
  ASSERT_TRUE(sys_stat(*t_, Str("/f"), sp));
  EXPECT_EQ(t_->CopyIn(sp)->st_atim.tv_sec, 1000);
  timespec bad[2] = {{0, 1000000000}, {0, 0}};
  EXPECT_EQ(Error(sys_utimensat(*t_, GuestFd{AT_FDCWD}, Str("/f"),
                                UserPtr<timespec>{Put(bad, sizeof(bad))}, 0)),
            Errno::kEINVAL);
  timeval tv[2] = {{1, 0}, {2, 1000000}};
  EXPECT_EQ(Error(sys_utimes(*t_, Str("/f"), UserPtr<timeval>{Put(tv, sizeof(tv))})),
            Errno::kEINVAL);

  EXPECT_EQ(*sys_umask(*t_, 027), 022u);
  EXPECT_EQ(*sys_umask(*t_, 022), 027u);

  // An unprivileged user.
  t_->creds() = kernel::Credentials{};
  auto& c = t_->creds();
  c.ruid = c.euid = c.fsuid = 2000;
  c.rgid = c.egid = c.fsgid = 2000;
  EXPECT_EQ(Error(sys_access(*t_, Str("/f"), R_OK)), Errno::kEACCES);
  EXPECT_EQ(Error(sys_access(*t_, Str("/f"), F_OK)), Errno{});
  EXPECT_EQ(Error(sys_access(*t_, Str("/f"), 8)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_chmod(*t_, Str("/f"), 0777)), Errno::kEPERM);
  EXPECT_EQ(Error(sys_open(*t_, Str("/f"), O_RDONLY, 0)), Errno::kEACCES);
  EXPECT_EQ(Error(sys_utimensat(*t_, GuestFd{AT_FDCWD}, Str("/f"), UserPtr<timespec>{0}, 0)),
            Errno::kEACCES);
  // access(2) uses the real uid: a task with euid 1000 is still 2000 there.
  c.euid = c.fsuid = 1000;
  EXPECT_EQ(Error(sys_faccessat2(*t_, GuestFd{AT_FDCWD}, Str("/f"), R_OK, 0)), Errno::kEACCES);
  EXPECT_EQ(Error(sys_faccessat2(*t_, GuestFd{AT_FDCWD}, Str("/f"), R_OK, AT_EACCESS)), Errno{});
}

TEST_F(FileSyscallsTest, RenameAndLink) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  int fd = Open("/a", O_CREAT | O_WRONLY);
  ASSERT_TRUE(sys_rename(*t_, Str("/a"), Str("/b")));
  EXPECT_EQ(Error(sys_open(*t_, Str("/a"), O_RDONLY, 0)), Errno::kENOENT);
  ASSERT_TRUE(sys_link(*t_, Str("/b"), Str("/c")));
  UserPtr<struct stat> sp{Buf(sizeof(struct stat)).addr};
  ASSERT_TRUE(sys_fstat(*t_, GuestFd{fd}, sp));
  EXPECT_EQ(t_->CopyIn(sp)->st_nlink, 2u);
  EXPECT_EQ(Error(sys_renameat2(*t_, GuestFd{AT_FDCWD}, Str("/b"), GuestFd{AT_FDCWD}, Str("/c"),
                                RENAME_NOREPLACE)),
            Errno::kEEXIST);
  EXPECT_EQ(Error(sys_linkat(*t_, GuestFd{fd}, Str(""), GuestFd{AT_FDCWD}, Str("/e"), 0x800)),
            Errno::kEINVAL);
  ASSERT_TRUE(
      sys_linkat(*t_, GuestFd{fd}, Str(""), GuestFd{AT_FDCWD}, Str("/e"), AT_EMPTY_PATH));
  EXPECT_GE(Open("/e", O_RDONLY), 0);
  t_->creds().cap_effective = 0;
  EXPECT_EQ(
      Error(sys_linkat(*t_, GuestFd{fd}, Str(""), GuestFd{AT_FDCWD}, Str("/g"), AT_EMPTY_PATH)),
      Errno::kENOENT);
}

TEST_F(FileSyscallsTest, OpenFlagsAndLimits) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  t_->tg().rlimits[RLIMIT_NOFILE].cur = 2;
  Open("/one", O_CREAT | O_WRONLY);
  Open("/two", O_CREAT | O_WRONLY);
  EXPECT_EQ(Error(sys_open(*t_, Str("/three"), O_CREAT | O_WRONLY, 0644)), Errno::kEMFILE);
  EXPECT_EQ(Error(sys_open(*t_, Str("/one"), O_RDONLY, 0)), Errno::kEMFILE);
  t_->tg().rlimits[RLIMIT_NOFILE].cur = 1024;
  EXPECT_EQ(Error(sys_open(*t_, Str("/three"), O_RDONLY, 0)), Errno::kENOENT);  // not created

  int fd = Open("/one", O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{fd}, F_GETFD, 0), FD_CLOEXEC);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{fd}, F_GETFL, 0) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(Error(sys_open(*t_, Str("/t"), O_TMPFILE | O_RDONLY, 0600)), Errno::kEINVAL);
  // O_TMPFILE on tmpfs makes an unnamed file (open(2)).
  EXPECT_TRUE(sys_open(*t_, Str("/"), O_TMPFILE | O_RDWR, 0600).has_value());

  int path = Open("/one", O_PATH);
  EXPECT_EQ(Read(path, 1), "error EBADF");
  EXPECT_EQ(Error(sys_fcntl(*t_, GuestFd{path}, F_SETFL, O_NONBLOCK)), Errno::kEBADF);
  EXPECT_EQ(Error(sys_ioctl(*t_, GuestFd{path}, FIOCLEX, 0)), Errno::kEBADF);
  UserPtr<struct stat> sp{Buf(sizeof(struct stat)).addr};
  EXPECT_TRUE(sys_fstat(*t_, GuestFd{path}, sp));

  // creat(2) truncates.
  int w = Open("/one", O_WRONLY);
  Write(w, "data");
  ASSERT_TRUE(sys_creat(*t_, Str("/one"), 0644));
  ASSERT_TRUE(sys_fstat(*t_, GuestFd{w}, sp));
  EXPECT_EQ(t_->CopyIn(sp)->st_size, 0);
  ASSERT_TRUE(sys_ftruncate(*t_, GuestFd{w}, 10));
  EXPECT_EQ(Error(sys_ftruncate(*t_, GuestFd{fd}, 10)), Errno::kEINVAL);  // read-only fd
}

TEST_F(FileSyscallsTest, Openat2) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  ASSERT_TRUE(sys_mkdir(*t_, Str("/jail"), 0755));
  ASSERT_TRUE(sys_mkdir(*t_, Str("/jail/etc"), 0755));
  ASSERT_TRUE(sys_mkdir(*t_, Str("/etc"), 0755));
  Open("/jail/etc/passwd", O_CREAT | O_WRONLY);
  Open("/etc/passwd", O_CREAT | O_WRONLY);
  ASSERT_TRUE(sys_symlink(*t_, Str("/etc/passwd"), Str("/jail/abs")));
  int dir = Open("/jail", O_PATH | O_DIRECTORY);
  open_how how{};
  how.flags = O_RDONLY;
  how.resolve = RESOLVE_IN_ROOT;
  auto uhow = UserPtr<open_how>{Put(&how, sizeof(how))};
  int fd = *sys_openat2(*t_, GuestFd{dir}, Str("abs"), uhow, sizeof(how));
  auto f = *t_->fds().Get(fd);
  EXPECT_EQ(kernel_->mounts().PathString(f->path(), t_->fs().root), "/jail/etc/passwd");
  how.resolve = RESOLVE_BENEATH;
  uhow = UserPtr<open_how>{Put(&how, sizeof(how))};
  EXPECT_EQ(Error(sys_openat2(*t_, GuestFd{dir}, Str("abs"), uhow, sizeof(how))), Errno::kEXDEV);
  EXPECT_EQ(Error(sys_openat2(*t_, GuestFd{dir}, Str("../x"), uhow, sizeof(how))),
            Errno::kEXDEV);
  EXPECT_TRUE(sys_openat2(*t_, GuestFd{dir}, Str("etc/passwd"), uhow, sizeof(how)));
  EXPECT_EQ(Error(sys_openat2(*t_, GuestFd{dir}, Str("etc/passwd"), uhow, 8)), Errno::kEINVAL);
  how.resolve = RESOLVE_BENEATH | RESOLVE_IN_ROOT;
  uhow = UserPtr<open_how>{Put(&how, sizeof(how))};
  EXPECT_EQ(Error(sys_openat2(*t_, GuestFd{dir}, Str("etc/passwd"), uhow, sizeof(how))),
            Errno::kEINVAL);
  how = open_how{};
  how.mode = 0644;  // without O_CREAT
  uhow = UserPtr<open_how>{Put(&how, sizeof(how))};
  EXPECT_EQ(Error(sys_openat2(*t_, GuestFd{dir}, Str("etc/passwd"), uhow, sizeof(how))),
            Errno::kEINVAL);
  // A larger struct is fine while the unknown tail is zero.
  char big[40] = {};
  uhow = UserPtr<open_how>{Put(big, sizeof(big))};
  EXPECT_TRUE(sys_openat2(*t_, GuestFd{dir}, Str("etc/passwd"), uhow, sizeof(big)));
  big[39] = 1;
  uhow = UserPtr<open_how>{Put(big, sizeof(big))};
  EXPECT_EQ(Error(sys_openat2(*t_, GuestFd{dir}, Str("etc/passwd"), uhow, sizeof(big))),
            Errno::kE2BIG);
}

TEST_F(FileSyscallsTest, DupAndFcntl) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  int fd = Open("/f", O_CREAT | O_RDWR);
  EXPECT_EQ(*sys_dup(*t_, GuestFd{fd}), 1);
  EXPECT_EQ(*sys_dup2(*t_, GuestFd{fd}, GuestFd{7}), 7);
  EXPECT_EQ(*sys_dup2(*t_, GuestFd{fd}, GuestFd{fd}), fd);
  EXPECT_EQ(Error(sys_dup2(*t_, GuestFd{99}, GuestFd{99})), Errno::kEBADF);
  EXPECT_EQ(Error(sys_dup3(*t_, GuestFd{fd}, GuestFd{fd}, 0)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_dup3(*t_, GuestFd{fd}, GuestFd{8}, O_NONBLOCK)), Errno::kEINVAL);
  EXPECT_EQ(*sys_dup3(*t_, GuestFd{fd}, GuestFd{8}, O_CLOEXEC), 8);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{8}, F_GETFD, 0), FD_CLOEXEC);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{fd}, F_DUPFD, 5), 5);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{fd}, F_DUPFD_CLOEXEC, 5), 6);
  EXPECT_EQ(Error(sys_fcntl(*t_, GuestFd{fd}, F_DUPFD, 1024)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_dup2(*t_, GuestFd{fd}, GuestFd{1024})), Errno::kEBADF);
  // The offset is shared by duplicates.
  Write(fd, "abc");
  EXPECT_EQ(*sys_lseek(*t_, GuestFd{7}, 0, SEEK_CUR), 3u);
  ASSERT_TRUE(sys_fcntl(*t_, GuestFd{fd}, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY));
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{7}, F_GETFL, 0) & (O_APPEND | O_NONBLOCK | O_ACCMODE),
            O_APPEND | O_NONBLOCK | O_RDWR);
  EXPECT_EQ(Error(sys_fcntl(*t_, GuestFd{fd}, F_GETPIPE_SZ, 0)), Errno::kEBADF);
  EXPECT_EQ(Error(sys_fcntl(*t_, GuestFd{fd}, F_SETLK, 0)), Errno::kEFAULT);
  EXPECT_EQ(Error(sys_fcntl(*t_, GuestFd{fd}, F_SETLEASE, F_RDLCK)), Errno::kEINVAL);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{fd}, F_SETOWN, 0), 0);
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{fd}, F_GETOWN, 0), 0);
  EXPECT_EQ(Error(sys_fcntl(*t_, GuestFd{fd}, F_SETOWN, 12345)), Errno::kESRCH);
  EXPECT_EQ(Error(sys_fcntl(*t_, GuestFd{fd}, F_SETSIG, 65)), Errno::kEINVAL);

  ASSERT_TRUE(sys_ioctl(*t_, GuestFd{fd}, FIONCLEX, 0));
  ASSERT_TRUE(sys_ioctl(*t_, GuestFd{fd}, FIOCLEX, 0));
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{fd}, F_GETFD, 0), FD_CLOEXEC);
  ASSERT_TRUE(sys_lseek(*t_, GuestFd{fd}, 1, SEEK_SET));
  UserPtr<int> n{Buf(4).addr};
  ASSERT_TRUE(sys_ioctl(*t_, GuestFd{fd}, FIONREAD, n.addr));
  EXPECT_EQ(*t_->CopyIn(n), 2);
  EXPECT_EQ(Error(sys_ioctl(*t_, GuestFd{fd}, TCGETS, n.addr)), Errno::kENOTTY);

  ASSERT_TRUE(sys_close_range(*t_, 5, ~0u, CLOSE_RANGE_CLOEXEC));
  EXPECT_EQ(*sys_fcntl(*t_, GuestFd{7}, F_GETFD, 0), FD_CLOEXEC);
  ASSERT_TRUE(sys_close_range(*t_, 6, 7, 0));
  EXPECT_EQ(Error(sys_fcntl(*t_, GuestFd{7}, F_GETFD, 0)), Errno::kEBADF);
  EXPECT_TRUE(sys_fcntl(*t_, GuestFd{8}, F_GETFD, 0));
  EXPECT_EQ(Error(sys_close_range(*t_, 3, 2, 0)), Errno::kEINVAL);
}

}  // namespace
}  // namespace bulwark::syscalls
