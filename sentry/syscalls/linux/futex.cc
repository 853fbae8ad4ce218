// futex(2) (kernel/futex/syscalls.c, waitwake.c, requeue.c) and
// restart_syscall(2).
//
// Every futex operation runs under the kernel lock, so checking the word and
// queueing the waiter cannot race with a FUTEX_WAKE; application threads
// change the word concurrently, which is why the word is read and modified
// with atomics through the sentry's mapping of the memory file.
#include <linux/futex.h>
#include <time.h>

#include <mutex>
#include <optional>

#include "base/log.h"
#include "sentry/kernel/futex.h"
#include "sentry/syscalls/linux/sys_futex.h"

namespace bulwark::syscalls {

namespace {

using kernel::FutexKey;
using kernel::FutexWaiter;

constexpr int64_t kNsPerSec = 1000000000;

timespec Now(clockid_t c) {
  timespec ts;
  clock_gettime(c, &ts);
  return ts;
}

int64_t ToNs(const timespec& ts) { return ts.tv_sec * kNsPerSec + ts.tv_nsec; }
timespec FromNs(int64_t ns) {
  if (ns < 0) ns = 0;
  return timespec{ns / kNsPerSec, ns % kNsPerSec};
}

SysResult<uint32_t> LoadWord(Task& t, uint64_t addr) {
  uint32_t* p = TRY(kernel::FutexWord(t.mm(), addr, /*write=*/false));
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

// futex_wait. `deadline`: absolute CLOCK_MONOTONIC, or null.
SysResult<long> Wait(Task& t, uint64_t addr, bool shared, uint32_t val,
                     std::optional<timespec> deadline, uint32_t bitset) {
  if (bitset == 0) return Err(Errno::kEINVAL);
  FutexKey key = TRY(kernel::GetFutexKey(t.mm(), addr, shared));
  uint32_t cur = TRY(LoadWord(t, addr));
  if (cur != val) return Err(Errno::kEAGAIN);
  auto& table = t.kernel().futexes();
  FutexWaiter w{&t, key, bitset, false};
  table.Enqueue(&w);
  while (!w.woken) {
    auto r = t.Block(deadline ? &*deadline : nullptr);
    if (w.woken) break;
    if (r) continue;  // another wait queue's wake-up: not ours
    table.Dequeue(&w);
    if (r.error() == Errno::kETIMEDOUT) return Err(Errno::kETIMEDOUT);
    if (!deadline) return Err(Errno::kERESTARTSYS);
    // futex_wait_restart: restarted without a handler, the wait goes on
    // until the same absolute deadline; a handler makes it EINTR.
    timespec dl = *deadline;
    t.restart_block = [addr, shared, val, dl, bitset](Task& rt) -> SysResult<uint64_t> {
      long r = TRY(Wait(rt, addr, shared, val, dl, bitset));
      return static_cast<uint64_t>(r);
    };
    return Err(Errno::kERESTART_RESTARTBLOCK);
  }
  return 0;
}

// futex_atomic_op_inuser: applies the operation to *uaddr2 and returns the
// comparison's result.
SysResult<bool> AtomicOp(Task& t, uint64_t addr, uint32_t encoded) {
  unsigned op = (encoded >> 28) & 7;
  unsigned cmp = (encoded >> 24) & 15;
  // 12-bit signed fields (sign_extend32).
  int32_t oparg = static_cast<int32_t>(((encoded >> 12) & 0xfff) << 20) >> 20;
  int32_t cmparg = static_cast<int32_t>((encoded & 0xfff) << 20) >> 20;
  if (encoded & (uint32_t{FUTEX_OP_OPARG_SHIFT} << 28)) {
    oparg &= 31;  // Linux warns once and masks an out-of-range shift
    oparg = static_cast<int32_t>(1u << oparg);
  }
  if (op > FUTEX_OP_XOR) return Err(Errno::kENOSYS);
  uint32_t* p = TRY(kernel::FutexWord(t.mm(), addr, /*write=*/true));
  uint32_t old = __atomic_load_n(p, __ATOMIC_SEQ_CST);
  while (true) {
    uint32_t arg = static_cast<uint32_t>(oparg), nv = 0;
    switch (op) {
      case FUTEX_OP_SET: nv = arg; break;
      case FUTEX_OP_ADD: nv = old + arg; break;
      case FUTEX_OP_OR: nv = old | arg; break;
      case FUTEX_OP_ANDN: nv = old & ~arg; break;
      case FUTEX_OP_XOR: nv = old ^ arg; break;
    }
    if (__atomic_compare_exchange_n(p, &old, nv, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) break;
  }
  int32_t o = static_cast<int32_t>(old);
  switch (cmp) {
    case FUTEX_OP_CMP_EQ: return o == cmparg;
    case FUTEX_OP_CMP_NE: return o != cmparg;
    case FUTEX_OP_CMP_LT: return o < cmparg;
    case FUTEX_OP_CMP_LE: return o <= cmparg;
    case FUTEX_OP_CMP_GT: return o > cmparg;
    case FUTEX_OP_CMP_GE: return o >= cmparg;
    default: return Err(Errno::kENOSYS);
  }
}

bool HasTimeout(int cmd) {
  return cmd == FUTEX_WAIT || cmd == FUTEX_LOCK_PI || cmd == FUTEX_WAIT_BITSET ||
         cmd == FUTEX_WAIT_REQUEUE_PI || cmd == 13 /* FUTEX_LOCK_PI2 */;
}

std::once_flag g_pi_logged;

}  // namespace

SysResult<long> sys_futex(Task& t, uint64_t uaddr, int op, uint32_t val, uint64_t utime,
                          uint64_t uaddr2, uint32_t val3) {
  int cmd = op & FUTEX_CMD_MASK;
  bool shared = !(op & FUTEX_PRIVATE_FLAG);
  bool realtime = (op & FUTEX_CLOCK_REALTIME) != 0;
  // The timeout is read and checked before anything else (sys_futex).
  std::optional<timespec> deadline;
  if (utime != 0 && HasTimeout(cmd)) {
    timespec ts = TRY(t.CopyIn(UserPtr<timespec>{utime}));
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= kNsPerSec) return Err(Errno::kEINVAL);
    if (cmd == FUTEX_WAIT) {
      // Relative, measured on CLOCK_MONOTONIC whatever the clock flag.
      deadline = FromNs(ToNs(Now(CLOCK_MONOTONIC)) + ToNs(ts));
    } else if (realtime) {
      // An absolute CLOCK_REALTIME deadline, converted once: a later change
      // of the realtime clock does not move it (Linux would follow it).
      deadline = FromNs(ToNs(Now(CLOCK_MONOTONIC)) + ToNs(ts) - ToNs(Now(CLOCK_REALTIME)));
    } else {
      deadline = ts;
    }
  }
  if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI && cmd != 13 &&
      cmd != FUTEX_WAIT)
    return Err(Errno::kENOSYS);
  // For the requeue and wake-op commands the timeout argument is a count.
  int val2 = static_cast<int>(utime);
  auto& table = t.kernel().futexes();
  switch (cmd) {
    case FUTEX_WAIT:
      return Wait(t, uaddr, shared, val, deadline, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAIT_BITSET:
      return Wait(t, uaddr, shared, val, deadline, val3);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
      uint32_t bitset = cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3;
      if (bitset == 0) return Err(Errno::kEINVAL);
      return TRY(kernel::FutexWake(t, uaddr, shared, static_cast<int>(val), bitset));
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE: {
      int nr_wake = static_cast<int>(val), nr_requeue = val2;
      if (nr_wake < 0 || nr_requeue < 0) return Err(Errno::kEINVAL);
      FutexKey k1 = TRY(kernel::GetFutexKey(t.mm(), uaddr, shared));
      FutexKey k2 = TRY(kernel::GetFutexKey(t.mm(), uaddr2, shared));
      if (cmd == FUTEX_CMP_REQUEUE) {
        uint32_t cur = TRY(LoadWord(t, uaddr));
        if (cur != val3) return Err(Errno::kEAGAIN);
      }
      return table.Requeue(k1, k2, nr_wake, nr_requeue);
    }
    case FUTEX_WAKE_OP: {
      FutexKey k1 = TRY(kernel::GetFutexKey(t.mm(), uaddr, shared));
      FutexKey k2 = TRY(kernel::GetFutexKey(t.mm(), uaddr2, shared));
      bool cond = TRY(AtomicOp(t, uaddr2, val3));
      long woken = table.Wake(k1, static_cast<int>(val));
      if (cond) woken += table.Wake(k2, val2);
      return woken;
    }
    case FUTEX_LOCK_PI:
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI:
    case FUTEX_WAIT_REQUEUE_PI:
    case FUTEX_CMP_REQUEUE_PI:
    case 13:  // FUTEX_LOCK_PI2
      std::call_once(g_pi_logged, [] { LOG_WARN("futex: priority-inheritance futexes: ENOSYS"); });
      return Err(Errno::kENOSYS);
    default:
      return Err(Errno::kENOSYS);  // includes FUTEX_FD (removed in Linux 2.6.26)
  }
}

SysResult<uint64_t> sys_restart_syscall(Task& t) {
  // do_no_restart_syscall: nothing to restart is EINTR.
  if (!t.restart_block) return Err(Errno::kEINTR);
  auto fn = std::move(t.restart_block);
  t.restart_block = nullptr;
  return fn(t);
}

}  // namespace bulwark::syscalls
