// The x86-64 signal frame (arch/x86/include/uapi/asm/sigcontext.h,
// arch/x86/include/asm/sigframe.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace bulwark::abi {

struct SigContext {
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
  uint16_t cs, gs, fs, ss;
  uint64_t err, trapno, oldmask, cr2;
  uint64_t fpstate;  // address of the FXSAVE area, 0 if none
  uint64_t reserved1[8];
};
static_assert(sizeof(SigContext) == 256);

struct StackT {
  uint64_t ss_sp;
  int32_t ss_flags;
  int32_t pad;
  uint64_t ss_size;
};
static_assert(sizeof(StackT) == 24);

struct UContext {
  uint64_t uc_flags;
  uint64_t uc_link;
  StackT uc_stack;
  SigContext uc_mcontext;
  uint64_t uc_sigmask;
};
static_assert(offsetof(UContext, uc_mcontext) == 40);
static_assert(sizeof(UContext) == 304);

struct RtSigFrame {
  uint64_t pretcode;  // return address: sa_restorer
  UContext uc;
  uint8_t info[128];  // siginfo_t
};
static_assert(sizeof(RtSigFrame) == 440);

constexpr uint64_t kUcFpXstate = 0x1;
constexpr uint64_t kUcSigcontextSs = 0x2;
constexpr uint64_t kUcStrictRestoreSs = 0x4;

}  // namespace bulwark::abi
