#include "sentry/fsimpl/pipe.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <string>

namespace bulwark::fsimpl {
namespace {

SysResult<size_t> Write(Pipe& p, const std::string& s) {
  iovec v{const_cast<char*>(s.data()), s.size()};
  return p.Write(vfs::IoVecs(&v, 1));
}

std::string Read(Pipe& p, size_t n) {
  std::string s(n, '\0');
  iovec v{s.data(), n};
  auto r = p.Read(vfs::IoVecs(&v, 1));
  if (!r) return std::string("error ") + ErrnoName(r.error());
  s.resize(*r);
  return s;
}

TEST(PipeTest, ReadWriteEof) {
  Pipe p;
  p.AddEnds(true, true);
  EXPECT_EQ(Read(p, 4), "error EAGAIN");
  EXPECT_EQ(*Write(p, "hello"), 5u);
  EXPECT_EQ(p.size(), 5u);
  EXPECT_EQ(Read(p, 2), "he");
  EXPECT_EQ(Read(p, 10), "llo");
  EXPECT_EQ(*Write(p, ""), 0u);
  p.RemoveEnds(false, true);
  EXPECT_EQ(Read(p, 10), "");  // EOF: empty and no writers
}

TEST(PipeTest, EpipeWithoutReaders) {
  Pipe p;
  p.AddEnds(false, true);
  EXPECT_EQ(Write(p, "x").error(), Errno::kEPIPE);
  EXPECT_EQ(p.WriteEvents() & POLLERR, static_cast<uint32_t>(POLLERR));
}

TEST(PipeTest, WrapAroundAndScatter) {
  Pipe p(4096);
  p.AddEnds(true, true);
  std::string a(3000, 'a'), b(2000, 'b');
  EXPECT_EQ(*Write(p, a), 3000u);
  EXPECT_EQ(Read(p, 2500), std::string(2500, 'a'));
  EXPECT_EQ(*Write(p, b), 2000u);  // wraps around the end of the ring
  std::string x(300, '\0'), y(3000, '\0');
  iovec v[2] = {{x.data(), x.size()}, {y.data(), y.size()}};
  EXPECT_EQ(*p.Read(vfs::IoVecs(v, 2)), 2500u);
  EXPECT_EQ(x, std::string(300, 'a'));
  EXPECT_EQ(y.substr(0, 200), std::string(200, 'a'));
  EXPECT_EQ(y.substr(200, 2000), b);
}

TEST(PipeTest, SmallWritesAreAtomic) {
  Pipe p(8192);
  p.AddEnds(true, true);
  EXPECT_EQ(*Write(p, std::string(8000, 'x')), 8000u);
  // 192 bytes free: a 1000-byte write (<= PIPE_BUF) does not go in part.
  EXPECT_EQ(Write(p, std::string(1000, 'y')).error(), Errno::kEAGAIN);
  // A large write takes what fits.
  EXPECT_EQ(*Write(p, std::string(5000, 'z')), 192u);
  EXPECT_EQ(Write(p, std::string(5000, 'z')).error(), Errno::kEAGAIN);
}

TEST(PipeTest, Readiness) {
  Pipe p(4096);
  p.AddEnds(true, true);
  EXPECT_EQ(p.ReadEvents(0), 0u);
  EXPECT_EQ(p.WriteEvents(), static_cast<uint32_t>(POLLOUT | POLLWRNORM));
  ASSERT_TRUE(Write(p, "a"));
  EXPECT_EQ(p.ReadEvents(0), static_cast<uint32_t>(POLLIN | POLLRDNORM));
  // Less than PIPE_BUF free: not writable.
  EXPECT_EQ(p.WriteEvents(), 0u);
  p.RemoveEnds(false, true);
  EXPECT_EQ(p.ReadEvents(0), static_cast<uint32_t>(POLLIN | POLLRDNORM | POLLHUP));
  // A FIFO reader that has seen every writer so far gets no POLLHUP.
  EXPECT_EQ(p.ReadEvents(p.writer_opens()) & POLLHUP, 0u);
}

TEST(PipeTest, SetCapacity) {
  Pipe p;
  p.AddEnds(true, true);
  EXPECT_EQ(p.capacity(), kDefaultPipeSize);
  EXPECT_EQ(*p.SetCapacity(0, false), 4096u);
  EXPECT_EQ(*p.SetCapacity(4097, false), 8192u);
  EXPECT_EQ(*p.SetCapacity(kPipeMaxSize, false), kPipeMaxSize);
  EXPECT_EQ(p.SetCapacity(kPipeMaxSize + 1, false).error(), Errno::kEPERM);
  EXPECT_EQ(*p.SetCapacity(kPipeMaxSize + 1, true), 2 * kPipeMaxSize);
  EXPECT_EQ(p.SetCapacity((uint64_t{1} << 31) + 1, true).error(), Errno::kEINVAL);
  ASSERT_TRUE(p.SetCapacity(8192, false));
  ASSERT_TRUE(Write(p, std::string(5000, 'q')));
  EXPECT_EQ(Read(p, 500), std::string(500, 'q'));
  EXPECT_EQ(p.SetCapacity(4096, false).error(), Errno::kEBUSY);
  EXPECT_EQ(*p.SetCapacity(65536, false), 65536u);  // keeps the data
  EXPECT_EQ(Read(p, 10000), std::string(4500, 'q'));
}

}  // namespace
}  // namespace bulwark::fsimpl
