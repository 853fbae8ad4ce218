// AF_UNIX sockets: socket(2), socketpair(2), bind(2), listen(2), accept4(2),
// connect(2), sendmsg(2)/recvmsg(2) with SCM_RIGHTS, shutdown(2), options.
// syscalls: socket socketpair bind listen accept accept4 connect sendto recvfrom sendmsg recvmsg shutdown getsockname getpeername setsockopt getsockopt
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include <vector>

#include "util/test_util.h"

namespace conformance {
namespace {

struct Pair {
  FileDescriptor a, b;
};

Pair SocketPair(int type) {
  int fds[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) != 0) return {};
  return {FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

sockaddr_un Addr(const std::string& path) {
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  return a;
}

TEST(UnixSocket, StreamPairRoundTrip) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid()) << strerror(errno);
  ASSERT_THAT(write(p.a.get(), "ping", 4), SyscallSucceedsWithValue(4));
  char buf[8];
  ASSERT_THAT(read(p.b.get(), buf, sizeof buf), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "ping");
}

TEST(UnixSocket, DgramPreservesBoundaries) {
  Pair p = SocketPair(SOCK_DGRAM);
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(send(p.a.get(), "one", 3, 0), SyscallSucceedsWithValue(3));
  ASSERT_THAT(send(p.a.get(), "three", 5, 0), SyscallSucceedsWithValue(5));
  char buf[16];
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(3));
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(5));
}

TEST(UnixSocket, SeqpacketTruncatesWithMsgTrunc) {
  Pair p = SocketPair(SOCK_SEQPACKET);
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(send(p.a.get(), "abcdef", 6, 0), SyscallSucceedsWithValue(6));
  char buf[3];
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, MSG_TRUNC), SyscallSucceedsWithValue(6));
}

TEST(UnixSocket, PeerCloseGivesEOF) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  p.a.reset();
  char c;
  EXPECT_THAT(read(p.b.get(), &c, 1), SyscallSucceedsWithValue(0));
}

TEST(UnixSocket, WriteAfterPeerCloseIsEPIPE) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  p.b.reset();
  EXPECT_THAT(send(p.a.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE));
}

TEST(UnixSocket, ShutdownWriteGivesPeerEOF) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(shutdown(p.a.get(), SHUT_WR), SyscallSucceeds());
  char c;
  EXPECT_THAT(read(p.b.get(), &c, 1), SyscallSucceedsWithValue(0));
  EXPECT_THAT(write(p.b.get(), "y", 1), SyscallSucceedsWithValue(1));
  EXPECT_THAT(read(p.a.get(), &c, 1), SyscallSucceedsWithValue(1));
}

TEST(UnixSocket, BindListenConnectAccept) {
  TempDir dir;
  std::string path = dir.Join("sock");
  FileDescriptor srv(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(srv.valid()) << strerror(errno);
  sockaddr_un a = Addr(path);
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 4), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(stat(path.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  FileDescriptor cli(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  FileDescriptor conn(accept4(srv.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(conn.valid());
  ASSERT_THAT(write(cli.get(), "hi", 2), SyscallSucceedsWithValue(2));
  char buf[2];
  EXPECT_THAT(read(conn.get(), buf, 2), SyscallSucceedsWithValue(2));
}

TEST(UnixSocket, BindExistingPathIsEADDRINUSE) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("sock"), ""));
  FileDescriptor s(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_TRUE(s.valid());
  sockaddr_un a = Addr(dir.Join("sock"));
  EXPECT_THAT(bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallFailsWithErrno(EADDRINUSE));
}

TEST(UnixSocket, ConnectToMissingIsENOENT) {
  TempDir dir;
  FileDescriptor s(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_TRUE(s.valid());
  sockaddr_un a = Addr(dir.Join("nope"));
  EXPECT_THAT(connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallFailsWithErrno(ENOENT));
}

TEST(UnixSocket, ConnectToNonListeningIsECONNREFUSED) {
  TempDir dir;
  FileDescriptor srv(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_TRUE(srv.valid());
  sockaddr_un a = Addr(dir.Join("s"));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  FileDescriptor cli(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&a), sizeof a),
              SyscallFailsWithErrno(ECONNREFUSED));
}

TEST(UnixSocket, AbstractAddress) {
  FileDescriptor srv(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_TRUE(srv.valid());
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  std::string name = "conformance-" + std::to_string(getpid());
  memcpy(a.sun_path + 1, name.data(), name.size());
  socklen_t len = offsetof(sockaddr_un, sun_path) + 1 + name.size();
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&a), len), SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  FileDescriptor cli(socket(AF_UNIX, SOCK_STREAM, 0));
  EXPECT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&a), len), SyscallSucceeds());
}

TEST(UnixSocket, GetsocknameAndPeername) {
  TempDir dir;
  std::string path = dir.Join("s");
  FileDescriptor srv(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_TRUE(srv.valid());
  sockaddr_un a = Addr(path);
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  FileDescriptor cli(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  sockaddr_un got = {};
  socklen_t len = sizeof got;
  ASSERT_THAT(getsockname(srv.get(), reinterpret_cast<sockaddr*>(&got), &len), SyscallSucceeds());
  EXPECT_STREQ(got.sun_path, path.c_str());
  len = sizeof got;
  ASSERT_THAT(getpeername(cli.get(), reinterpret_cast<sockaddr*>(&got), &len), SyscallSucceeds());
  EXPECT_STREQ(got.sun_path, path.c_str());
}

TEST(UnixSocket, ScmRightsPassesFd) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), "passed"));
  FileDescriptor f(open(dir.Join("f").c_str(), O_RDONLY));
  char data = 'x';
  struct iovec iov = {&data, 1};
  char cbuf[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = f.get();
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  ASSERT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallSucceedsWithValue(1));
  char rbuf[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr rmsg = {};
  rmsg.msg_iov = &iov;
  rmsg.msg_iovlen = 1;
  rmsg.msg_control = rbuf;
  rmsg.msg_controllen = sizeof rbuf;
  ASSERT_THAT(recvmsg(p.b.get(), &rmsg, 0), SyscallSucceedsWithValue(1));
  struct cmsghdr* rc = CMSG_FIRSTHDR(&rmsg);
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ(rc->cmsg_type, SCM_RIGHTS);
  int got;
  memcpy(&got, CMSG_DATA(rc), sizeof got);
  FileDescriptor g(got);
  EXPECT_NE(got, fd);
  EXPECT_EQ(ReadAll(got), "passed");
}

TEST(UnixSocket, PeercredReportsPeer) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  struct ucred cred = {};
  socklen_t len = sizeof cred;
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len), SyscallSucceeds());
  EXPECT_EQ(cred.pid, getpid());
  EXPECT_EQ(cred.uid, getuid());
}

TEST(UnixSocket, SocketTypeOption) {
  Pair p = SocketPair(SOCK_DGRAM);
  ASSERT_TRUE(p.a.valid());
  int type = 0;
  socklen_t len = sizeof type;
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_TYPE, &type, &len), SyscallSucceeds());
  EXPECT_EQ(type, SOCK_DGRAM);
}

TEST(UnixSocket, NonblockingEmptyRecvIsEAGAIN) {
  int fds[2];
  ASSERT_THAT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), SyscallSucceeds());
  FileDescriptor a(fds[0]), b(fds[1]);
  char c;
  EXPECT_THAT(recv(a.get(), &c, 1, 0), SyscallFailsWithErrno(EAGAIN));
}

TEST(UnixSocket, PollReportsReadable) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  struct pollfd pfd = {p.b.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(0));
  write(p.a.get(), "x", 1);
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
}

TEST(UnixSocket, InvalidDomainIsEAFNOSUPPORT) {
  EXPECT_THAT(socket(12345, SOCK_STREAM, 0), SyscallFailsWithErrno(EAFNOSUPPORT));
}

TEST(UnixSocket, RecvOnUnconnectedIsEINVAL) {
  FileDescriptor s(socket(AF_UNIX, SOCK_STREAM, 0));
  ASSERT_TRUE(s.valid());
  char c;
  EXPECT_THAT(recv(s.get(), &c, 1, 0), SyscallFailsWithErrno(EINVAL));
}

// Sends `fd` (and one data byte) over `sock` with SCM_RIGHTS.
ssize_t SendFd(int sock, int fd) {
  char data = 'f';
  struct iovec iov = {&data, 1};
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(sock, &msg, 0);
}

// Receives one fd sent by SendFd; -1 if none arrived.
int RecvFd(int sock, int flags = 0, int* msg_flags = nullptr) {
  char data;
  struct iovec iov = {&data, 1};
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  if (recvmsg(sock, &msg, flags) != 1) return -1;
  if (msg_flags) *msg_flags = msg.msg_flags;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST(UnixSocket, ScmRightsAcrossFork) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  TempDir dir;
  std::string file = dir.Join("from-child");
  pid_t pid = fork();
  if (pid == 0) {
    // The child opens a file the parent never had and passes it over.
    CHILD_CHECK(WriteFile(file, "child data"));
    int fd = open(file.c_str(), O_RDONLY);
    CHILD_CHECK(fd >= 0);
    CHILD_CHECK(SendFd(p.b.get(), fd) == 1);
    close(fd);
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  int got = RecvFd(p.a.get());
  ASSERT_GE(got, 0);
  FileDescriptor g(got);
  EXPECT_EQ(ReadAll(got), "child data");
  EXPECT_EQ(WaitStatus(pid), 0);
}

TEST(UnixSocket, ScmRightsPassesASocket) {
  Pair carrier = SocketPair(SOCK_DGRAM);
  Pair inner = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(carrier.a.valid() && inner.a.valid());
  ASSERT_THAT(SendFd(carrier.a.get(), inner.b.get()), SyscallSucceedsWithValue(1));
  inner.b.reset();  // the only reference left is in flight
  int got = RecvFd(carrier.b.get());
  ASSERT_GE(got, 0);
  FileDescriptor g(got);
  ASSERT_THAT(write(inner.a.get(), "over", 4), SyscallSucceedsWithValue(4));
  char buf[8];
  EXPECT_THAT(read(got, buf, sizeof buf), SyscallSucceedsWithValue(4));
}

TEST(UnixSocket, ScmRightsWithoutRoomSetsCtrunc) {
  Pair p = SocketPair(SOCK_DGRAM);
  ASSERT_TRUE(p.a.valid());
  FileDescriptor f(open("/", O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(SendFd(p.a.get(), f.get()), SyscallSucceedsWithValue(1));
  char data;
  struct iovec iov = {&data, 1};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ASSERT_THAT(recvmsg(p.b.get(), &msg, 0), SyscallSucceedsWithValue(1));
  EXPECT_TRUE(msg.msg_flags & MSG_CTRUNC);
}

TEST(UnixSocket, ScmRightsCmsgCloexec) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  FileDescriptor f(open("/", O_RDONLY | O_DIRECTORY));
  ASSERT_THAT(SendFd(p.a.get(), f.get()), SyscallSucceedsWithValue(1));
  int got = RecvFd(p.b.get(), MSG_CMSG_CLOEXEC);
  ASSERT_GE(got, 0);
  FileDescriptor g(got);
  EXPECT_THAT(fcntl(got, F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
}

TEST(UnixSocket, ScmRightsBadFdIsEBADF) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  EXPECT_THAT(SendFd(p.a.get(), 9999), SyscallFailsWithErrno(EBADF));
}

// ____sys_sendmsg(): the control buffer comes from sock_kmalloc(), bounded
// by net.core.optmem_max (131072 unless raised), so a larger
// msg_controllen is ENOBUFS before anything is read; a short one is still
// copied in (EFAULT from a bad pointer) and then ignored.
TEST(UnixSocket, SendmsgControlLengthLimits) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  char data = 'x';
  struct iovec iov = {&data, 1};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> big(1 << 20);
  msg.msg_control = big.data();
  msg.msg_controllen = big.size();
  EXPECT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallFailsWithErrno(ENOBUFS));
  msg.msg_controllen = size_t{1} << 40;
  EXPECT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallFailsWithErrno(ENOBUFS));
  msg.msg_control = reinterpret_cast<void*>(8);
  msg.msg_controllen = 4;
  EXPECT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallFailsWithErrno(EFAULT));
  char small[4] = {};
  msg.msg_control = small;
  EXPECT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallSucceedsWithValue(1));
}

TEST(UnixSocket, SendAndRecvOnANonSocket) {
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  FileDescriptor r(p[0]), w(p[1]);
  char c = 'x';
  EXPECT_THAT(send(w.get(), &c, 1, 0), SyscallFailsWithErrno(ENOTSOCK));
  EXPECT_THAT(recv(r.get(), &c, 1, MSG_DONTWAIT), SyscallFailsWithErrno(ENOTSOCK));
  EXPECT_THAT(send(9999, &c, 1, 0), SyscallFailsWithErrno(EBADF));
}

TEST(UnixSocket, ScmCredentialsWithPasscred) {
  Pair p = SocketPair(SOCK_DGRAM);
  ASSERT_TRUE(p.a.valid());
  int one = 1;
  ASSERT_THAT(setsockopt(p.b.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one), SyscallSucceeds());
  ASSERT_THAT(send(p.a.get(), "c", 1, 0), SyscallSucceedsWithValue(1));
  char data;
  struct iovec iov = {&data, 1};
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(struct ucred))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ASSERT_THAT(recvmsg(p.b.get(), &msg, 0), SyscallSucceedsWithValue(1));
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->cmsg_type, SCM_CREDENTIALS);
  struct ucred cred;
  memcpy(&cred, CMSG_DATA(c), sizeof cred);
  EXPECT_EQ(cred.pid, getpid());
  EXPECT_EQ(cred.uid, getuid());
  EXPECT_EQ(cred.gid, getgid());
}

TEST(UnixSocket, ScmCredentialsExplicitOwn) {
  Pair p = SocketPair(SOCK_DGRAM);
  ASSERT_TRUE(p.a.valid());
  char data = 'c';
  struct iovec iov = {&data, 1};
  alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(struct ucred))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred cred = {getpid(), getuid(), getgid()};
  memcpy(CMSG_DATA(c), &cred, sizeof cred);
  EXPECT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallSucceedsWithValue(1));
  // A wrong length is EINVAL.
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred) - 4);
  EXPECT_THAT(sendmsg(p.a.get(), &msg, 0), SyscallFailsWithErrno(EINVAL));
}

TEST(UnixSocket, DgramRecvmsgReportsTruncation) {
  Pair p = SocketPair(SOCK_DGRAM);
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(send(p.a.get(), "abcdef", 6, 0), SyscallSucceedsWithValue(6));
  ASSERT_THAT(send(p.a.get(), "gh", 2, 0), SyscallSucceedsWithValue(2));
  char buf[4];
  struct iovec iov = {buf, sizeof buf};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ASSERT_THAT(recvmsg(p.b.get(), &msg, 0), SyscallSucceedsWithValue(4));
  EXPECT_TRUE(msg.msg_flags & MSG_TRUNC);
  // The rest of the first datagram is gone; the second is whole.
  msg.msg_flags = 0;
  ASSERT_THAT(recvmsg(p.b.get(), &msg, 0), SyscallSucceedsWithValue(2));
  EXPECT_FALSE(msg.msg_flags & MSG_TRUNC);
  EXPECT_EQ(std::string(buf, 2), "gh");
}

TEST(UnixSocket, SeqpacketKeepsBoundariesAndPeeks) {
  Pair p = SocketPair(SOCK_SEQPACKET);
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(send(p.a.get(), "first", 5, 0), SyscallSucceedsWithValue(5));
  ASSERT_THAT(send(p.a.get(), "second", 6, 0), SyscallSucceedsWithValue(6));
  char buf[16];
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, MSG_PEEK), SyscallSucceedsWithValue(5));
  EXPECT_THAT(recv(p.b.get(), buf, 2, 0), SyscallSucceedsWithValue(2));
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::string(buf, 6), "second");
  p.a.reset();
  EXPECT_THAT(recv(p.b.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(0));
}

TEST(UnixSocket, DgramSendtoAndRecvfromNames) {
  TempDir dir;
  FileDescriptor a(socket(AF_UNIX, SOCK_DGRAM, 0)), b(socket(AF_UNIX, SOCK_DGRAM, 0));
  ASSERT_TRUE(a.valid() && b.valid());
  sockaddr_un aa = Addr(dir.Join("a")), ba = Addr(dir.Join("b"));
  ASSERT_THAT(bind(a.get(), reinterpret_cast<sockaddr*>(&aa), sizeof aa), SyscallSucceeds());
  ASSERT_THAT(bind(b.get(), reinterpret_cast<sockaddr*>(&ba), sizeof ba), SyscallSucceeds());
  ASSERT_THAT(sendto(a.get(), "to-b", 4, 0, reinterpret_cast<sockaddr*>(&ba), sizeof ba),
              SyscallSucceedsWithValue(4));
  char buf[8];
  sockaddr_un from = {};
  socklen_t len = sizeof from;
  ASSERT_THAT(recvfrom(b.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len),
              SyscallSucceedsWithValue(4));
  EXPECT_EQ(len, offsetof(sockaddr_un, sun_path) + dir.Join("a").size() + 1);
  EXPECT_STREQ(from.sun_path, dir.Join("a").c_str());
  // An unnamed sender has an empty address.
  FileDescriptor c(socket(AF_UNIX, SOCK_DGRAM, 0));
  ASSERT_THAT(sendto(c.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&ba), sizeof ba),
              SyscallSucceedsWithValue(1));
  len = sizeof from;
  ASSERT_THAT(recvfrom(b.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len),
              SyscallSucceedsWithValue(1));
  EXPECT_EQ(len, 0u);
}

TEST(UnixSocket, ConnectToOtherTypeIsEPROTOTYPE) {
  TempDir dir;
  FileDescriptor srv(socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un a = Addr(dir.Join("s"));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  FileDescriptor d(socket(AF_UNIX, SOCK_DGRAM, 0));
  EXPECT_THAT(connect(d.get(), reinterpret_cast<sockaddr*>(&a), sizeof a),
              SyscallFailsWithErrno(EPROTOTYPE));
}

TEST(UnixSocket, ConnectToRegularFileIsECONNREFUSED) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor s(socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un a = Addr(dir.Join("f"));
  EXPECT_THAT(connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a),
              SyscallFailsWithErrno(ECONNREFUSED));
}

TEST(UnixSocket, AbstractNamesAreNotFilesAndCollide) {
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  std::string name = "conformance-collide-" + std::to_string(getpid());
  memcpy(a.sun_path + 1, name.data(), name.size());
  socklen_t len = offsetof(sockaddr_un, sun_path) + 1 + name.size();
  FileDescriptor s1(socket(AF_UNIX, SOCK_DGRAM, 0)), s2(socket(AF_UNIX, SOCK_DGRAM, 0));
  ASSERT_THAT(bind(s1.get(), reinterpret_cast<sockaddr*>(&a), len), SyscallSucceeds());
  EXPECT_THAT(bind(s2.get(), reinterpret_cast<sockaddr*>(&a), len),
              SyscallFailsWithErrno(EADDRINUSE));
  sockaddr_un got = {};
  socklen_t glen = sizeof got;
  ASSERT_THAT(getsockname(s1.get(), reinterpret_cast<sockaddr*>(&got), &glen), SyscallSucceeds());
  EXPECT_EQ(glen, len);
  EXPECT_EQ(memcmp(&got, &a, len), 0);
  // Closing the socket frees the name.
  s1.reset();
  EXPECT_THAT(bind(s2.get(), reinterpret_cast<sockaddr*>(&a), len), SyscallSucceeds());
}

TEST(UnixSocket, AutobindAndUnnamedLengths) {
  FileDescriptor s(socket(AF_UNIX, SOCK_DGRAM, 0));
  sockaddr_un got = {};
  socklen_t len = sizeof got;
  ASSERT_THAT(getsockname(s.get(), reinterpret_cast<sockaddr*>(&got), &len), SyscallSucceeds());
  EXPECT_EQ(len, sizeof(sa_family_t));
  sa_family_t fam = AF_UNIX;
  ASSERT_THAT(bind(s.get(), reinterpret_cast<sockaddr*>(&fam), sizeof fam), SyscallSucceeds());
  len = sizeof got;
  ASSERT_THAT(getsockname(s.get(), reinterpret_cast<sockaddr*>(&got), &len), SyscallSucceeds());
  EXPECT_EQ(len, offsetof(sockaddr_un, sun_path) + 6);
  EXPECT_EQ(got.sun_path[0], '\0');
}

TEST(UnixSocket, ShutdownReadAndPollBits) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(shutdown(p.a.get(), SHUT_RD), SyscallSucceeds());
  char c;
  EXPECT_THAT(read(p.a.get(), &c, 1), SyscallSucceedsWithValue(0));
  struct pollfd pfd = {p.a.get(), POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN | POLLOUT | POLLRDHUP);
  ASSERT_THAT(shutdown(p.a.get(), SHUT_WR), SyscallSucceeds());
  ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
  EXPECT_THAT(shutdown(p.a.get(), 3), SyscallFailsWithErrno(EINVAL));
}

TEST(UnixSocket, PollOfFreshListenerAndPeerClose) {
  FileDescriptor s(socket(AF_UNIX, SOCK_STREAM, 0));
  struct pollfd pfd = {s.get(), POLLIN | POLLOUT, 0};
  ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLOUT | POLLHUP);
  Pair p = SocketPair(SOCK_STREAM);
  p.b.reset();
  pfd = {p.a.get(), POLLIN | POLLOUT | POLLRDHUP, 0};
  ASSERT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(pfd.revents, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
}

TEST(UnixSocket, FionreadAndFstat) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  ASSERT_THAT(write(p.a.get(), "12345", 5), SyscallSucceedsWithValue(5));
  int n = -1;
  ASSERT_THAT(ioctl(p.b.get(), FIONREAD, &n), SyscallSucceeds());
  EXPECT_EQ(n, 5);
  struct stat st;
  ASSERT_THAT(fstat(p.a.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  char link[64] = {};
  std::string proc = "/proc/self/fd/" + std::to_string(p.a.get());
  ASSERT_THAT(readlink(proc.c_str(), link, sizeof link - 1), SyscallSucceeds());
  EXPECT_EQ(std::string(link).rfind("socket:[", 0), 0u) << link;
}

TEST(UnixSocket, BlockingAcceptWakesOnConnect) {
  TempDir dir;
  std::string path = dir.Join("s");
  FileDescriptor srv(socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un a = Addr(path);
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  ASSERT_THAT(listen(srv.get(), 1), SyscallSucceeds());
  pid_t pid = fork();
  if (pid == 0) {
    CHILD_CHECK(WaitUntilSleeping(getppid()));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHILD_CHECK(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    CHILD_CHECK(write(c, "late", 4) == 4);
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  FileDescriptor conn(accept(srv.get(), nullptr, nullptr));
  ASSERT_TRUE(conn.valid()) << strerror(errno);
  char buf[8];
  EXPECT_THAT(read(conn.get(), buf, sizeof buf), SyscallSucceedsWithValue(4));
  EXPECT_EQ(WaitStatus(pid), 0);
}

TEST(UnixSocket, MsgWaitallWaitsForEverything) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  pid_t pid = fork();
  if (pid == 0) {
    CHILD_CHECK(write(p.b.get(), "ab", 2) == 2);
    CHILD_CHECK(WaitUntilSleeping(getppid()));
    CHILD_CHECK(write(p.b.get(), "cd", 2) == 2);
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  char buf[4];
  EXPECT_THAT(recv(p.a.get(), buf, 4, MSG_WAITALL), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_EQ(WaitStatus(pid), 0);
}

TEST(UnixSocket, BlockedWriterResumesWhenDrained) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  const size_t kTotal = 1 << 20;  // far more than the send buffer
  pid_t pid = fork();
  if (pid == 0) {
    std::string big(kTotal, 'z');
    CHILD_CHECK(write(p.b.get(), big.data(), big.size()) == static_cast<ssize_t>(kTotal));
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  p.b.reset();
  size_t got = 0;
  char buf[65536];
  for (;;) {
    ssize_t n = read(p.a.get(), buf, sizeof buf);
    ASSERT_GE(n, 0) << strerror(errno);
    if (n == 0) break;
    got += n;
  }
  EXPECT_EQ(got, kTotal);
  EXPECT_EQ(WaitStatus(pid), 0);
}

TEST(UnixSocket, RcvtimeoTimesOut) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  struct timeval tv = {0, 100000};
  ASSERT_THAT(setsockopt(p.a.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), SyscallSucceeds());
  struct timeval back = {};
  socklen_t len = sizeof back;
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_RCVTIMEO, &back, &len), SyscallSucceeds());
  EXPECT_EQ(back.tv_usec, 100000);
  int64_t start = NowMs();
  char c;
  EXPECT_THAT(recv(p.a.get(), &c, 1, 0), SyscallFailsWithErrno(EAGAIN));
  EXPECT_GE(NowMs() - start, 90);
  // read(2) goes through the socket's timeout too (sock_read_iter()).
  start = NowMs();
  EXPECT_THAT(read(p.a.get(), &c, 1), SyscallFailsWithErrno(EAGAIN));
  EXPECT_GE(NowMs() - start, 90);
}

// SO_SNDTIMEO bounds write(2) on a full socket: EAGAIN when nothing was
// written, the count when some was.
TEST(UnixSocket, SndtimeoBoundsWrite) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  struct timeval tv = {0, 100000};
  ASSERT_THAT(setsockopt(p.a.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), SyscallSucceeds());
  std::vector<char> chunk(65536, 'x');
  ssize_t n;
  size_t total = 0;
  int64_t start = NowMs();
  while ((n = write(p.a.get(), chunk.data(), chunk.size())) > 0) total += static_cast<size_t>(n);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_GT(total, 0u);
  EXPECT_GE(NowMs() - start, 90);
}

TEST(UnixSocket, DgramWriteAfterPeerCloseIsECONNREFUSED) {
  TempDir dir;
  sockaddr_un a = Addr(dir.Join("d"));
  FileDescriptor srv(socket(AF_UNIX, SOCK_DGRAM, 0));
  ASSERT_THAT(bind(srv.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  FileDescriptor cli(socket(AF_UNIX, SOCK_DGRAM, 0));
  ASSERT_THAT(connect(cli.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), SyscallSucceeds());
  ASSERT_THAT(send(cli.get(), "1", 1, 0), SyscallSucceedsWithValue(1));
  srv.reset();
  EXPECT_THAT(send(cli.get(), "2", 1, 0), SyscallFailsWithErrno(ECONNREFUSED));
  EXPECT_THAT(send(cli.get(), "3", 1, 0), SyscallFailsWithErrno(ENOTCONN));
}

TEST(UnixSocket, SocketOptionsBasics) {
  Pair p = SocketPair(SOCK_STREAM);
  ASSERT_TRUE(p.a.valid());
  int v = 0;
  socklen_t len = sizeof v;
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &v, &len), SyscallSucceeds());
  EXPECT_GT(v, 0);
  v = 1;
  ASSERT_THAT(setsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &v, sizeof v), SyscallSucceeds());
  len = sizeof v;
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 4608);  // SOCK_MIN_SNDBUF
  len = sizeof v;
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_DOMAIN, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, AF_UNIX);
  len = sizeof v;
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_ACCEPTCONN, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 0);
  len = sizeof v;
  ASSERT_THAT(getsockopt(p.a.get(), SOL_SOCKET, SO_ERROR, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 0);
  EXPECT_THAT(setsockopt(p.a.get(), IPPROTO_TCP, 1, &v, sizeof v), SyscallFailsWithErrno(EOPNOTSUPP));
  FileDescriptor s(socket(AF_UNIX, SOCK_STREAM, 0));
  struct ucred cred = {};
  len = sizeof cred;
  ASSERT_THAT(getsockopt(s.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len), SyscallSucceeds());
  EXPECT_EQ(cred.pid, 0);
  EXPECT_EQ(cred.uid, static_cast<uid_t>(-1));
}

TEST(UnixSocket, BadProtocolAndFlags) {
  EXPECT_THAT(socket(AF_UNIX, SOCK_STREAM, 1234), SyscallFailsWithErrno(EPROTONOSUPPORT));
  EXPECT_THAT(socket(AF_UNIX, SOCK_STREAM | 0x100000, 0), SyscallFailsWithErrno(EINVAL));
  int sv[2];
  EXPECT_THAT(socketpair(AF_INET, SOCK_STREAM, 0, sv), SyscallFailsWithErrno(EOPNOTSUPP));
}

}  // namespace
}  // namespace conformance
