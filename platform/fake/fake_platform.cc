#include "platform/fake/fake_platform.h"

#include <utility>

namespace bulwark::platform {

// ---- FakeAddressSpace ----

SysResult<void> FakeAddressSpace::Record(Op op) {
  std::lock_guard lock(mu_);
  ops_.push_back(op);
  if (fail_pending_) {
    fail_pending_ = false;
    return Err(fail_next_);
  }
  return {};
}

SysResult<void> FakeAddressSpace::MapFile(uint64_t addr, uint64_t len, uint64_t file_offset,
                                          int prot) {
  return Record(Op{Op::Kind::kMapFile, addr, len, file_offset, prot});
}

SysResult<void> FakeAddressSpace::Unmap(uint64_t addr, uint64_t len) {
  return Record(Op{Op::Kind::kUnmap, addr, len, 0, 0});
}

SysResult<void> FakeAddressSpace::Protect(uint64_t addr, uint64_t len, int prot) {
  return Record(Op{Op::Kind::kProtect, addr, len, 0, prot});
}

std::vector<FakeAddressSpace::Op> FakeAddressSpace::ops() const {
  std::lock_guard lock(mu_);
  return ops_;
}

void FakeAddressSpace::ClearOps() {
  std::lock_guard lock(mu_);
  ops_.clear();
}

void FakeAddressSpace::FailNext(Errno e) {
  std::lock_guard lock(mu_);
  fail_next_ = e;
  fail_pending_ = true;
}

// ---- FakeScript ----

bool FakeScript::Pop(FakeStep& step) {
  std::lock_guard lock(mu);
  if (steps.empty()) return false;
  step = std::move(steps.front());
  steps.pop_front();
  return true;
}

// ---- FakeContext ----

FakeContext::FakeContext(std::shared_ptr<FakeScript> platform_script)
    : own_(std::make_shared<FakeScript>()), platform_script_(std::move(platform_script)) {
  fp_.Reset();
}

Event FakeContext::Switch(AddressSpace& as, Registers& regs) {
  FakeStep step;
  FpState fp;
  {
    std::lock_guard lock(mu_);
    switches_++;
    last_as_ = &as;
    if (interrupt_pending_) {
      interrupt_pending_ = false;
      return Event{.kind = Event::Kind::kInterrupted};
    }
    fp = fp_;
  }
  // The step runs unlocked: it may call Interrupt() or PushStep().
  if (!own_->Pop(step) && !(platform_script_ && platform_script_->Pop(step))) {
    return Event{.kind = Event::Kind::kDied};
  }
  Event ev = step(regs, fp);
  std::lock_guard lock(mu_);
  fp_ = fp;
  return ev;
}

void FakeContext::Interrupt() {
  std::lock_guard lock(mu_);
  interrupts_++;
  interrupt_pending_ = true;
}

SysResult<void> FakeContext::GetFpState(FpState& fp) {
  std::lock_guard lock(mu_);
  fp = fp_;
  return {};
}

SysResult<void> FakeContext::SetFpState(const FpState& fp) {
  std::lock_guard lock(mu_);
  fp_ = fp;
  return {};
}

void FakeContext::PushStep(FakeStep step) {
  std::lock_guard lock(own_->mu);
  own_->steps.push_back(std::move(step));
}

AddressSpace* FakeContext::last_address_space() const {
  std::lock_guard lock(mu_);
  return last_as_;
}

int FakeContext::switches() const {
  std::lock_guard lock(mu_);
  return switches_;
}

int FakeContext::interrupts() const {
  std::lock_guard lock(mu_);
  return interrupts_;
}

// ---- FakePlatform ----

FakePlatform::FakePlatform(int memory_file_fd)
    : memory_file_fd_(memory_file_fd), script_(std::make_shared<FakeScript>()) {}

Capabilities FakePlatform::Caps() const {
  Capabilities caps;
  caps.max_user_address = 0x7ff000000000;  // as ptrace
  caps.vdso_base = vdso_base_;
  caps.special_mappings = special_mappings_;
  return caps;
}

void FakePlatform::SetVdso(uint64_t vdso_base, std::vector<SpecialMapping> mappings) {
  vdso_base_ = vdso_base;
  special_mappings_ = std::move(mappings);
}

SysResult<std::unique_ptr<AddressSpace>> FakePlatform::NewAddressSpace() {
  std::lock_guard lock(mu_);
  if (fail_pending_) {
    fail_pending_ = false;
    return Err(fail_next_);
  }
  auto as = std::make_unique<FakeAddressSpace>();
  address_spaces_.push_back(as.get());
  return as;
}

std::unique_ptr<Context> FakePlatform::NewContext() {
  std::lock_guard lock(mu_);
  auto ctx = std::make_unique<FakeContext>(script_);
  contexts_.push_back(ctx.get());
  return ctx;
}

void FakePlatform::PushStep(FakeStep step) {
  std::lock_guard lock(script_->mu);
  script_->steps.push_back(std::move(step));
}

void FakePlatform::FailNextAddressSpace(Errno e) {
  std::lock_guard lock(mu_);
  fail_next_ = e;
  fail_pending_ = true;
}

std::vector<FakeAddressSpace*> FakePlatform::address_spaces() const {
  std::lock_guard lock(mu_);
  return address_spaces_;
}

std::vector<FakeContext*> FakePlatform::contexts() const {
  std::lock_guard lock(mu_);
  return contexts_;
}

namespace fake_internal {
bool Linked() { return true; }
}  // namespace fake_internal

namespace {
Result<std::unique_ptr<Platform>> NewFakePlatform(int memory_file_fd) {
  return std::make_unique<FakePlatform>(memory_file_fd);
}
}  // namespace

BULWARK_REGISTER_PLATFORM(fake, NewFakePlatform);

}  // namespace bulwark::platform
