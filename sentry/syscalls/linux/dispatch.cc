// The syscall table and dispatcher.
#include <cinttypes>
#include <cstring>
#include <mutex>
#include <string>

#include <unistd.h>

#include "base/log.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/syscalls/linux/handlers.h"
#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

namespace {

struct Table {
  SyscallInfo entries[kMaxSyscall];
  constexpr Table() : entries() {
#define FULL(nr, name, note) \
  entries[nr] = SyscallInfo{#name, &Invoke<&sys_##name>, &FormatArgs<&sys_##name>, Support::kFull, Errno::kENOSYS, note};
#define PARTIAL(nr, name, note) \
  entries[nr] = SyscallInfo{#name, &Invoke<&sys_##name>, &FormatArgs<&sys_##name>, Support::kPartial, Errno::kENOSYS, note};
#define ERRNO(nr, name, err, note) \
  entries[nr] = SyscallInfo{#name, nullptr, nullptr, Support::kErrno, Errno::err, note};
#define NONE(nr, name, note) \
  entries[nr] = SyscallInfo{#name, nullptr, nullptr, Support::kNone, Errno::kENOSYS, note};
#include "sentry/syscalls/linux/table.def"
#undef FULL
#undef PARTIAL
#undef ERRNO
#undef NONE
  }
};

constexpr Table kTable;
const SyscallInfo kUnknown{};

// Unimplemented syscalls are logged once each.
std::once_flag g_logged[kMaxSyscall];

void Strace(Task& t, const SyscallInfo& info, const SyscallArgs& args, const std::string& before,
            int64_t ret) {
  std::string line = "[" + std::to_string(t.tid()) + "] ";
  line += info.name ? info.name : ("syscall_" + std::to_string(args.nr));
  line += "(" + before + ") = ";
  char buf[64];
  if (ret < 0 && ret >= -4095) {
    snprintf(buf, sizeof(buf), "-1 %s (%s)", ErrnoName(static_cast<int>(-ret)),
             strerror(static_cast<int>(-ret)));
  } else if (ret > 0xffff || ret < -4095) {
    snprintf(buf, sizeof(buf), "%#" PRIx64, static_cast<uint64_t>(ret));
  } else {
    snprintf(buf, sizeof(buf), "%" PRId64, ret);
  }
  line += buf;
  // strace output goes to the debug log when there is one, else to the
  // sentry's stderr, like strace(1) itself.
  if (log::DebugEnabled()) {
    log::Logf(log::Level::kInfo, "strace: %s", line.c_str());
  } else {
    line += '\n';
    (void)!write(2, line.data(), line.size());
  }
}

}  // namespace

namespace internal {

void FormatUserString(Task& t, uint64_t addr, std::string& out) {
  if (addr == 0) {
    out += "NULL";
    return;
  }
  auto s = t.mm().CopyInString(addr, 4096);
  if (!s) {
    char buf[32];
    snprintf(buf, sizeof(buf), "%#" PRIx64, addr);
    out += buf;
    return;
  }
  out += '"';
  size_t n = 0;
  for (char c : *s) {
    if (n++ == 64) {
      out += "\"...";
      return;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c > 0x7e) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\%o", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace internal

const SyscallInfo& Lookup(uint64_t nr) {
  return nr < static_cast<uint64_t>(kMaxSyscall) ? kTable.entries[nr] : kUnknown;
}

void Dispatch(Task& t) {
  auto& r = t.regs().regs;
  SyscallArgs args{r.orig_rax, {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9}};
  const SyscallInfo& info = Lookup(args.nr);
  bool strace = t.kernel().opts().strace;
  std::string before;
  if (strace && info.format) info.format(t, args, before);

  int64_t ret;
  if (t.seccomp.mode != SECCOMP_MODE_DISABLED && SeccompDenies(t, args, &ret)) {
    // Decided by the task's seccomp filters; the call does not run.
  } else if (info.invoke != nullptr) {
    auto result = info.invoke(t, args);
    if (result) {
      ret = static_cast<int64_t>(*result);
    } else {
      Errno e = result.error();
      if (ToInt(e) >= ToInt(Errno::kERESTARTSYS) && ToInt(e) <= ToInt(Errno::kERESTART_RESTARTBLOCK))
        kernel::NoteRestart(t, e);
      ret = -static_cast<int64_t>(ToInt(e));
    }
  } else {
    if (info.support == Support::kNone && args.nr < static_cast<uint64_t>(kMaxSyscall)) {
      std::call_once(g_logged[args.nr], [&] {
        LOG_WARN("unimplemented syscall %" PRIu64 " (%s): ENOSYS", args.nr,
                 info.name ? info.name : "unknown");
      });
    } else if (info.name == nullptr) {
      LOG_DEBUG("unknown syscall %" PRIu64 ": ENOSYS", args.nr);
    }
    ret = -static_cast<int64_t>(ToInt(info.err));
  }
  if (strace) {
    if (before.empty() && info.invoke == nullptr) {
      char buf[128];
      snprintf(buf, sizeof(buf), "%#llx, %#llx, %#llx, ...", r.rdi, r.rsi, r.rdx);
      before = buf;
    }
    Strace(t, info, args, before, ret);
  }
  // rt_sigreturn and execve set every register themselves; their "return
  // value" is what rax must hold.
  r.rax = static_cast<uint64_t>(ret);
}

}  // namespace bulwark::syscalls
