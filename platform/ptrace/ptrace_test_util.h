// Shared fixture for the ptrace platform tests: a memory file holding a code
// page of small x86-64 snippets, a data page and a read-only page, mapped
// into a fresh stub.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "base/unique_fd.h"
#include "platform/platform.h"
#include "platform/ptrace/address_space.h"

namespace bulwark::platform::ptrace_impl::testing {

inline constexpr uint64_t kCodeAddr = 0x400000;  // file offset 0, R-X
inline constexpr uint64_t kDataAddr = 0x500000;  // file offset 0x1000, RW-
inline constexpr uint64_t kRoAddr = 0x600000;    // file offset 0x2000, R--
inline constexpr uint64_t kUnmappedAddr = 0x700000;
inline constexpr uint64_t kFileSize = 1 << 20;

// Code snippets, each at its own offset in the code page.
struct Snippet {
  uint64_t offset;
  std::vector<uint8_t> bytes;
};
// mov $39,%eax; syscall; mov %rax,%rdi; mov $60,%eax; syscall; jmp .
inline const Snippet kGetpidThenExit{0x000, {0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48,
                                             0x89, 0xc7, 0xb8, 0x3c, 0x00, 0x00, 0x00, 0x0f,
                                             0x05, 0xeb, 0xfe}};
// mov %eax,(%rbx); syscall; jmp .
inline const Snippet kStoreThenSyscall{0x040, {0x89, 0x03, 0x0f, 0x05, 0xeb, 0xfe}};
// ud2
inline const Snippet kUd2{0x080, {0x0f, 0x0b}};
// jmp .
inline const Snippet kSpin{0x0c0, {0xeb, 0xfe}};
// 1: mov $39,%eax; syscall; jmp 1b
inline const Snippet kGetpidLoop{0x100, {0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7}};
// movq %xmm0,%rdi; movq %rsi,%xmm1; syscall; jmp .
inline const Snippet kXmm{0x140, {0x66, 0x48, 0x0f, 0x7e, 0xc7, 0x66, 0x48, 0x0f, 0x6e, 0xce,
                                  0x0f, 0x05, 0xeb, 0xfe}};
// int3
inline const Snippet kInt3{0x180, {0xcc}};
// mov (%rbx),%eax; syscall; jmp .
inline const Snippet kLoadThenSyscall{0x1c0, {0x8b, 0x03, 0x0f, 0x05, 0xeb, 0xfe}};

inline UniqueFd MakeMemoryFile() {
  UniqueFd fd(memfd_create("ptrace_test", MFD_CLOEXEC));
  EXPECT_TRUE(fd.valid());
  EXPECT_EQ(ftruncate(fd.get(), kFileSize), 0);
  for (const Snippet* s :
       {&kGetpidThenExit, &kStoreThenSyscall, &kUd2, &kSpin, &kGetpidLoop, &kXmm, &kInt3,
        &kLoadThenSyscall}) {
    EXPECT_EQ(pwrite(fd.get(), s->bytes.data(), s->bytes.size(), s->offset),
              static_cast<ssize_t>(s->bytes.size()));
  }
  return fd;
}

inline std::unique_ptr<Platform> MakePlatform(int memory_file_fd) {
  auto p = Create("ptrace", memory_file_fd);
  EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
  return p ? std::move(*p) : nullptr;
}

// Maps the three pages.
inline void MapPages(AddressSpace& as) {
  ASSERT_TRUE(as.MapFile(kCodeAddr, 4096, 0, PROT_READ | PROT_EXEC));
  ASSERT_TRUE(as.MapFile(kDataAddr, 4096, 0x1000, PROT_READ | PROT_WRITE));
  ASSERT_TRUE(as.MapFile(kRoAddr, 4096, 0x2000, PROT_READ));
}

// Fresh 64-bit user registers starting at `snippet`.
inline Registers RegsAt(const Snippet& snippet) {
  Registers r;
  r.regs.cs = 0x33;
  r.regs.ss = 0x2b;
  r.regs.eflags = 0x202;
  r.regs.rip = kCodeAddr + snippet.offset;
  r.regs.rsp = kDataAddr + 4096 - 64;
  return r;
}

inline pid_t StubPid(AddressSpace& as) {
  // SAFETY: the ptrace platform creates only PtraceAddressSpaces.
  return static_cast<PtraceAddressSpace&>(as).pid();
}

// The stub thread the calling thread traces in `as` (0 if none).
inline pid_t CallerStubTid(AddressSpace& as) {
  // SAFETY: the ptrace platform creates only PtraceAddressSpaces.
  auto t = static_cast<PtraceAddressSpace&>(as).process()->HeldByCaller();
  return t ? t->tid : 0;
}

// Number of threads of process `pid` (0 if it is gone).
inline int ThreadCount(pid_t pid) {
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/task").c_str());
  if (d == nullptr) return 0;
  int n = 0;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(d);
  return n;
}

// Children (live or zombie) of every thread of this process.
inline std::vector<pid_t> OwnChildren() {
  std::vector<pid_t> children;
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) return children;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/children");
    pid_t pid;
    while (f >> pid) children.push_back(pid);
  }
  closedir(d);
  return children;
}

// Waits up to 5 s for every child of this process to be reaped (stubs may
// be reaped asynchronously by the stub factory).
inline void ExpectNoChildrenSoon() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<pid_t> left;
  while ((left = OwnChildren()).size() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(left.empty()) << "leftover child " << left[0];
}

class PtraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memfd_ = MakeMemoryFile();
    platform_ = MakePlatform(memfd_.get());
    ASSERT_NE(platform_, nullptr);
    auto as = platform_->NewAddressSpace();
    ASSERT_TRUE(as.has_value()) << ErrnoName(as.error());
    as_ = std::move(*as);
    MapPages(*as_);
    ctx_ = platform_->NewContext();
  }

  // Context first, then the address space, as Kernel task exit does.
  void TearDown() override {
    ctx_.reset();
    as_.reset();
    ExpectNoChildrenSoon();
  }

  UniqueFd memfd_;
  std::unique_ptr<Platform> platform_;
  std::unique_ptr<AddressSpace> as_;
  std::unique_ptr<Context> ctx_;
};

}  // namespace bulwark::platform::ptrace_impl::testing
