// Helpers for the filesystem tests (header-only; shared by the tests under
// sentry/fsimpl).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include "platform/fake/fake_platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/inode.h"

namespace bulwark {
inline void PrintTo(Errno e, std::ostream* os) { *os << ErrnoName(e); }
}  // namespace bulwark

namespace bulwark::fsimpl::testing {

// A kernel on the fake platform and one task (not running: the test thread
// acts as its thread and holds the kernel lock throughout, as syscall code
// would).
class FsTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kUserBuf = 0x20000000;

  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 32);
    ASSERT_TRUE(mf.has_value());
    auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
    kernel_ = std::make_unique<kernel::Kernel>(kernel::KernelOptions{}, std::move(*mf),
                                               std::move(p));
    kernel_->mu.lock();
    pid_t pid = kernel_->AllocPid();
    tg_ = std::make_shared<kernel::ThreadGroup>(pid);
    task_ = std::make_unique<kernel::Task>(*kernel_, pid, tg_);
    task_->mm_ =
        std::make_shared<mm::MemoryManager>(kernel_->memory_file(), kernel_->platform());
    task_->fds_ = std::make_shared<kernel::FdTable>();
    task_->fs_ = std::make_shared<kernel::FsContext>();
    task_->comm = "test";
    mm::MapRequest r;
    r.addr = kUserBuf;
    r.len = 4 * 4096;
    r.prot = PROT_READ | PROT_WRITE;
    r.fixed = true;
    ASSERT_TRUE(task_->mm().Map(r).has_value());
  }

  void TearDown() override {
    tg_->tasks.clear();
    task_.reset();
    kernel_->mu.unlock();
  }

  kernel::Task& task() { return *task_; }

  // Makes the task visible to /proc as its process's only thread.
  void Register() {
    tg_->tasks.push_back(task_.get());
    kernel_->AddThreadGroup(tg_);
  }

  static SysResult<size_t> Write(vfs::FileDescription& f, kernel::Task& t, std::string_view s,
                                 uint64_t off) {
    iovec iov{const_cast<char*>(s.data()), s.size()};
    return f.Write(t, vfs::IoVecs(&iov, 1), off);
  }
  static SysResult<std::string> Read(vfs::FileDescription& f, kernel::Task& t, size_t n,
                                     uint64_t off) {
    std::string buf(n, '\0');
    iovec iov{buf.data(), n};
    size_t got = TRY(f.Read(t, vfs::IoVecs(&iov, 1), off));
    buf.resize(got);
    return buf;
  }
  // Reads a whole file from offset 0.
  SysResult<std::string> Slurp(vfs::FileDescription& f) {
    std::string out;
    for (;;) {
      std::string chunk = TRY(Read(f, task(), 4096, out.size()));
      if (chunk.empty()) return out;
      out += chunk;
    }
  }

  std::unique_ptr<kernel::Kernel> kernel_;
  std::shared_ptr<kernel::ThreadGroup> tg_;
  std::unique_ptr<kernel::Task> task_;
};

}  // namespace bulwark::fsimpl::testing
