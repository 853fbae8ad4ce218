// Test fixture for calling syscall handlers directly: a kernel on
// platform/fake and one task (not running) with a mapped data area. The
// kernel lock is held for the whole test, as handlers require.
#pragma once

#include <sys/mman.h>

#include <memory>
#include <mutex>

#include <gtest/gtest.h>

#include "platform/fake/fake_platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

namespace bulwark::syscalls {

class TaskFixture : public ::testing::Test {
 protected:
  static constexpr uint64_t kData = 0x20000000;
  static constexpr uint64_t kDataSize = 16 * 4096;

  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 32);
    ASSERT_TRUE(mf.has_value());
    auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
    kernel_ = std::make_unique<kernel::Kernel>(kernel::KernelOptions{}, std::move(*mf),
                                               std::move(p));
    lock_ = std::unique_lock<std::mutex>(kernel_->mu);
    pid_t pid = kernel_->AllocPid();
    tg_ = std::make_shared<kernel::ThreadGroup>(pid);
    kernel_->AddThreadGroup(tg_);
    task_ = std::make_unique<kernel::Task>(*kernel_, pid, tg_);
    tg_->tasks.push_back(task_.get());
    task_->mm_ = std::make_shared<mm::MemoryManager>(kernel_->memory_file(), kernel_->platform());
    task_->fds_ = std::make_shared<kernel::FdTable>();
    task_->fs_ = std::make_shared<kernel::FsContext>();
    mm::MapRequest r;
    r.addr = kData;
    r.len = kDataSize;
    r.prot = PROT_READ | PROT_WRITE;
    r.fixed = true;
    ASSERT_TRUE(task_->mm().Map(r).has_value());
  }

  void TearDown() override {
    tg_->tasks.clear();
    task_.reset();
    lock_.unlock();
  }

  kernel::Task& t() { return *task_; }
  template <typename T>
  T Read(uint64_t addr) {
    T v{};
    EXPECT_TRUE(task_->CopyInBytes(addr, &v, sizeof(v)).has_value());
    return v;
  }
  template <typename T>
  void Write(uint64_t addr, const T& v) {
    ASSERT_TRUE(task_->CopyOutBytes(addr, &v, sizeof(v)).has_value());
  }
  // An address that is not mapped.
  static constexpr uint64_t kBad = 0x1000;

  std::unique_ptr<kernel::Kernel> kernel_;
  std::unique_lock<std::mutex> lock_;
  std::shared_ptr<kernel::ThreadGroup> tg_;
  std::unique_ptr<kernel::Task> task_;
};

#define EXPECT_ERRNO(expr, e)                          \
  do {                                                 \
    auto r_ = (expr);                                  \
    ASSERT_FALSE(r_.has_value()) << #expr;             \
    EXPECT_EQ(r_.error(), ::bulwark::Errno::e) << #expr \
        << ": got " << ::bulwark::ErrnoName(r_.error()); \
  } while (0)

}  // namespace bulwark::syscalls
