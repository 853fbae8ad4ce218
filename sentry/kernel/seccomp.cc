#include "sentry/kernel/seccomp.h"

#include <cstring>

namespace bulwark::kernel {

namespace {

constexpr uint32_t kMemWords = 16;  // BPF_MEMWORDS

bool IsConditionalJump(uint16_t code) {
  if (BPF_CLASS(code) != BPF_JMP) return false;
  switch (BPF_OP(code)) {
    case BPF_JEQ:
    case BPF_JGT:
    case BPF_JGE:
    case BPF_JSET:
      return true;
    default:
      return false;
  }
}

// seccomp_check_filter()'s list: the only instructions a seccomp program
// may hold. Loads of packet data become loads of struct seccomp_data, which
// must be aligned 32-bit words inside it.
bool AllowedInstruction(const sock_filter& f) {
  switch (f.code) {
    case BPF_LD | BPF_W | BPF_ABS:
      return f.k < sizeof(seccomp_data) && (f.k & 3) == 0;
    case BPF_LD | BPF_W | BPF_LEN:
    case BPF_LDX | BPF_W | BPF_LEN:
    case BPF_RET | BPF_K:
    case BPF_RET | BPF_A:
    case BPF_ALU | BPF_NEG:
    case BPF_LD | BPF_IMM:
    case BPF_LDX | BPF_IMM:
    case BPF_MISC | BPF_TAX:
    case BPF_MISC | BPF_TXA:
    case BPF_LD | BPF_MEM:
    case BPF_LDX | BPF_MEM:
    case BPF_ST:
    case BPF_STX:
    case BPF_JMP | BPF_JA:
      return true;
    default:
      break;
  }
  uint16_t src = BPF_SRC(f.code);
  uint16_t rest = f.code & ~BPF_X;  // the same with either source
  if (BPF_CLASS(f.code) == BPF_ALU) {
    switch (rest) {
      case BPF_ALU | BPF_ADD:
      case BPF_ALU | BPF_SUB:
      case BPF_ALU | BPF_MUL:
      case BPF_ALU | BPF_DIV:
      case BPF_ALU | BPF_AND:
      case BPF_ALU | BPF_OR:
      case BPF_ALU | BPF_XOR:
      case BPF_ALU | BPF_LSH:
      case BPF_ALU | BPF_RSH:
        return src == BPF_K || src == BPF_X;
      default:
        return false;
    }
  }
  return IsConditionalJump(f.code) && (rest & ~0xf0) == BPF_JMP;
}

}  // namespace

SysResult<void> CheckSeccompProgram(const std::vector<sock_filter>& prog) {
  size_t len = prog.size();
  if (len == 0 || len > BPF_MAXINSNS) return Err(Errno::kEINVAL);
  for (size_t pc = 0; pc < len; ++pc) {
    const sock_filter& f = prog[pc];
    if (!AllowedInstruction(f)) return Err(Errno::kEINVAL);
    // bpf_check_classic(): constant divisors and shifts, scratch cells,
    // jump targets inside the program.
    if (f.code == (BPF_ALU | BPF_DIV | BPF_K) && f.k == 0) return Err(Errno::kEINVAL);
    if ((f.code == (BPF_ALU | BPF_LSH | BPF_K) || f.code == (BPF_ALU | BPF_RSH | BPF_K)) &&
        f.k >= 32)
      return Err(Errno::kEINVAL);
    switch (f.code) {
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
      case BPF_ST:
      case BPF_STX:
        if (f.k >= kMemWords) return Err(Errno::kEINVAL);
        break;
      case BPF_JMP | BPF_JA:
        if (f.k >= len - pc - 1) return Err(Errno::kEINVAL);
        break;
      default:
        if (IsConditionalJump(f.code) && (pc + 1 + f.jt >= len || pc + 1 + f.jf >= len))
          return Err(Errno::kEINVAL);
    }
  }
  uint16_t last = prog[len - 1].code;
  if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A)) return Err(Errno::kEINVAL);
  // check_load_and_stores(): no scratch cell may be read on a path that
  // has not written it. `valid` holds the cells written on every path
  // reaching an instruction (jumps only go forward).
  std::vector<uint16_t> valid_at(len, 0xffff);
  uint16_t valid = 0;
  for (size_t pc = 0; pc < len; ++pc) {
    const sock_filter& f = prog[pc];
    valid &= valid_at[pc];
    switch (f.code) {
      case BPF_ST:
      case BPF_STX:
        valid |= static_cast<uint16_t>(1u << f.k);
        break;
      case BPF_LD | BPF_MEM:
      case BPF_LDX | BPF_MEM:
        if (!(valid & (1u << f.k))) return Err(Errno::kEINVAL);
        break;
      case BPF_JMP | BPF_JA:
        valid_at[pc + 1 + f.k] &= valid;
        valid = 0xffff;  // the next instruction is reached only by jumps
        break;
      default:
        if (IsConditionalJump(f.code)) {
          valid_at[pc + 1 + f.jt] &= valid;
          valid_at[pc + 1 + f.jf] &= valid;
          valid = 0xffff;
        }
    }
  }
  return {};
}

size_t SeccompPathLength(const SeccompFilter* chain) {
  size_t n = 0;
  for (const SeccompFilter* f = chain; f != nullptr; f = f->prev.get()) n += f->prog.size() + 4;
  return n;
}

uint32_t RunSeccompProgram(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  uint32_t a = 0, x = 0, mem[kMemWords] = {};
  uint8_t raw[sizeof(seccomp_data)];
  std::memcpy(raw, &data, sizeof(raw));
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    uint32_t operand = BPF_SRC(f.code) == BPF_X ? x : f.k;
    switch (BPF_CLASS(f.code)) {
      case BPF_LD:
        switch (BPF_MODE(f.code)) {
          case BPF_ABS: std::memcpy(&a, raw + f.k, sizeof(a)); break;
          case BPF_LEN: a = sizeof(seccomp_data); break;
          case BPF_IMM: a = f.k; break;
          case BPF_MEM: a = mem[f.k]; break;
        }
        break;
      case BPF_LDX:
        switch (BPF_MODE(f.code)) {
          case BPF_LEN: x = sizeof(seccomp_data); break;
          case BPF_IMM: x = f.k; break;
          case BPF_MEM: x = mem[f.k]; break;
        }
        break;
      case BPF_ST: mem[f.k] = a; break;
      case BPF_STX: mem[f.k] = x; break;
      case BPF_MISC:
        if (BPF_MISCOP(f.code) == BPF_TAX) x = a;
        else a = x;
        break;
      case BPF_ALU:
        switch (BPF_OP(f.code)) {
          case BPF_ADD: a += operand; break;
          case BPF_SUB: a -= operand; break;
          case BPF_MUL: a *= operand; break;
          case BPF_DIV:
            // Classic BPF: a division by a zero X ends the program with 0
            // (SECCOMP_RET_KILL_THREAD).
            if (operand == 0) return 0;
            a /= operand;
            break;
          case BPF_AND: a &= operand; break;
          case BPF_OR: a |= operand; break;
          case BPF_XOR: a ^= operand; break;
          // Shift counts from X are taken modulo 32, as the BPF
          // interpreter's 32-bit shifts do.
          case BPF_LSH: a <<= (operand & 31); break;
          case BPF_RSH: a >>= (operand & 31); break;
          case BPF_NEG: a = 0u - a; break;
        }
        break;
      case BPF_JMP: {
        if (BPF_OP(f.code) == BPF_JA) {
          pc += f.k;
          break;
        }
        bool taken = false;
        switch (BPF_OP(f.code)) {
          case BPF_JEQ: taken = a == operand; break;
          case BPF_JGT: taken = a > operand; break;
          case BPF_JGE: taken = a >= operand; break;
          case BPF_JSET: taken = (a & operand) != 0; break;
        }
        pc += taken ? f.jt : f.jf;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(f.code) == BPF_A ? a : f.k;
    }
  }
  return 0;  // unreachable for a checked program (it ends with a return)
}

uint32_t RunSeccompFilters(const SeccompFilter& chain, const seccomp_data& data,
                           const SeccompFilter** matched) {
  // seccomp_run_filters(): newest first; an older filter's result replaces
  // the one so far only if its action is strictly stronger.
  uint32_t ret = SECCOMP_RET_ALLOW;
  *matched = nullptr;
  for (const SeccompFilter* f = &chain; f != nullptr; f = f->prev.get()) {
    uint32_t cur = RunSeccompProgram(f->prog, data);
    if (static_cast<int32_t>(cur & SECCOMP_RET_ACTION_FULL) <
        static_cast<int32_t>(ret & SECCOMP_RET_ACTION_FULL)) {
      ret = cur;
      *matched = f;
    }
  }
  return ret;
}

}  // namespace bulwark::kernel
