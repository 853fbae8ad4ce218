// read_zero: read(2) of 1 byte from /dev/zero.
#include "bench.h"
#include <fcntl.h>
static int fd;
static void op(uint64_t n) {
  char c;
  for (uint64_t i = 0; i < n; i++)
    if (read(fd, &c, 1) != 1) fail("read /dev/zero");
}
int main(int argc, char **argv) {
  fd = open("/dev/zero", O_RDONLY);
  check(fd >= 0, "open /dev/zero");
  return bench_run("read_zero", argc, argv, op);
}
