// stat: stat(2) of a file of the image.
#include "bench.h"
#include <sys/stat.h>
static const char *path = "bench/data/f4k";
static void op(uint64_t n) {
  struct stat st;
  for (uint64_t i = 0; i < n; i++)
    if (stat(path, &st) != 0) fail("stat");
}
int main(int argc, char **argv) {
  struct stat st;
  check(stat(path, &st) == 0, "stat bench/data/f4k");
  return bench_run("stat", argc, argv, op);
}
