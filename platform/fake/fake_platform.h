// FakePlatform: a scripted platform for sentry unit tests.
//
// No application code runs. A FakeAddressSpace records the MapFile, Unmap and
// Protect calls it receives; a FakeContext's Switch runs the next step of a
// script that the test pushed, and that step plays the application: it reads
// what the kernel left in the registers and sets them for the next event.
//
//   FakePlatform platform;
//   platform.PushStep([](Registers& r, FpState&) {   // app: getpid()
//     r.regs.orig_rax = 39;
//     return Event{.kind = Event::Kind::kSyscall};
//   });
//   platform.PushStep([&](Registers& r, FpState&) {  // kernel returned in rax
//     EXPECT_EQ(r.regs.rax, 1u);
//     return Event{.kind = Event::Kind::kDied};
//   });
//
// Steps come from the context's own queue (FakeContext::PushStep) first,
// then from the platform-wide queue (FakePlatform::PushStep), which suits
// single-task tests where the kernel creates the context. An empty script
// makes Switch return kDied. Interrupt() makes the next Switch return
// kInterrupted without consuming a step. Thread-safe.
//
// Registered as "fake" for platform::Create in binaries that link
// bulwark_platform_fake and include this header.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "base/result.h"
#include "platform/platform.h"

namespace bulwark::platform {

using FakeStep = std::function<Event(Registers& regs, FpState& fp)>;
struct FakeScript;

class FakeAddressSpace final : public AddressSpace {
 public:
  struct Op {
    enum class Kind { kMapFile, kUnmap, kProtect };
    Kind kind;
    uint64_t addr = 0;
    uint64_t len = 0;
    uint64_t file_offset = 0;  // kMapFile only
    int prot = 0;              // kMapFile and kProtect
    bool operator==(const Op&) const = default;
  };

  SysResult<void> MapFile(uint64_t addr, uint64_t len, uint64_t file_offset, int prot) override;
  SysResult<void> Unmap(uint64_t addr, uint64_t len) override;
  SysResult<void> Protect(uint64_t addr, uint64_t len, int prot) override;

  // Every call so far, in order (failed ones included).
  std::vector<Op> ops() const;
  void ClearOps();
  // The next call fails with `e` (and is still recorded).
  void FailNext(Errno e);

 private:
  SysResult<void> Record(Op op);

  mutable std::mutex mu_;
  std::vector<Op> ops_;
  Errno fail_next_{};
  bool fail_pending_ = false;
};

class FakeContext final : public Context {
 public:
  // `platform_script` is the shared queue of the FakePlatform, or null.
  explicit FakeContext(std::shared_ptr<FakeScript> platform_script = nullptr);

  Event Switch(AddressSpace& as, Registers& regs) override;
  void Interrupt() override;
  SysResult<void> GetFpState(FpState& fp) override;
  SysResult<void> SetFpState(const FpState& fp) override;

  void PushStep(FakeStep step);
  // Address space of the last Switch (null before the first).
  AddressSpace* last_address_space() const;
  int switches() const;
  int interrupts() const;

 private:
  std::shared_ptr<FakeScript> own_;
  std::shared_ptr<FakeScript> platform_script_;
  mutable std::mutex mu_;
  FpState fp_;
  bool interrupt_pending_ = false;
  AddressSpace* last_as_ = nullptr;
  int switches_ = 0;
  int interrupts_ = 0;
};

// A queue of steps, shared between a platform and its contexts.
struct FakeScript {
  std::mutex mu;
  std::deque<FakeStep> steps;
  // Pops the next step; false when empty.
  bool Pop(FakeStep& step);
};

class FakePlatform final : public Platform {
 public:
  explicit FakePlatform(int memory_file_fd = -1);

  const char* Name() const override { return "fake"; }
  Capabilities Caps() const override;
  SysResult<std::unique_ptr<AddressSpace>> NewAddressSpace() override;
  std::unique_ptr<Context> NewContext() override;

  // Appends to the script shared by every context of this platform.
  void PushStep(FakeStep step);
  // The next NewAddressSpace fails with `e`.
  void FailNextAddressSpace(Errno e);
  // Makes Caps() report a vDSO (by default there is none). Call before the
  // kernel uses the platform.
  void SetVdso(uint64_t vdso_base, std::vector<SpecialMapping> mappings);

  int memory_file_fd() const { return memory_file_fd_; }
  // Everything created so far, in order. The pointers dangle once the
  // kernel destroys the objects; tests look at them while they live.
  std::vector<FakeAddressSpace*> address_spaces() const;
  std::vector<FakeContext*> contexts() const;

 private:
  const int memory_file_fd_;
  std::shared_ptr<FakeScript> script_;
  mutable std::mutex mu_;
  std::vector<FakeAddressSpace*> address_spaces_;
  std::vector<FakeContext*> contexts_;
  Errno fail_next_{};
  bool fail_pending_ = false;
  uint64_t vdso_base_ = 0;
  std::vector<SpecialMapping> special_mappings_;
};

namespace fake_internal {
// Defined next to the registration in fake_platform.cc: referencing it from
// this header keeps that object file (and so the "fake" registration) in any
// binary whose code includes the header, even from a static library.
bool Linked();
inline const bool kLinked [[maybe_unused]] = Linked();
}  // namespace fake_internal

}  // namespace bulwark::platform
