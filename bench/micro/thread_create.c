// thread_create: pthread_create + pthread_join of a thread that returns.
#include "bench.h"
#include <pthread.h>
static void *fn(void *arg) { return arg; }
static void op(uint64_t n) {
  for (uint64_t i = 0; i < n; i++) {
    pthread_t t;
    int e = pthread_create(&t, NULL, fn, NULL);
    if (e != 0) { errno = e; fail("pthread_create"); }
    pthread_join(t, NULL);
  }
}
int main(int argc, char **argv) {
  bench_name = "thread_create";
  pthread_t t;
  int e = pthread_create(&t, NULL, fn, NULL);
  if (e != 0) { errno = e; unsupported("pthread_create"); }
  pthread_join(t, NULL);
  return bench_run("thread_create", argc, argv, op);
}
