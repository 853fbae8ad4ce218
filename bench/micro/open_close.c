// open_close: open(2)+close(2) of a file of the image.
#include "bench.h"
#include <fcntl.h>
static const char *path = "bench/data/f4k";
static void op(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) fail("open");
    close(fd);
  }
}
int main(int argc, char **argv) {
  int fd = open(path, O_RDONLY);
  check(fd >= 0, "open bench/data/f4k");
  close(fd);
  return bench_run("open_close", argc, argv, op);
}
