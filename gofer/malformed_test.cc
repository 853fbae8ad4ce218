// Raw, malformed messages written straight to the server's socket.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gofer/protocol.h"
#include "gofer/server.h"
#include "gofer/socket.h"
#include "gofer/test_helpers.h"

namespace bulwark::gofer {
namespace {

using testing::MustAttachPoint;
using testing::ServerThread;
using testing::TempDir;
using testing::WriteFile;

struct RawReply {
  Header header;
  std::vector<uint8_t> payload;
  bool has_fd = false;
};

std::vector<uint8_t> Message(uint32_t op, uint32_t tag, const std::vector<uint8_t>& payload,
                             std::optional<uint32_t> len = std::nullopt, int32_t err = 0) {
  std::vector<uint8_t> msg(kHeaderSize + payload.size());
  Writer w(msg);
  w.PutHeader({op, tag, len.value_or(static_cast<uint32_t>(payload.size())), err});
  w.Bytes(payload);
  return msg;
}

std::vector<uint8_t> Payload(auto&& fill) {
  std::vector<uint8_t> buf(kMaxPayload);
  Writer w(buf);
  fill(w);
  buf.resize(w.size());
  return buf;
}

class MalformedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_ / "file", "x");
    std::vector<AttachPoint> aps;
    aps.push_back(MustAttachPoint(dir_.path(), true));
    server_ = std::make_unique<ServerThread>(std::move(aps));
  }

  // Sends `msg` (with `fd` in SCM_RIGHTS when >= 0); returns the reply, or
  // nullopt on EOF.
  std::optional<RawReply> Send(const std::vector<uint8_t>& msg, int fd = -1) {
    EXPECT_TRUE(SendMessage(server_->peer(), msg, fd).has_value());
    return Receive();
  }

  std::optional<RawReply> Receive() {
    pollfd pfd{server_->peer(), POLLIN, 0};
    EXPECT_EQ(::poll(&pfd, 1, 10000), 1) << "no reply";
    std::vector<uint8_t> buf(kMaxMessage);
    auto received = RecvMessage(server_->peer(), buf);
    EXPECT_TRUE(received.has_value());
    if (!received || received->eof) return std::nullopt;
    EXPECT_GE(received->len, kHeaderSize);
    Reader r(std::span<const uint8_t>(buf).first(received->len));
    RawReply reply;
    reply.header = r.GetHeader();
    EXPECT_EQ(reply.header.len, r.remaining());
    reply.payload.assign(r.rest().begin(), r.rest().end());
    reply.has_fd = received->fd.valid();
    return reply;
  }

  // The reply's errno (0 on success), checking that it answers `op`/`tag`.
  int ErrnoOf(const std::vector<uint8_t>& msg, uint32_t op, uint32_t tag) {
    auto reply = Send(msg);
    EXPECT_TRUE(reply.has_value());
    if (!reply) return -1;
    EXPECT_EQ(reply->header.op, op | kReplyBit);
    EXPECT_EQ(reply->header.tag, tag);
    if (reply->header.err != 0) {
      EXPECT_TRUE(reply->payload.empty());
    }
    return reply->header.err;
  }

  // A well-formed Attach still works; returns the new fid.
  uint64_t ExpectAlive() {
    auto reply = Send(Message(static_cast<uint32_t>(Op::kAttach), 77,
                              Payload([](Writer& w) { w.U32(0); })));
    EXPECT_TRUE(reply.has_value());
    if (!reply) return 0;
    EXPECT_EQ(reply->header.err, 0);
    EXPECT_EQ(reply->header.tag, 77u);
    Reader r(reply->payload);
    uint64_t fid = r.U64();
    r.GetStat();
    EXPECT_TRUE(r.done());
    return fid;
  }

  TempDir dir_;
  std::unique_ptr<ServerThread> server_;
};

constexpr uint32_t OpNum(Op op) { return static_cast<uint32_t>(op); }

TEST_F(MalformedTest, ShortHeader) {
  auto reply = Send({1, 2, 3});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->header.op, kReplyBit);
  EXPECT_EQ(reply->header.err, EINVAL);
  ExpectAlive();
}

TEST_F(MalformedTest, LengthDisagreesWithPayload) {
  auto payload = Payload([](Writer& w) { w.U32(0); });
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kAttach), 5, payload, 100), OpNum(Op::kAttach), 5), EINVAL);
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kAttach), 6, payload, 0), OpNum(Op::kAttach), 6), EINVAL);
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kAttach), 7, payload, 0xffffffff), OpNum(Op::kAttach), 7),
            EINVAL);
  ExpectAlive();
}

TEST_F(MalformedTest, BadHeaderFields) {
  EXPECT_EQ(ErrnoOf(Message(999, 1, {}), 999, 1), ENOSYS);
  EXPECT_EQ(ErrnoOf(Message(0, 2, {}), 0, 2), ENOSYS);
  auto payload = Payload([](Writer& w) { w.U32(0); });
  uint32_t reply_op = OpNum(Op::kAttach) | kReplyBit;
  EXPECT_EQ(ErrnoOf(Message(reply_op, 3, payload), reply_op, 3), EINVAL);
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kAttach), 4, payload, std::nullopt, 5),
                    OpNum(Op::kAttach), 4),
            EINVAL);
  ExpectAlive();
}

TEST_F(MalformedTest, BadPayloads) {
  uint64_t root = ExpectAlive();
  // A name length far beyond the bytes present.
  std::vector<uint8_t> huge = Payload([&](Writer& w) {
    w.U64(root);
    w.U16(60000);
  });
  huge.insert(huge.end(), {'a', 'b', 'c'});
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kWalk), 1, huge), OpNum(Op::kWalk), 1), EINVAL);
  // Trailing bytes.
  auto trailing = Payload([&](Writer& w) {
    w.U64(root);
    w.U8(0);
  });
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kStat), 2, trailing), OpNum(Op::kStat), 2), EINVAL);
  // Truncated fields.
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kStat), 3, {1, 0, 0}), OpNum(Op::kStat), 3), EINVAL);
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kOpen), 4, Payload([&](Writer& w) { w.U64(root); })),
                    OpNum(Op::kOpen), 4),
            EINVAL);
  // A name with a NUL byte, and a 300-byte name.
  auto nul = Payload([&](Writer& w) {
    w.U64(root);
    w.Str(std::string_view("fi\0le", 5));
  });
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kWalk), 5, nul), OpNum(Op::kWalk), 5), EINVAL);
  auto longname = Payload([&](Writer& w) {
    w.U64(root);
    w.Str(std::string(300, 'x'));
  });
  EXPECT_EQ(ErrnoOf(Message(OpNum(Op::kWalk), 6, longname), OpNum(Op::kWalk), 6), ENAMETOOLONG);
  ExpectAlive();
}

TEST_F(MalformedTest, BogusFids) {
  constexpr uint64_t kBogus = 0xdeadbeefcafe;
  auto fid_only = Payload([](Writer& w) { w.U64(kBogus); });
  for (Op op : {Op::kStat, Op::kReadLink, Op::kClunk, Op::kStatFs}) {
    EXPECT_EQ(ErrnoOf(Message(OpNum(op), 1, fid_only), OpNum(op), 1), EBADF) << OpNum(op);
  }
  struct Case {
    Op op;
    std::vector<uint8_t> payload;
  };
  std::vector<Case> cases = {
      {Op::kWalk, Payload([](Writer& w) { w.U64(kBogus); w.Str("file"); })},
      {Op::kOpen, Payload([](Writer& w) { w.U64(kBogus); w.U32(0); })},
      {Op::kReadDir, Payload([](Writer& w) { w.U64(kBogus); w.U64(0); })},
      {Op::kCreate, Payload([](Writer& w) {
         w.U64(kBogus); w.Str("n"); w.U32(0); w.U32(0644); w.U32(0); w.U32(0); })},
      {Op::kMkdir, Payload([](Writer& w) {
         w.U64(kBogus); w.Str("n"); w.U32(0755); w.U32(0); w.U32(0); })},
      {Op::kSymlink, Payload([](Writer& w) {
         w.U64(kBogus); w.Str("n"); w.Str("t"); w.U32(0); w.U32(0); })},
      {Op::kLink, Payload([](Writer& w) { w.U64(kBogus); w.Str("n"); w.U64(kBogus); })},
      {Op::kUnlink, Payload([](Writer& w) { w.U64(kBogus); w.Str("n"); w.U32(0); })},
      {Op::kRename, Payload([](Writer& w) {
         w.U64(kBogus); w.Str("a"); w.U64(kBogus); w.Str("b"); w.U32(0); })},
      {Op::kSetAttr, Payload([](Writer& w) { w.U64(kBogus); w.PutSetAttr({}); })},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ErrnoOf(Message(OpNum(c.op), 9, c.payload), OpNum(c.op), 9), EBADF) << OpNum(c.op);
  }
  ExpectAlive();
}

TEST_F(MalformedTest, OversizedMessage) {
  std::vector<uint8_t> big(100 * 1024, 0xab);
  auto reply = Send(big);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->header.err, EMSGSIZE);
  ExpectAlive();
}

TEST_F(MalformedTest, FdsInRequestsAreRejectedAndClosed) {
  int pipefd[2];
  ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
  UniqueFd read_end(pipefd[0]);
  UniqueFd write_end(pipefd[1]);
  auto payload = Payload([](Writer& w) { w.U32(0); });
  auto reply = Send(Message(OpNum(Op::kAttach), 3, payload), write_end.get());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->header.err, EINVAL);
  EXPECT_FALSE(reply->has_fd);
  write_end.reset();
  // EOF on the read end: the server kept no copy of the write end.
  pollfd pfd{read_end.get(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 5000), 1);
  char c;
  EXPECT_EQ(::read(read_end.get(), &c, 1), 0);
  ExpectAlive();
}

TEST_F(MalformedTest, RandomMessages) {
  uint64_t root = ExpectAlive();
  std::mt19937 rng(12345);
  for (uint32_t i = 0; i < 5000; ++i) {
    std::vector<uint8_t> payload;
    if (rng() % 2 == 0) payload = Payload([&](Writer& w) { w.U64(root); });
    size_t extra = rng() % 64;
    for (size_t j = 0; j < extra; ++j) payload.push_back(static_cast<uint8_t>(rng()));
    uint32_t op = rng() % 20;
    std::optional<uint32_t> len;
    if (rng() % 8 == 0) len = static_cast<uint32_t>(rng());
    auto msg = Message(op, i, payload, len);
    if (rng() % 16 == 0) msg.resize(rng() % msg.size() + 1);
    auto reply = Send(msg);
    ASSERT_TRUE(reply.has_value()) << i;
    if (msg.size() >= kHeaderSize) {
      ASSERT_EQ(reply->header.tag, i);
      ASSERT_EQ(reply->header.op, op | kReplyBit);
    }
  }
  ExpectAlive();
}

TEST_F(MalformedTest, ZeroLengthMessageEndsSession) {
  ExpectAlive();
  ASSERT_TRUE(SendMessage(server_->peer(), {}).has_value());
  EXPECT_TRUE(server_->Join().has_value());
}

}  // namespace
}  // namespace bulwark::gofer
