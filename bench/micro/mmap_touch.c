// mmap_touch: mmap 1 MiB anonymous, write one byte per 4 KiB page, munmap.
#include "bench.h"
#include <sys/mman.h>
#define SIZE (1 << 20)
static void op(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) fail("mmap");
    for (int off = 0; off < SIZE; off += 4096) p[off] = 1;
    if (munmap(p, SIZE) != 0) fail("munmap");
  }
}
int main(int argc, char **argv) {
  return bench_run("mmap_touch", argc, argv, op);
}
