// Shared harness for the micro-benchmarks in bench/micro.
//
// Each program measures one operation. Usage: PROG [TARGET_MS [REPS]].
// After one warm-up operation it calibrates an iteration count N so that
// one batch takes about TARGET_MS (default 40), then runs REPS (default 5)
// batches of N, printing one line per batch:
//     RESULT <name> <ns per op> <iterations>
// If the operation is not available it prints
//     UNSUPPORTED <name> <what failed>: <strerror> (errno N)
// and exits 2; any other failure prints FAIL ... and exits 1.
// Relative paths (bench/data/...) are resolved against the cwd, which is
// "/" in a container and the rootfs directory natively.
#pragma once
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *bench_name = "?";

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((noreturn)) static void unsupported(const char *what) {
  int e = errno;
  printf("UNSUPPORTED %s %s: %s (errno %d)\n", bench_name, what, strerror(e), e);
  fflush(stdout);
  _exit(2);
}

__attribute__((noreturn)) static void fail(const char *what) {
  int e = errno;
  printf("FAIL %s %s: %s (errno %d)\n", bench_name, what, strerror(e), e);
  fflush(stdout);
  _exit(1);
}

// ENOSYS means "unsupported"; any other error is a failure.
static inline void check(int ok, const char *what) {
  if (ok) return;
  if (errno == ENOSYS) unsupported(what);
  fail(what);
}

// op(n) runs the operation n times.
static inline int bench_run(const char *name, int argc, char **argv, void (*op)(uint64_t)) {
  bench_name = name;
  double target_ms = argc > 1 ? atof(argv[1]) : 40;
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (target_ms <= 0) target_ms = 40;
  if (reps <= 0) reps = 5;
  uint64_t target = (uint64_t)(target_ms * 1e6);
  op(1);  // warm-up: first-touch faults, a helper process starting, ...
  // Calibrate: double n until a batch takes at least a quarter of the target.
  uint64_t n = 1, t = 0;
  for (;;) {
    uint64_t t0 = now_ns();
    op(n);
    t = now_ns() - t0;
    if (t >= target / 4 || n >= (1ull << 32)) break;
    n *= 2;
  }
  if (t > 0) {
    double scaled = (double)n * (double)target / (double)t;
    n = scaled < 1 ? 1 : (uint64_t)scaled;
  }
  for (int r = 0; r < reps; r++) {
    uint64_t t0 = now_ns();
    op(n);
    uint64_t dt = now_ns() - t0;
    printf("RESULT %s %.1f %llu\n", name, (double)dt / (double)n, (unsigned long long)n);
    fflush(stdout);
  }
  return 0;
}
