// exec: execve(2) of a static binary (this one). The program re-executes
// itself N times with a countdown; the last one prints the time per execve.
// Usage: exec [TARGET_MS [REPS]]; argv[0] must be a path to this binary.
// Internal: exec --chain LEFT N T0 REP REPS TARGET_MS
#include "bench.h"
#include <inttypes.h>
static void chain(char *self, uint64_t left, uint64_t n, uint64_t t0, int rep, int reps,
                  const char *target) {
  char a[5][32];
  snprintf(a[0], 32, "%" PRIu64, left);
  snprintf(a[1], 32, "%" PRIu64, n);
  snprintf(a[2], 32, "%" PRIu64, t0);
  snprintf(a[3], 32, "%d", rep);
  snprintf(a[4], 32, "%d", reps);
  char *args[] = {self, "--chain", a[0], a[1], a[2], a[3], a[4], (char *)target, NULL};
  char *envp[] = {NULL};
  execve(self, args, envp);
  check(0, "execve");
}
int main(int argc, char **argv) {
  bench_name = "exec";
  if (argc == 8 && strcmp(argv[1], "--chain") == 0) {
    uint64_t left = strtoull(argv[2], 0, 10), n = strtoull(argv[3], 0, 10);
    uint64_t t0 = strtoull(argv[4], 0, 10);
    int rep = atoi(argv[5]), reps = atoi(argv[6]);
    if (left > 0) chain(argv[0], left - 1, n, t0, rep, reps, argv[7]);
    uint64_t dt = now_ns() - t0;
    if (rep < 0) {
      // Calibration pass: pick n for the target and start the real reps.
      double target = atof(argv[7]) * 1e6;
      uint64_t m = (uint64_t)(target / ((double)dt / (double)n));
      if (m < 2) m = 2;
      chain(argv[0], m - 1, m, now_ns(), 0, reps, argv[7]);
    }
    printf("RESULT exec %.1f %" PRIu64 "\n", (double)dt / (double)n, n);
    fflush(stdout);
    if (rep + 1 < reps) chain(argv[0], n - 1, n, now_ns(), rep + 1, reps, argv[7]);
    return 0;
  }
  const char *target = argc > 1 ? argv[1] : "40";
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  // Calibration: 20 execs, then scale.
  chain(argv[0], 19, 20, now_ns(), -1, reps > 0 ? reps : 5, target);
  return 1;
}
