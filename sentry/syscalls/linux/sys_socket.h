// Socket syscalls (unix(7) sockets only; socket.cc, socket_msg.cc).
#pragma once

#include <sys/socket.h>
#include <time.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_socket(Task& t, int domain, int type, int protocol);
SysResult<void> sys_socketpair(Task& t, int domain, int type, int protocol, UserPtr<int> sv);
SysResult<void> sys_bind(Task& t, GuestFd fd, UserPtr<uint8_t> addr, int addrlen);
SysResult<void> sys_listen(Task& t, GuestFd fd, int backlog);
SysResult<int> sys_accept(Task& t, GuestFd fd, UserPtr<uint8_t> addr, UserPtr<int> addrlen);
SysResult<int> sys_accept4(Task& t, GuestFd fd, UserPtr<uint8_t> addr, UserPtr<int> addrlen,
                           int flags);
SysResult<void> sys_connect(Task& t, GuestFd fd, UserPtr<uint8_t> addr, int addrlen);
SysResult<void> sys_getsockname(Task& t, GuestFd fd, UserPtr<uint8_t> addr,
                                UserPtr<int> addrlen);
SysResult<void> sys_getpeername(Task& t, GuestFd fd, UserPtr<uint8_t> addr,
                                UserPtr<int> addrlen);
SysResult<void> sys_shutdown(Task& t, GuestFd fd, int how);
SysResult<void> sys_setsockopt(Task& t, GuestFd fd, int level, int optname,
                               UserPtr<uint8_t> optval, int optlen);
SysResult<void> sys_getsockopt(Task& t, GuestFd fd, int level, int optname,
                               UserPtr<uint8_t> optval, UserPtr<int> optlen);

SysResult<size_t> sys_sendto(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t len, int flags,
                             UserPtr<uint8_t> addr, int addrlen);
SysResult<size_t> sys_recvfrom(Task& t, GuestFd fd, UserPtr<uint8_t> buf, size_t len, int flags,
                               UserPtr<uint8_t> addr, UserPtr<int> addrlen);
SysResult<size_t> sys_sendmsg(Task& t, GuestFd fd, UserPtr<msghdr> msg, int flags);
SysResult<size_t> sys_recvmsg(Task& t, GuestFd fd, UserPtr<msghdr> msg, int flags);
SysResult<int> sys_sendmmsg(Task& t, GuestFd fd, UserPtr<mmsghdr> vec, unsigned vlen,
                            int flags);
SysResult<int> sys_recvmmsg(Task& t, GuestFd fd, UserPtr<mmsghdr> vec, unsigned vlen, int flags,
                            UserPtr<timespec> timeout);

}  // namespace bulwark::syscalls
