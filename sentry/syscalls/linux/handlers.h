// Declarations of every syscall handler named in table.def: one family
// header per line.
#pragma once

#include "sentry/syscalls/linux/sys_attr.h"
#include "sentry/syscalls/linux/sys_dir.h"
#include "sentry/syscalls/linux/sys_fcntl.h"
#include "sentry/syscalls/linux/sys_ids.h"
#include "sentry/syscalls/linux/sys_info.h"
#include "sentry/syscalls/linux/sys_ioctl.h"
#include "sentry/syscalls/linux/sys_link.h"
#include "sentry/syscalls/linux/sys_mmap.h"
#include "sentry/syscalls/linux/sys_open.h"
#include "sentry/syscalls/linux/sys_pipe.h"
#include "sentry/syscalls/linux/sys_poll.h"
#include "sentry/syscalls/linux/sys_prctl.h"
#include "sentry/syscalls/linux/sys_process.h"
#include "sentry/syscalls/linux/sys_read_write.h"
#include "sentry/syscalls/linux/sys_rlimit.h"
#include "sentry/syscalls/linux/sys_sched.h"
#include "sentry/syscalls/linux/sys_signal.h"
#include "sentry/syscalls/linux/sys_stat.h"
#include "sentry/syscalls/linux/sys_thread_state.h"
#include "sentry/syscalls/linux/sys_time.h"
