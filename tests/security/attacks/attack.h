/* Shared by the attack programs of tests/security (static, run natively
 * and inside bulwark).
 *
 * Every attack ends by printing exactly one verdict line and exiting 0:
 *   ATTACK-OK:<what worked>        the attack reached its target
 *   ATTACK-FAILED:<why>            it did not (errno names, one per try)
 * The runner compares the verdicts of the native and the sandboxed run. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reasons collected so far for ATTACK-FAILED. */
void note_failure(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints ATTACK-OK:<what> and exits 0. */
void succeed(const char* fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Prints ATTACK-FAILED:<notes> and exits 0. */
void give_up(void) __attribute__((noreturn));
/* The symbolic name of an errno value ("ENOENT"). */
const char* errname(int err);

/* One attack: argv[0] is its name. */
typedef void (*attack_fn)(int argc, char** argv);
struct attack {
  const char* name;
  const char* usage;
  attack_fn run;
};

/* Defined in fs.c, proc.c, sys.c and exhaust.c. */
extern const struct attack fs_attacks[];
extern const struct attack proc_attacks[];
extern const struct attack sys_attacks[];
extern const struct attack exhaust_attacks[];
