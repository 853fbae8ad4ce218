// read_4k: pread(2) of 4 KiB at offset 0 of a (cached) file of the image.
#include "bench.h"
#include <fcntl.h>
static int fd;
static void op(uint64_t n) {
  static char buf[4096];
  for (uint64_t i = 0; i < n; i++)
    if (pread(fd, buf, sizeof buf, 0) != sizeof buf) fail("pread");
}
int main(int argc, char **argv) {
  fd = open("bench/data/f64k", O_RDONLY);
  check(fd >= 0, "open bench/data/f64k");
  char buf[4096];
  check(pread(fd, buf, sizeof buf, 0) == sizeof buf, "pread");
  return bench_run("read_4k", argc, argv, op);
}
