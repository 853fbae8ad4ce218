// tcp_throughput: 1 GiB through one loopback TCP connection between two
// processes (256 KiB writes, the reader acknowledges the last byte with one
// byte back); ms per GiB. Not a calibrated micro-benchmark: PROG [IGNORED
// [REPS]] prints one "RESULT tcp_throughput <ms> 1" line per repetition.
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define GIB (1ull << 30)
#define CHUNK (256 * 1024)

static char buf[CHUNK];

static void reader(int fd, int reps) {
  for (int r = 0; r < reps; r++) {
    uint64_t got = 0;
    while (got < GIB) {
      ssize_t n = read(fd, buf, CHUNK);
      if (n <= 0) fail("child read");
      got += (uint64_t)n;
    }
    if (write(fd, "k", 1) != 1) fail("child ack");
  }
  _exit(0);
}

int main(int argc, char **argv) {
  bench_name = "tcp_throughput";
  int reps = argc > 2 ? atoi(argv[2]) : 5;
  if (reps <= 0) reps = 5;
  int l = socket(AF_INET, SOCK_STREAM, 0);
  check(l >= 0, "socket");
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  check(bind(l, (struct sockaddr *)&a, sizeof(a)) == 0, "bind");
  check(listen(l, 1) == 0, "listen");
  check(getsockname(l, (struct sockaddr *)&a, &len) == 0, "getsockname");
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    close(l);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) != 0) fail("connect");
    reader(c, reps);
  }
  int s = accept(l, NULL, NULL);
  check(s >= 0, "accept");
  memset(buf, 'x', sizeof(buf));
  for (int r = 0; r < reps; r++) {
    uint64_t t0 = now_ns(), sent = 0;
    while (sent < GIB) {
      ssize_t n = write(s, buf, CHUNK);
      if (n <= 0) fail("write");
      sent += (uint64_t)n;
    }
    char k;
    if (read(s, &k, 1) != 1) fail("read ack");
    printf("RESULT tcp_throughput %.1f 1\n", (double)(now_ns() - t0) / 1e6);
    fflush(stdout);
  }
  close(s);
  waitpid(pid, NULL, 0);
  return 0;
}
