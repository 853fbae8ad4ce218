// clock_gettime: clock_gettime(CLOCK_MONOTONIC) through libc (vDSO when the
// kernel provides one).
#include "bench.h"
static void op(uint64_t n) {
  struct timespec ts;
  for (uint64_t i = 0; i < n; i++) clock_gettime(CLOCK_MONOTONIC, &ts);
}
int main(int argc, char **argv) {
  return bench_run("clock_gettime", argc, argv, op);
}
