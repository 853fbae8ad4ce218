# timeout: 300
# gcc -O2 compiling and linking a multi-file C program (static library,
# shared library via -fPIC/-shared and rpath, pthreads, libm) with make -j2,
# then running it; a rebuild after touching one file recompiles only it.
set -e
mkdir -p /tmp/proj && cd /tmp/proj
cat > common.h <<'H'
#include <stdint.h>
uint64_t mix(uint64_t h, uint64_t v);
uint64_t stage(int i, uint64_t seed);
double norm(const double *v, int n);
int thread_sum(int nthreads, int per);
const char *greeting(void);
H
for i in $(seq 0 11); do
  cat > "stage$i.c" <<C
#include "common.h"
uint64_t stage$i(uint64_t seed) {
  uint64_t h = seed;
  for (int k = 0; k < 1000 + $i; k++) h = mix(h, (uint64_t)k * $((i + 3)));
  return h;
}
C
done
{
  echo '#include "common.h"'
  for i in $(seq 0 11); do echo "uint64_t stage$i(uint64_t);"; done
  echo 'uint64_t mix(uint64_t h, uint64_t v) { h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); return h; }'
  echo 'uint64_t stage(int i, uint64_t seed) { switch (i) {'
  for i in $(seq 0 11); do echo "  case $i: return stage$i(seed);"; done
  echo '  } return 0; }'
} > dispatch.c
cat > mathx.c <<'C'
#include <math.h>
#include "common.h"
double norm(const double *v, int n) { double s = 0; for (int i = 0; i < n; i++) s += v[i] * v[i]; return sqrt(s); }
C
cat > threads.c <<'C'
#include <pthread.h>
#include <stdatomic.h>
#include "common.h"
static atomic_int total;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int plain;
struct arg { int per; };
static void *run(void *p) {
  struct arg *a = p;
  for (int i = 0; i < a->per; i++) { atomic_fetch_add(&total, 1); pthread_mutex_lock(&mu); plain++; pthread_mutex_unlock(&mu); }
  return 0;
}
int thread_sum(int n, int per) {
  pthread_t t[16]; struct arg a = {per};
  for (int i = 0; i < n; i++) pthread_create(&t[i], 0, run, &a);
  for (int i = 0; i < n; i++) pthread_join(t[i], 0);
  return atomic_load(&total) == plain ? plain : -1;
}
C
cat > greet.c <<'C'
#include "common.h"
const char *greeting(void) { return "hello from libgreet.so"; }
C
cat > main.c <<'C'
#include <stdio.h>
#include <string.h>
#include "common.h"
int main(int argc, char **argv) {
  uint64_t h = 1;
  for (int i = 0; i < 12; i++) h = stage(i, h);
  double v[3] = {3, 4, 12};
  printf("hash %016llx\n", (unsigned long long)h);
  printf("norm %.3f\n", norm(v, 3));
  printf("threads %d\n", thread_sum(8, 20000));
  printf("%s\n", greeting());
  printf("argv %d %s\n", argc, argc > 1 ? argv[1] : "-");
  return 0;
}
C
objs=""; for i in $(seq 0 11); do objs="$objs stage$i.o"; done
cat > Makefile <<M
CC = gcc
CFLAGS = -O2 -Wall -Werror -pthread
app: main.o libstages.a libgreet.so
	\$(CC) \$(CFLAGS) -o \$@ main.o -L. -lstages -lgreet -Wl,-rpath,/tmp/proj -lm
libstages.a: $objs dispatch.o mathx.o threads.o
	ar rcs \$@ \$^
libgreet.so: greet.c common.h
	\$(CC) \$(CFLAGS) -fPIC -shared -o \$@ greet.c
%.o: %.c common.h
	\$(CC) \$(CFLAGS) -c \$<
clean:
	rm -f *.o *.a *.so app
M
make -j2 >make.log 2>&1 || { cat make.log; exit 1; }
echo "objects: $(ls *.o | wc -l)"
./app first
file_kind=$(od -An -c -N4 app | tr -d ' '); echo "elf: $file_kind"
sleep 1; touch stage7.c
make -j2 > make2.log 2>&1
echo "rebuilt: $(grep -c -- '-c ' make2.log) $(grep -o 'stage[0-9]*\.c' make2.log)"
make -q app; echo "up to date: $?"
echo 'int main(void){return 3;}' > t.c && gcc -O2 -static -o t t.c && rc=0; ./t || rc=$?; echo "static: $rc"
