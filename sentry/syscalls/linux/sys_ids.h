// User and group ids, supplementary groups and capabilities (credentials(7),
// capabilities(7)).
#pragma once

#include <linux/capability.h>
#include <sys/types.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<uid_t> sys_getuid(Task& t);
SysResult<uid_t> sys_geteuid(Task& t);
SysResult<gid_t> sys_getgid(Task& t);
SysResult<gid_t> sys_getegid(Task& t);
SysResult<void> sys_getresuid(Task& t, UserPtr<uid_t> ruid, UserPtr<uid_t> euid,
                              UserPtr<uid_t> suid);
SysResult<void> sys_getresgid(Task& t, UserPtr<gid_t> rgid, UserPtr<gid_t> egid,
                              UserPtr<gid_t> sgid);
SysResult<void> sys_setuid(Task& t, uid_t uid);
SysResult<void> sys_setgid(Task& t, gid_t gid);
SysResult<void> sys_setreuid(Task& t, uid_t ruid, uid_t euid);
SysResult<void> sys_setregid(Task& t, gid_t rgid, gid_t egid);
SysResult<void> sys_setresuid(Task& t, uid_t ruid, uid_t euid, uid_t suid);
SysResult<void> sys_setresgid(Task& t, gid_t rgid, gid_t egid, gid_t sgid);
SysResult<uid_t> sys_setfsuid(Task& t, uid_t uid);
SysResult<gid_t> sys_setfsgid(Task& t, gid_t gid);
SysResult<int> sys_getgroups(Task& t, int size, UserPtr<gid_t> list);
SysResult<void> sys_setgroups(Task& t, int size, UserPtr<gid_t> list);
SysResult<void> sys_capget(Task& t, UserPtr<__user_cap_header_struct> header,
                           UserPtr<__user_cap_data_struct> data);
SysResult<void> sys_capset(Task& t, UserPtr<__user_cap_header_struct> header,
                           UserPtr<__user_cap_data_struct> data);

}  // namespace bulwark::syscalls
