/* attack NAME ARG...: one multi-call binary for every attack (see attack.h). */
#include "attack.h"

static char notes[4096];

void note_failure(const char* fmt, ...) {
  size_t used = strlen(notes);
  if (used > 0 && used < sizeof(notes) - 1) notes[used++] = ',';
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(notes + used, sizeof(notes) - used, fmt, ap);
  va_end(ap);
}

void succeed(const char* fmt, ...) {
  char what[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  printf("ATTACK-OK:%s\n", what);
  fflush(stdout);
  exit(0);
}

void give_up(void) {
  printf("ATTACK-FAILED:%s\n", notes[0] ? notes : "nothing tried");
  fflush(stdout);
  exit(0);
}

const char* errname(int err) {
  static const struct { int err; const char* name; } names[] = {
      {EPERM, "EPERM"},     {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},     {EIO, "EIO"},
      {ENXIO, "ENXIO"},     {E2BIG, "E2BIG"},     {ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"},
      {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},   {EACCES, "EACCES"},   {EFAULT, "EFAULT"},
      {EBUSY, "EBUSY"},     {EEXIST, "EEXIST"},   {EXDEV, "EXDEV"},     {ENODEV, "ENODEV"},
      {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},   {EINVAL, "EINVAL"},   {EMFILE, "EMFILE"},
      {ETXTBSY, "ETXTBSY"}, {EFBIG, "EFBIG"},     {ENOSPC, "ENOSPC"},   {EROFS, "EROFS"},
      {ELOOP, "ELOOP"},     {ENOSYS, "ENOSYS"},   {ENOTSUP, "ENOTSUP"}, {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
      {EAFNOSUPPORT, "EAFNOSUPPORT"}, {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"}, {ENAMETOOLONG, "ENAMETOOLONG"},
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (names[i].err == err) return names[i].name;
  static char buf[32];
  snprintf(buf, sizeof(buf), "errno%d", err);
  return buf;
}

static const struct attack* const lists[] = {fs_attacks, proc_attacks, sys_attacks,
                                             exhaust_attacks};
#define NLISTS (sizeof(lists) / sizeof(lists[0]))

static const struct attack* find(const char* name) {
  for (size_t i = 0; i < NLISTS; i++)
    for (const struct attack* a = lists[i]; a->name; a++)
      if (strcmp(a->name, name) == 0) return a;
  return NULL;
}

static void usage(void) {
  fprintf(stderr, "usage: attack NAME ARG...\n");
  for (size_t i = 0; i < NLISTS; i++)
    for (const struct attack* a = lists[i]; a->name; a++)
      fprintf(stderr, "  attack %s %s\n", a->name, a->usage);
}

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  const struct attack* a = find(argv[1]);
  if (!a) {
    usage();
    return 2;
  }
  a->run(argc - 1, argv + 1);
  give_up();
}
