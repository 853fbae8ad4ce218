// fork_exit_wait: fork(2), the child _exit(0)s, the parent waits for it.
#include "bench.h"
#include <sys/wait.h>
static void op(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) _exit(0);
    int st;
    if (waitpid(pid, &st, 0) != pid) fail("waitpid");
  }
}
int main(int argc, char **argv) {
  return bench_run("fork_exit_wait", argc, argv, op);
}
