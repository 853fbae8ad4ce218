#include "sentry/control/protocol.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>

namespace bulwark::control {
namespace {

struct Pair {
  UniqueFd a, b;
};

Pair SeqPair() {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  return Pair{UniqueFd(sv[0]), UniqueFd(sv[1])};
}

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) >= 0; }

TEST(ControlProtocol, RoundTripWithFds) {
  Pair p = SeqPair();
  int pipefd[2];
  ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
  UniqueFd r(pipefd[0]), w(pipefd[1]);
  ASSERT_TRUE(SendJson(p.a.get(), nlohmann::json{{"op", "exec"}}, {r.get(), w.get()}).has_value());
  auto m = ReceiveMessage(p.b.get());
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->json, R"({"op":"exec"})");
  ASSERT_EQ(m->fds.size(), 2u);
  // The received fds are the same pipe (and close-on-exec).
  ASSERT_EQ(write(m->fds[1].get(), "x", 1), 1);
  char c = 0;
  ASSERT_EQ(read(r.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
  EXPECT_EQ(fcntl(m->fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
}

TEST(ControlProtocol, SendRejectsEmptyOversizedAndTooManyFds) {
  Pair p = SeqPair();
  EXPECT_FALSE(SendMessage(p.a.get(), Message{}).has_value());
  Message big;
  big.json.assign(kMaxMessage + 1, 'x');
  auto r = SendMessage(p.a.get(), big);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("exceeds"), std::string::npos) << r.error().message;
  std::vector<int> fds(kMaxFds + 1, 0);
  auto r2 = SendJson(p.a.get(), nlohmann::json{{"op", "x"}}, fds);
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message.find("fds exceed"), std::string::npos) << r2.error().message;
}

TEST(ControlProtocol, ReceiveRejectsTooManyFdsAndClosesThem) {
  Pair p = SeqPair();
  int pipefd[2];
  ASSERT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
  UniqueFd r(pipefd[0]), w(pipefd[1]);
  // A raw sender that ignores the limit.
  int fds[kMaxFds + 1];
  for (int& f : fds) f = r.get();
  char text[] = "{}";
  iovec iov{text, 2};
  alignas(cmsghdr) char cbuf[CMSG_SPACE(sizeof(fds))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof(cbuf);
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(fds));
  memcpy(CMSG_DATA(c), fds, sizeof(fds));
  ASSERT_EQ(sendmsg(p.a.get(), &msg, 0), 2);
  int before = dup(0);  // the lowest free fd before receiving
  close(before);
  auto m = ReceiveMessage(p.b.get());
  ASSERT_FALSE(m.has_value());
  EXPECT_NE(m.error().message.find("fds exceed"), std::string::npos) << m.error().message;
  // The received copies were closed again.
  EXPECT_FALSE(IsOpen(before));
}

TEST(ControlProtocol, ReceiveRejectsOversizedMessage) {
  Pair p = SeqPair();
  int sz = static_cast<int>(kMaxMessage) * 3;
  if (setsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
    GTEST_SKIP() << "needs CAP_NET_ADMIN for a send buffer over 1 MiB";
  std::string big(kMaxMessage + 10, ' ');
  ASSERT_EQ(send(p.a.get(), big.data(), big.size(), 0), static_cast<ssize_t>(big.size()));
  auto m = ReceiveMessage(p.b.get());
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().errnum, EMSGSIZE);
}

TEST(ControlProtocol, EofIsConnectionClosed) {
  Pair p = SeqPair();
  p.a.reset();
  auto m = ReceiveMessage(p.b.get());
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().errnum, ECONNRESET);
  EXPECT_NE(m.error().message.find("connection closed"), std::string::npos);
}

TEST(ControlProtocol, ParseObjectErrorsNameTheProblem) {
  auto bad = ParseObject("{\"op\": ");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("bad JSON"), std::string::npos) << bad.error().message;
  auto arr = ParseObject("[1,2]");
  ASSERT_FALSE(arr.has_value());
  EXPECT_NE(arr.error().message.find("not a JSON object"), std::string::npos);
  auto ok = ParseObject(R"({"op":"ps"})");
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ((*ok)["op"], "ps");
}

}  // namespace
}  // namespace bulwark::control
