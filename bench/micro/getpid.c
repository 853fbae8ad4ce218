// getpid: a raw syscall(SYS_getpid) round trip (glibc does not cache it).
#include "bench.h"
#include <sys/syscall.h>
static void op(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) syscall(SYS_getpid);
}
int main(int argc, char **argv) {
  errno = 0;
  check(syscall(SYS_getpid) > 0, "getpid");
  return bench_run("getpid", argc, argv, op);
}
