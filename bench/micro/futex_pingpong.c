// futex_pingpong: two processes sharing an anonymous MAP_SHARED word take
// turns with FUTEX_WAIT/FUTEX_WAKE; ns per round trip.
#include "bench.h"
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
static _Atomic uint32_t *word;  // 0: parent's turn... 1: child's turn, 2: stop
static long futex(_Atomic uint32_t *addr, int op, uint32_t val) {
  return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}
static void wait_for(uint32_t want) {
  uint32_t v;
  while ((v = atomic_load(word)) != want && v != 2)
    if (futex(word, FUTEX_WAIT, v) != 0 && errno != EAGAIN && errno != EINTR) fail("FUTEX_WAIT");
}
static void op(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    atomic_store(word, 1);
    if (futex(word, FUTEX_WAKE, 1) < 0) fail("FUTEX_WAKE");
    wait_for(0);
  }
}
int main(int argc, char **argv) {
  bench_name = "futex_pingpong";
  word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  check(word != MAP_FAILED, "mmap MAP_SHARED");
  atomic_store(word, 0);
  check(futex(word, FUTEX_WAKE, 1) >= 0, "futex FUTEX_WAKE");
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    for (;;) {
      wait_for(1);
      if (atomic_load(word) == 2) _exit(0);
      atomic_store(word, 0);
      if (futex(word, FUTEX_WAKE, 1) < 0) _exit(1);
    }
  }
  bench_run("futex_pingpong", argc, argv, op);
  atomic_store(word, 2);
  futex(word, FUTEX_WAKE, 1);
  waitpid(pid, NULL, 0);
  return 0;
}
