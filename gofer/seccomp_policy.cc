#include "gofer/seccomp_policy.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

namespace bulwark::gofer {

using seccomp::ArgCond;
using Op = ArgCond::Op;

// Every call the server makes on behalf of the sentry goes through fds it
// already holds (openat & co. relative to walked directory fds, O_NOFOLLOW);
// path-based calls without a directory fd are not allowed. The gofer never
// executes anything, opens no sockets, mounts nothing and maps nothing
// executable.
seccomp::Policy GoferPolicy() {
  seccomp::Policy p;
  p.process = "gofer";
  p.rules = {
      // Serving requests.
      SECCOMP_RULE(recvmsg, "requests from the sentry (with fds)"),
      SECCOMP_RULE(sendmsg, "replies and donated fds"),
      SECCOMP_RULE(openat, "walks and opens relative to held directory fds"),
      SECCOMP_RULE(close, "clunk"),
      SECCOMP_RULE(fstat, "stat of held fds"),
      SECCOMP_RULE(newfstatat, "stat by dirfd+name / AT_EMPTY_PATH"),
      SECCOMP_RULE(statx, "glibc's fstatat may use statx"),
      SECCOMP_RULE(fstatfs, "statfs of an attach point"),
      SECCOMP_RULE(getdents64, "readdir"),
      SECCOMP_RULE(lseek, "readdir restart"),
      SECCOMP_RULE(readlinkat, "readlink"),
      SECCOMP_RULE(mkdirat, "mkdir"),
      SECCOMP_RULE(mknodat, "mkfifo (other nodes are refused before the call)"),
      SECCOMP_RULE(symlinkat, "symlink"),
      SECCOMP_RULE(linkat, "hard link"),
      SECCOMP_RULE(unlinkat, "unlink, rmdir"),
      SECCOMP_RULE(renameat2, "rename with flags"),
      SECCOMP_RULE(renameat, "rename (glibc's renameat2 without flags)"),
      SECCOMP_RULE(fchmodat2, "chmod of an O_PATH fd (AT_EMPTY_PATH)"),
      SECCOMP_RULE(fchmod, "chmod fallback before Linux 6.6"),
      SECCOMP_RULE(fchownat, "chown (AT_EMPTY_PATH)"),
      SECCOMP_RULE(fchown, "chown of an open fd"),
      SECCOMP_RULE(utimensat, "utimes (AT_EMPTY_PATH)"),
      SECCOMP_RULE(ftruncate, "truncate"),
      SECCOMP_RULE(fallocate, "fallocate"),
      SECCOMP_RULE(fsync, "fsync of a held fd"),
      SECCOMP_RULE(fcntl, "O_NONBLOCK of a donated fd", {{0, Op::kEq, 0}, {1, Op::kEq, F_GETFL}}),
      SECCOMP_RULE(fcntl, "", {{1, Op::kEq, F_GETFL}}),
      SECCOMP_RULE(fcntl, "", {{1, Op::kEq, F_SETFL}}),
      SECCOMP_RULE(fcntl, "", {{1, Op::kEq, F_GETFD}}),
      SECCOMP_RULE(fcntl, "", {{1, Op::kEq, F_SETFD}}),
      SECCOMP_RULE(fcntl, "", {{1, Op::kEq, F_DUPFD_CLOEXEC}}),
      SECCOMP_RULE(fgetxattr, "xattrs of held fds"),
      SECCOMP_RULE(flistxattr, ""),
      SECCOMP_RULE(read, "rarely: reading small files"),
      SECCOMP_RULE(pread64, ""),
      SECCOMP_RULE(write, "log lines to stderr"),
      SECCOMP_RULE(writev, ""),
      // The C and C++ runtime.
      SECCOMP_RULE(futex, "glibc locks"),
      SECCOMP_RULE(mmap, "malloc (never executable)", {{2, Op::kMaskedEq, 0, PROT_EXEC}}),
      SECCOMP_RULE(mprotect, "malloc arenas (never executable)", {{2, Op::kMaskedEq, 0, PROT_EXEC}}),
      SECCOMP_RULE(munmap, "free"),
      SECCOMP_RULE(mremap, "realloc"),
      SECCOMP_RULE(madvise, "free"),
      SECCOMP_RULE(brk, "malloc"),
      SECCOMP_RULE(rt_sigprocmask, "glibc internals"),
      SECCOMP_RULE(rt_sigreturn, "signal return"),
      SECCOMP_RULE(getpid, "abort, logging"),
      SECCOMP_RULE(gettid, "abort, logging"),
      SECCOMP_RULE(tgkill, "abort (raise)"),
      SECCOMP_RULE(clock_gettime, "log timestamps without the vDSO"),
      SECCOMP_RULE(restart_syscall, "restarted waits"),
      SECCOMP_RULE(exit, "thread exit"),
      SECCOMP_RULE(exit_group, "exit"),
  };
  return p;
}

}  // namespace bulwark::gofer
