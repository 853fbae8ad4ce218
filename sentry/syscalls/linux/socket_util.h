// Helpers shared by socket.cc and socket_msg.cc (unix(7) sockets), and the
// internet- and netlink-socket sides of the socket syscalls
// (socket_inet.cc, socket_netlink.cc): each socket syscall first asks
// AsInet()/AsNetlink() and hands such a socket to the Inet*/Netlink*
// function, else goes on with its unix path.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "sentry/fsimpl/socket/inet_socket.h"
#include "sentry/fsimpl/socket/netlink_socket.h"
#include "sentry/fsimpl/socket/unix_socket.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls::sock {

using fsimpl::socket::Address;
using fsimpl::socket::InetSocket;
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
// sock_set_timeout(): the SO_RCVTIMEO/SO_SNDTIMEO value at `optval`.
SysResult<timeval> TimeoutArg(Task& t, UserPtr<uint8_t> optval, int optlen);

// --- Internet sockets (socket_inet.cc) ---
// The internet socket at `fd`; null for any other file or a bad fd (the
// unix path reports those).
std::shared_ptr<InetSocket> AsInet(Task& t, int fd);
// socket(2) for AF_INET/AF_INET6; `type` without the flags.
SysResult<int> InetCreate(Task& t, int domain, int type, int protocol, int flags);
SysResult<void> InetBind(Task& t, InetSocket& s, UserPtr<uint8_t> addr, int addrlen);
SysResult<void> InetListen(Task& t, InetSocket& s, int backlog);
SysResult<int> InetAccept(Task& t, InetSocket& s, UserPtr<uint8_t> addr, UserPtr<int> addrlen,
                          int flags);
SysResult<void> InetConnect(Task& t, InetSocket& s, UserPtr<uint8_t> addr, int addrlen);
// getsockname (peer false) / getpeername (peer true).
SysResult<void> InetName(Task& t, InetSocket& s, bool peer, UserPtr<uint8_t> addr,
                         UserPtr<int> addrlen);
SysResult<void> InetSetOpt(Task& t, InetSocket& s, int level, int name, UserPtr<uint8_t> optval,
                           int optlen);
SysResult<void> InetGetOpt(Task& t, InetSocket& s, int level, int name, UserPtr<uint8_t> optval,
                           UserPtr<int> optlen);
// The blocking send loop: `raw_addr` is the destination as given (empty:
// none; ignored by TCP); `header`: the IP header values of sendmsg's
// control messages (ParseInetControl), used by UDP.
SysResult<size_t> InetSend(Task& t, InetSocket& s, const std::vector<iovec>& iov, int flags,
                           const std::vector<uint8_t>& raw_addr,
                           const InetSocket::SendHeader& header = {});
// The blocking receive loop; returns what the call returns (with MSG_TRUNC
// a datagram's full length) and the sender in `from` (empty for TCP) and
// whether the datagram was cut in `truncated`. `header`, if not null, gets
// the datagram's IP header values (have_header false for TCP).
SysResult<size_t> InetRecv(Task& t, InetSocket& s, const std::vector<iovec>& iov, int flags,
                           std::vector<uint8_t>& from, bool& truncated,
                           InetSocket::RecvResult* header = nullptr);

// --- Netlink sockets (socket_netlink.cc) ---
using fsimpl::socket::NetlinkSocket;
// The netlink socket at `fd`; null for any other file or a bad fd.
std::shared_ptr<NetlinkSocket> AsNetlink(Task& t, int fd);
// socket(2) for AF_NETLINK; `type` without the flags.
SysResult<int> NetlinkCreate(Task& t, int type, int protocol, int flags);
SysResult<void> NetlinkBind(Task& t, NetlinkSocket& s, UserPtr<uint8_t> addr, int addrlen);
SysResult<void> NetlinkConnect(Task& t, NetlinkSocket& s, UserPtr<uint8_t> addr, int addrlen);
// getsockname (peer false) / getpeername (peer true).
SysResult<void> NetlinkName(Task& t, NetlinkSocket& s, bool peer, UserPtr<uint8_t> addr,
                            UserPtr<int> addrlen);
SysResult<void> NetlinkSetOpt(Task& t, NetlinkSocket& s, int level, int name,
                              UserPtr<uint8_t> optval, int optlen);
SysResult<void> NetlinkGetOpt(Task& t, NetlinkSocket& s, int level, int name,
                              UserPtr<uint8_t> optval, UserPtr<int> optlen);
// sendmsg(2) of the iovecs to `raw_addr` (empty: the connected
// destination, by default the kernel).
SysResult<size_t> NetlinkSend(Task& t, NetlinkSocket& s, const std::vector<iovec>& iov,
                              int flags, const std::vector<uint8_t>& raw_addr);
// The blocking receive of one datagram; returns what the call returns
// (with MSG_TRUNC the datagram's full length); the rest in `r`.
SysResult<size_t> NetlinkRecv(Task& t, NetlinkSocket& s, const std::vector<iovec>& iov,
                              int flags, NetlinkSocket::RecvResult& r);
// The sender's sockaddr_nl of a received datagram.
std::vector<uint8_t> NetlinkFromAddr(const NetlinkSocket::RecvResult& r);

}  // namespace bulwark::syscalls::sock
