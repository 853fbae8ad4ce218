// Extended attributes: setxattr(2), getxattr(2), listxattr(2),
// removexattr(2) and their l* (no symlink following) and f* forms.
#pragma once

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<void> sys_setxattr(Task& t, UserCString path, UserCString name, UserPtr<uint8_t> value,
                             size_t size, int flags);
SysResult<void> sys_lsetxattr(Task& t, UserCString path, UserCString name, UserPtr<uint8_t> value,
                              size_t size, int flags);
SysResult<void> sys_fsetxattr(Task& t, GuestFd fd, UserCString name, UserPtr<uint8_t> value,
                              size_t size, int flags);
SysResult<size_t> sys_getxattr(Task& t, UserCString path, UserCString name,
                               UserPtr<uint8_t> value, size_t size);
SysResult<size_t> sys_lgetxattr(Task& t, UserCString path, UserCString name,
                                UserPtr<uint8_t> value, size_t size);
SysResult<size_t> sys_fgetxattr(Task& t, GuestFd fd, UserCString name, UserPtr<uint8_t> value,
                                size_t size);
SysResult<size_t> sys_listxattr(Task& t, UserCString path, UserPtr<char> list, size_t size);
SysResult<size_t> sys_llistxattr(Task& t, UserCString path, UserPtr<char> list, size_t size);
SysResult<size_t> sys_flistxattr(Task& t, GuestFd fd, UserPtr<char> list, size_t size);
SysResult<void> sys_removexattr(Task& t, UserCString path, UserCString name);
SysResult<void> sys_lremovexattr(Task& t, UserCString path, UserCString name);
SysResult<void> sys_fremovexattr(Task& t, GuestFd fd, UserCString name);

}  // namespace bulwark::syscalls
