// Declarations of every syscall handler named in table.def: one family
// header per line.
#pragma once

#include "sentry/syscalls/linux/sys_mmap.h"
#include "sentry/syscalls/linux/sys_process.h"
#include "sentry/syscalls/linux/sys_signal.h"
