// Fixture for the file syscall tests: a real (not started) task with memfs
// as the root filesystem and platform/fake underneath. Tests call handlers
// directly, under the kernel lock as the dispatcher does.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <memory>
#include <mutex>
#include <string>

#include "platform/fake/fake_platform.h"
#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/fsimpl/pipe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/linux/handlers.h"

namespace bulwark::syscalls::testing {

inline constexpr uint64_t kData = 0x20000000;
inline constexpr uint64_t kDataSize = 64 * 4096;

class FileSyscallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 32);
    ASSERT_TRUE(mf.has_value());
    auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
    kernel_ = std::make_unique<kernel::Kernel>(kernel::KernelOptions{}, std::move(*mf),
                                               std::move(p));
    fsimpl::memfs::MemFsOptions opts;
    opts.open_special = fsimpl::OpenFifoAt;
    auto root = fsimpl::memfs::CreateMemFs(opts);
    auto dentry = std::make_shared<vfs::Dentry>("/", nullptr, root);
    kernel_->mounts().SetRoot(std::make_shared<vfs::Mount>(dentry, "tmpfs", "none", 0));
    t_ = NewTask(1);
  }

  // A task sharing the first task's memory and (unless `own_fds`) fds.
  std::unique_ptr<Task> NewTask(pid_t pid, bool own_fds = false) {
    auto tg = std::make_shared<kernel::ThreadGroup>(pid);
    auto t = std::make_unique<Task>(*kernel_, pid, tg);
    if (!mm_)
      mm_ = std::make_shared<mm::MemoryManager>(kernel_->memory_file(), kernel_->platform());
    t->mm_ = mm_;
    t->fds_ = fds_ && !own_fds ? fds_ : std::make_shared<kernel::FdTable>();
    if (!fds_) fds_ = t->fds_;
    t->fs_ = std::make_shared<kernel::FsContext>();
    t->fs_->root = t->fs_->cwd = kernel_->mounts().RootPath();
    t->creds().cap_effective = t->creds().cap_permitted = ~uint64_t{0};
    t->tg().rlimits[RLIMIT_NOFILE].cur = 1024;
    if (!mapped_) {
      mm::MapRequest r;
      r.addr = kData;
      r.len = kDataSize;
      r.prot = PROT_READ | PROT_WRITE;
      r.fixed = true;
      EXPECT_TRUE(t->mm().Map(r).has_value());
      mapped_ = true;
    }
    return t;
  }

  // Puts bytes in application memory; returns their address.
  uint64_t Put(const void* data, size_t len) {
    uint64_t addr = kData + next_;
    next_ += (len + 16) & ~size_t{15};
    EXPECT_TRUE(t_->CopyOutBytes(addr, data, len).has_value());
    return addr;
  }
  UserCString Str(const std::string& s) { return UserCString{Put(s.c_str(), s.size() + 1)}; }
  UserPtr<uint8_t> Buf(size_t len) {
    std::string zeros(len, '\0');
    return UserPtr<uint8_t>{Put(zeros.data(), len)};
  }
  std::string Get(uint64_t addr, size_t len) {
    std::string s(len, '\0');
    EXPECT_TRUE(t_->CopyInBytes(addr, s.data(), len).has_value());
    return s;
  }

  int Open(const std::string& path, int flags, uint32_t mode = 0644) {
    auto r = sys_openat(*t_, GuestFd{AT_FDCWD}, Str(path), flags, mode);
    EXPECT_TRUE(r.has_value()) << path << ": " << (r ? "" : ErrnoName(r.error()));
    return r ? *r : -1;
  }
  size_t Write(int fd, const std::string& s) {
    auto r = sys_write(*t_, GuestFd{fd}, UserPtr<uint8_t>{Put(s.data(), s.size())}, s.size());
    EXPECT_TRUE(r.has_value()) << (r ? "" : ErrnoName(r.error()));
    return r ? *r : 0;
  }
  std::string Read(int fd, size_t n) {
    auto buf = Buf(n);
    auto r = sys_read(*t_, GuestFd{fd}, buf, n);
    if (!r) return std::string("error ") + ErrnoName(r.error());
    return Get(buf.addr, *r);
  }
  template <typename T>
  Errno Error(const SysResult<T>& r) {
    return r ? Errno{} : r.error();
  }

  std::unique_ptr<kernel::Kernel> kernel_;
  std::shared_ptr<mm::MemoryManager> mm_;
  std::shared_ptr<kernel::FdTable> fds_;
  bool mapped_ = false;
  size_t next_ = 0;
  std::unique_ptr<Task> t_;
};

}  // namespace bulwark::syscalls::testing
