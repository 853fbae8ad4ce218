#include "platform/ptrace/stub_seccomp.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "platform/ptrace/ptrace_sys.h"

extern "C" {
// stub_amd64.S: the address after each `syscall` instruction.
extern const char bulwark_ptrace_stub_begin[];
extern const char bulwark_ptrace_stub_ip_munmap_low[];
extern const char bulwark_ptrace_stub_ip_munmap_high[];
extern const char bulwark_ptrace_stub_ip_getpid[];
extern const char bulwark_ptrace_stub_ip_kill[];
extern const char bulwark_ptrace_stub_ip_inject[];
extern const char bulwark_ptrace_stub_ip_pause[];
extern const char bulwark_ptrace_stub_ip_clone[];
extern const char bulwark_ptrace_stub_ip_exit[];
}

namespace bulwark::platform::ptrace_impl {
namespace {

// seccomp_data (linux/seccomp.h) field offsets; 64-bit values are two
// 32-bit words, low word first (little endian).
constexpr uint32_t kNrOff = offsetof(seccomp_data, nr);
constexpr uint32_t kArchOff = offsetof(seccomp_data, arch);
constexpr uint32_t kIpOff = offsetof(seccomp_data, instruction_pointer);
constexpr uint32_t ArgOff(unsigned i) { return offsetof(seccomp_data, args) + 8 * i; }

constexpr uint64_t kOwnPid = ~0ull;  // placeholder: the stub's pid

struct ArgEq {
  unsigned arg;
  uint64_t value;  // kOwnPid: the stub's own pid
};
struct Call {
  long nr;
  const char* name;
  std::vector<ArgEq> args;
};
struct Site {
  const char* what;
  const char* label;  // the stub_amd64.S symbol (address after `syscall`)
  std::vector<Call> calls;
};

uint64_t Offset(const char* label) {
  // SAFETY: both symbols are in the stub code of stub_amd64.S; only their
  // distance is used.
  return static_cast<uint64_t>(label - bulwark_ptrace_stub_begin);
}

// What each `syscall` instruction of the stub page may do.
std::vector<Site> Sites() {
  return {
      {"start-up: unmap below the page", bulwark_ptrace_stub_ip_munmap_low,
       {{SYS_munmap, "munmap", {{0, 0}}}}},
      {"start-up: unmap above the page", bulwark_ptrace_stub_ip_munmap_high,
       {{SYS_munmap, "munmap", {}}}},
      {"start-up: getpid", bulwark_ptrace_stub_ip_getpid, {{SYS_getpid, "getpid", {}}}},
      {"start-up: stop for the tracer", bulwark_ptrace_stub_ip_kill,
       {{SYS_kill, "kill", {{0, kOwnPid}, {1, SIGSTOP}}}}},
      {"injection point (address space changes)", bulwark_ptrace_stub_ip_inject,
       {{SYS_mmap, "mmap", {{3, MAP_SHARED | MAP_FIXED}, {4, kStubMemoryFd}}},
        {SYS_munmap, "munmap", {}},
        {SYS_mprotect, "mprotect", {}}}},
      {"park loop", bulwark_ptrace_stub_ip_pause, {{SYS_pause, "pause", {}}}},
      {"clone injection point (new stub thread)", bulwark_ptrace_stub_ip_clone,
       {{SYS_clone, "clone", {{0, kStubThreadCloneFlags}}}}},
      {"start-up failure", bulwark_ptrace_stub_ip_exit, {{SYS_exit_group, "exit_group", {}}}},
  };
}

// A tiny BPF assembler: conditional jumps name their targets by label and
// are resolved at the end (classic BPF jumps forward only, at most 255).
class Assembler {
 public:
  void Load(uint32_t off) { Emit(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off)); }
  void Ret(uint32_t action) { Emit(BPF_STMT(BPF_RET | BPF_K, action)); }
  // if (A == k) goto t else goto f; an empty label means the next insn.
  void JumpEq(uint32_t k, std::string t, std::string f) { Jump(BPF_JEQ, k, t, f); }
  void JumpSet(uint32_t k, std::string t, std::string f) { Jump(BPF_JSET, k, t, f); }
  void Label(const std::string& name) { labels_.push_back({name, insns_.size()}); }
  size_t Size() const { return insns_.size(); }

  std::vector<sock_filter> Finish() {
    for (const Fixup& f : fixups_) {
      sock_filter& in = insns_[f.insn];
      in.jt = Target(f.insn, f.t);
      in.jf = Target(f.insn, f.f);
    }
    return insns_;
  }

 private:
  struct Fixup {
    size_t insn;
    std::string t, f;
  };
  void Emit(sock_filter in) { insns_.push_back(in); }
  void Jump(uint16_t op, uint32_t k, std::string t, std::string f) {
    fixups_.push_back({insns_.size(), std::move(t), std::move(f)});
    Emit(BPF_JUMP(BPF_JMP | op | BPF_K, k, 0, 0));
  }
  uint8_t Target(size_t from, const std::string& name) const {
    if (name.empty()) return 0;
    for (const auto& [n, at] : labels_) {
      if (n == name && at > from && at - from - 1 <= 255) return static_cast<uint8_t>(at - from - 1);
    }
    std::fprintf(stderr, "bulwark: stub seccomp: bad jump to %s\n", name.c_str());
    std::abort();  // a bug in the program text below, caught by the tests
  }
  std::vector<sock_filter> insns_;
  std::vector<std::pair<std::string, size_t>> labels_;
  std::vector<Fixup> fixups_;
};

uint32_t DenyAction(seccomp::Mode mode) {
  return mode == seccomp::Mode::kLog ? SECCOMP_RET_LOG : SECCOMP_RET_KILL_PROCESS;
}

uint32_t Low(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t High(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

}  // namespace

seccomp::Mode PtraceSeccompMode(bool* set) {
  const char* env = std::getenv("BULWARK_SECCOMP");
  if (set != nullptr) *set = env != nullptr && *env != '\0';
  if (env == nullptr) return seccomp::Mode::kEnforce;
  auto mode = seccomp::ParseMode(env);
  return mode ? *mode : seccomp::Mode::kEnforce;
}

BpfProgram StubFilter(const StubPage& page, seccomp::Mode mode) {
  BpfProgram out;
  Assembler a;
  std::vector<Site> sites = Sites();
  a.Load(kArchOff);
  a.JumpEq(AUDIT_ARCH_X86_64, "", "deny");
  // Every allowed instruction is in the stub page: one high word.
  a.Load(kIpOff + 4);
  a.JumpEq(High(page.addr), "", "deny");
  a.Load(kIpOff);
  for (size_t i = 0; i < sites.size(); i++) {
    a.JumpEq(Low(page.addr + Offset(sites[i].label)), "site" + std::to_string(i), "");
  }
  a.Ret(DenyAction(mode));
  for (size_t i = 0; i < sites.size(); i++) {
    const Site& s = sites[i];
    a.Label("site" + std::to_string(i));
    a.Load(kNrOff);
    for (size_t c = 0; c < s.calls.size(); c++) {
      a.JumpEq(static_cast<uint32_t>(s.calls[c].nr), "call" + std::to_string(i) + "." +
                                                        std::to_string(c), "");
    }
    a.Ret(DenyAction(mode));
    for (size_t c = 0; c < s.calls.size(); c++) {
      a.Label("call" + std::to_string(i) + "." + std::to_string(c));
      for (const ArgEq& arg : s.calls[c].args) {
        a.Load(ArgOff(arg.arg));
        if (arg.value == kOwnPid) out.pid_insn = a.Size();
        a.JumpEq(arg.value == kOwnPid ? 0 : Low(arg.value), "", "deny");
        a.Load(ArgOff(arg.arg) + 4);
        a.JumpEq(arg.value == kOwnPid ? 0 : High(arg.value), "", "deny");
      }
      a.Ret(SECCOMP_RET_ALLOW);
    }
  }
  a.Label("deny");
  a.Ret(DenyAction(mode));
  out.insns = a.Finish();
  return out;
}

BpfProgram ExecMappingFilter(const StubPage& page, seccomp::Mode mode) {
  Assembler a;
  a.Load(kArchOff);
  a.JumpEq(AUDIT_ARCH_X86_64, "", "allow");  // the sentry's table kills others
  a.Load(kNrOff);
  a.JumpEq(SYS_mmap, "check", "");
  a.JumpEq(SYS_mprotect, "check", "allow");
  a.Label("check");
  a.Load(ArgOff(2));  // prot (an int: the low word)
  a.JumpSet(PROT_EXEC, "", "allow");
  a.Load(kIpOff + 4);
  uint64_t inject_ip = page.addr + Offset(bulwark_ptrace_stub_ip_inject);
  a.JumpEq(High(inject_ip), "", "deny");
  a.Load(kIpOff);
  a.JumpEq(Low(inject_ip), "allow", "deny");
  a.Label("deny");
  a.Ret(DenyAction(mode));
  a.Label("allow");
  a.Ret(SECCOMP_RET_ALLOW);
  return {a.Finish(), 0};
}

Result<void> InstallExecMappingFilter(const StubPage& page) {
  bool set = false;
  seccomp::Mode mode = PtraceSeccompMode(&set);
  if (!set || mode == seccomp::Mode::kOff) return {};
  BpfProgram p = ExecMappingFilter(page, mode);
  sock_fprog prog{static_cast<unsigned short>(p.insns.size()), p.insns.data()};
  // SAFETY: seccomp(2) reads the program; TSYNC returns the tid of a thread
  // that could not be synchronized (> 0), or -1 with errno.
  long r = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
  if (r < 0) return HostError("seccomp: exec-mapping filter");
  if (r > 0) return MakeError("seccomp: thread " + std::to_string(r) + " could not take the "
                              "exec-mapping filter");
  return {};
}

size_t StubFilterSyscalls() {
  std::set<long> nrs;
  for (const Site& s : Sites()) {
    for (const Call& c : s.calls) nrs.insert(c.nr);
  }
  return nrs.size();
}

std::string DescribeFilters() {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof(line),
                "# stub: %zu host syscalls, each only from its own instruction in the stub "
                "page (seccomp_data.instruction_pointer == page + offset); anything else "
                "kills the stub\n",
                StubFilterSyscalls());
  out += line;
  for (const Site& s : Sites()) {
    for (const Call& c : s.calls) {
      std::string args;
      for (const ArgEq& a : c.args) {
        if (!args.empty()) args += ", ";
        char buf[64];
        if (a.value == kOwnPid) {
          std::snprintf(buf, sizeof(buf), "arg%u == own pid", a.arg);
        } else {
          std::snprintf(buf, sizeof(buf), "arg%u == %#lx", a.arg,
                        static_cast<unsigned long>(a.value));
        }
        args += buf;
      }
      std::snprintf(line, sizeof(line), "%-20s ip == page+%#-6lx %-34s %s\n", c.name,
                    static_cast<unsigned long>(Offset(s.label)), args.empty() ? "*" : args.c_str(),
                    s.what);
      out += line;
    }
  }
  std::snprintf(line, sizeof(line),
                "# sentry (ptrace platform addition, all threads and stubs): mmap/mprotect with "
                "PROT_EXEC only at ip == page+%#lx (the injection point)\n",
                static_cast<unsigned long>(Offset(bulwark_ptrace_stub_ip_inject)));
  out += line;
  return out;
}

}  // namespace bulwark::platform::ptrace_impl

std::string BulwarkDescribePtraceFilters() {
  return bulwark::platform::ptrace_impl::DescribeFilters();
}
