// inotify_init(2), inotify_init1(2), inotify_add_watch(2), inotify_rm_watch(2).
// syscalls: inotify_init inotify_init1 inotify_add_watch inotify_rm_watch
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

struct Event {
  int wd;
  uint32_t mask;
  std::string name;
};

std::vector<Event> ReadEvents(int fd) {
  std::vector<Event> out;
  alignas(struct inotify_event) char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  for (ssize_t off = 0; n > 0 && off < n;) {
    auto* e = reinterpret_cast<struct inotify_event*>(buf + off);
    out.push_back({e->wd, e->mask, e->len ? std::string(e->name) : ""});
    off += sizeof(struct inotify_event) + e->len;
  }
  return out;
}

TEST(Inotify, InitReturnsFd) {
  FileDescriptor fd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  ASSERT_TRUE(fd.valid()) << strerror(errno);
  EXPECT_THAT(fcntl(fd.get(), F_GETFD), SyscallSucceedsWithValue(FD_CLOEXEC));
}

TEST(Inotify, LegacyInit) {
  long fd = syscall(SYS_inotify_init);
  ASSERT_THAT(fd, SyscallSucceeds());
  close(fd);
}

TEST(Inotify, BadFlagsIsEINVAL) { EXPECT_THAT(inotify_init1(0x1), SyscallFailsWithErrno(EINVAL)); }

TEST(Inotify, CreateEventInDirectory) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  int wd = inotify_add_watch(fd.get(), dir.path().c_str(), IN_CREATE);
  ASSERT_THAT(wd, SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("new"), ""));
  auto events = ReadEvents(fd.get());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].wd, wd);
  EXPECT_EQ(events[0].mask, static_cast<uint32_t>(IN_CREATE));
  EXPECT_EQ(events[0].name, "new");
}

TEST(Inotify, ModifyEventOnFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(inotify_add_watch(fd.get(), dir.Join("f").c_str(), IN_MODIFY), SyscallSucceeds());
  FileDescriptor f(open(dir.Join("f").c_str(), O_WRONLY));
  write(f.get(), "x", 1);
  auto events = ReadEvents(fd.get());
  ASSERT_GE(events.size(), 1u);
  EXPECT_EQ(events[0].mask, static_cast<uint32_t>(IN_MODIFY));
}

TEST(Inotify, NoEventsIsEAGAIN) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(inotify_add_watch(fd.get(), dir.path().c_str(), IN_ALL_EVENTS), SyscallSucceeds());
  char buf[256];
  EXPECT_THAT(read(fd.get(), buf, sizeof buf), SyscallFailsWithErrno(EAGAIN));
}

TEST(Inotify, DeleteAndMoveEvents) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(inotify_add_watch(fd.get(), dir.path().c_str(), IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO),
              SyscallSucceeds());
  ASSERT_THAT(rename(dir.Join("a").c_str(), dir.Join("b").c_str()), SyscallSucceeds());
  ASSERT_THAT(unlink(dir.Join("b").c_str()), SyscallSucceeds());
  auto events = ReadEvents(fd.get());
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].mask, static_cast<uint32_t>(IN_MOVED_FROM));
  EXPECT_EQ(events[1].mask, static_cast<uint32_t>(IN_MOVED_TO));
  EXPECT_EQ(events[2].mask, static_cast<uint32_t>(IN_DELETE));
}

TEST(Inotify, RemoveWatchQueuesIgnored) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  int wd = inotify_add_watch(fd.get(), dir.path().c_str(), IN_CREATE);
  ASSERT_THAT(wd, SyscallSucceeds());
  ASSERT_THAT(inotify_rm_watch(fd.get(), wd), SyscallSucceeds());
  auto events = ReadEvents(fd.get());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].mask, static_cast<uint32_t>(IN_IGNORED));
  EXPECT_THAT(inotify_rm_watch(fd.get(), wd), SyscallFailsWithErrno(EINVAL));
}

TEST(Inotify, AddWatchMissingPathIsENOENT) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(0));
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(inotify_add_watch(fd.get(), dir.Join("nope").c_str(), IN_CREATE), SyscallFailsWithErrno(ENOENT));
}

TEST(Inotify, SameInodeGivesSameWatch) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(0));
  ASSERT_TRUE(fd.valid());
  int a = inotify_add_watch(fd.get(), dir.path().c_str(), IN_CREATE);
  int b = inotify_add_watch(fd.get(), dir.path().c_str(), IN_DELETE);
  ASSERT_THAT(a, SyscallSucceeds());
  EXPECT_EQ(a, b);
}

TEST(Inotify, PollReadableOnEvent) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(inotify_add_watch(fd.get(), dir.path().c_str(), IN_CREATE), SyscallSucceeds());
  struct pollfd pfd = {fd.get(), POLLIN, 0};
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(0));
  ASSERT_TRUE(WriteFile(dir.Join("x"), ""));
  EXPECT_THAT(poll(&pfd, 1, 0), SyscallSucceedsWithValue(1));
}

}  // namespace
}  // namespace conformance
