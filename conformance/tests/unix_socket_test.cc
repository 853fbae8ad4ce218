// AF_UNIX sockets: socket(2), socketpair(2), bind(2), listen(2), accept4(2),
// connect(2), sendmsg(2)/recvmsg(2) with SCM_RIGHTS, shutdown(2), options.
// syscalls: socket socketpair bind listen accept accept4 connect sendto recvfrom sendmsg recvmsg shutdown getsockname getpeername setsockopt getsockopt
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

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

}  // namespace
}  // namespace conformance
