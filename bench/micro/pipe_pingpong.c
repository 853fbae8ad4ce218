// pipe_pingpong: one byte there and back between two processes over two
// pipes; ns per round trip.
#include "bench.h"
#include <signal.h>
#include <sys/wait.h>
static int to_child[2], to_parent[2];
static void op(uint64_t n) {
  char c = 'x';
  for (uint64_t i = 0; i < n; i++) {
    if (write(to_child[1], &c, 1) != 1) fail("write");
    if (read(to_parent[0], &c, 1) != 1) fail("read");
  }
}
int main(int argc, char **argv) {
  check(pipe(to_child) == 0 && pipe(to_parent) == 0, "pipe");
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    close(to_child[1]);
    close(to_parent[0]);
    char c;
    while (read(to_child[0], &c, 1) == 1)
      if (write(to_parent[1], &c, 1) != 1) break;
    _exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  bench_run("pipe_pingpong", argc, argv, op);
  close(to_child[1]);
  waitpid(pid, NULL, 0);
  return 0;
}
