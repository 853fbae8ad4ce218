// Helpers shared by socket.cc and socket_msg.cc (unix(7) sockets).
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "sentry/fsimpl/socket/unix_socket.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls::sock {

using fsimpl::socket::Address;
using fsimpl::socket::UnixSocket;

// sizeof(struct sockaddr_storage): the most an address argument may be.
inline constexpr int kMaxAddrLen = 128;

// The socket at `fd`: EBADF, ENOTSOCK for another file.
SysResult<std::shared_ptr<UnixSocket>> GetSocket(Task& t, int fd);

// move_addr_to_kernel(): EINVAL unless 0 <= len <= kMaxAddrLen; EFAULT.
SysResult<std::vector<uint8_t>> CopyInAddr(Task& t, UserPtr<uint8_t> addr, int len);
// unix_validate_addr() and unix_mkname_bsd(): EINVAL unless
// sizeof(sa_family_t) < len <= sizeof(sockaddr_un) and sun_family is
// AF_UNIX. A path name is cut at its first NUL.
SysResult<Address> ParseUnixAddr(const std::vector<uint8_t>& raw);
// The socket a connect or sendto to `name` reaches (unix_find_other()):
// resolution errors, EACCES without write permission on the socket inode,
// ECONNREFUSED if nothing is bound there, EPROTOTYPE for another type.
SysResult<std::shared_ptr<UnixSocket>> FindPeer(Task& t, const Address& name, int type);
// move_addr_to_user() of AF_UNIX + `name`: copies min(*ulen, length) bytes
// and stores the full length in *ulen; EINVAL if *ulen < 0. Nothing when
// `uaddr` is null.
SysResult<void> CopyOutAddr(Task& t, const Address& name, UserPtr<uint8_t> uaddr,
                            UserPtr<int> ulen);
// The same with an unknown name length of 0 (an unnamed datagram sender
// reported through recvfrom/recvmsg).
SysResult<void> CopyOutRawAddr(Task& t, const uint8_t* data, int len, UserPtr<uint8_t> uaddr,
                               UserPtr<int> ulen);

// Absolute CLOCK_MONOTONIC deadline of a SO_RCVTIMEO/SO_SNDTIMEO value;
// nullopt for none (zero).
std::optional<timespec> DeadlineOf(const timeval& tv);
// Waits for `mask` on `queues` until `deadline`. EAGAIN at the deadline;
// a signal gives ERESTARTSYS without a timeout and EINTR with one
// (sock_intr_errno()). Precondition: the caller found it must wait, with
// the kernel lock held since.
SysResult<void> Wait(Task& t, std::initializer_list<kernel::WaitQueue*> queues, uint32_t mask,
                     const std::optional<timespec>& deadline);

}  // namespace bulwark::syscalls::sock
