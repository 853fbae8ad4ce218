// System information: uname(2), sysinfo(2), getrandom(2), sethostname(2).
#pragma once

#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_uname(Task& t, UserPtr<struct utsname> buf);
SysResult<void> sys_sysinfo(Task& t, UserPtr<struct sysinfo> info);
SysResult<size_t> sys_getrandom(Task& t, UserPtr<uint8_t> buf, size_t count, unsigned flags);
SysResult<void> sys_sethostname(Task& t, UserPtr<char> name, int len);
SysResult<void> sys_setdomainname(Task& t, UserPtr<char> name, int len);

}  // namespace bulwark::syscalls
