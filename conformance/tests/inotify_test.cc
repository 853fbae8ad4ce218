// inotify_init(2), inotify_init1(2), inotify_add_watch(2), inotify_rm_watch(2),
// and dnotify (fcntl(2) F_NOTIFY).
// syscalls: inotify_init inotify_init1 inotify_add_watch inotify_rm_watch
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>

#include "util/test_util.h"

namespace conformance {
namespace {

using ::testing::ElementsAre;

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

// The masks of `events`, in order.
std::vector<uint32_t> Masks(const std::vector<Event>& events) {
  std::vector<uint32_t> out;
  for (const Event& e : events) out.push_back(e.mask);
  return out;
}

// Takes the pending, blocked signal `sig` without waiting.
int TakeSignal(int sig, siginfo_t* info) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  struct timespec zero = {0, 0};
  return sigtimedwait(&set, info, &zero);
}

// Reads every queued event (the fd must be non-blocking).
std::vector<Event> DrainEvents(int fd) {
  std::vector<Event> all;
  for (;;) {
    auto batch = ReadEvents(fd);
    if (batch.empty()) return all;
    all.insert(all.end(), batch.begin(), batch.end());
  }
}

TEST(Inotify, RenameCookiesPairMovedFromAndTo) {
  TempDir a, b;
  ASSERT_TRUE(WriteFile(a.Join("f"), ""));
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  int wa = inotify_add_watch(fd.get(), a.path().c_str(), IN_MOVE);
  int wb = inotify_add_watch(fd.get(), b.path().c_str(), IN_MOVE);
  int wf = inotify_add_watch(fd.get(), a.Join("f").c_str(), IN_MOVE_SELF);
  ASSERT_THAT(wf, SyscallSucceeds());
  ASSERT_THAT(rename(a.Join("f").c_str(), b.Join("g").c_str()), SyscallSucceeds());
  alignas(struct inotify_event) char buf[4096];
  ssize_t n = read(fd.get(), buf, sizeof buf);
  ASSERT_GT(n, 0);
  std::vector<struct inotify_event> hdr;
  for (ssize_t off = 0; off < n;) {
    auto* e = reinterpret_cast<struct inotify_event*>(buf + off);
    hdr.push_back(*e);
    off += sizeof(struct inotify_event) + e->len;
  }
  ASSERT_EQ(hdr.size(), 3u);
  EXPECT_EQ(hdr[0].wd, wa);
  EXPECT_EQ(hdr[0].mask, static_cast<uint32_t>(IN_MOVED_FROM));
  EXPECT_EQ(hdr[1].wd, wb);
  EXPECT_EQ(hdr[1].mask, static_cast<uint32_t>(IN_MOVED_TO));
  EXPECT_NE(hdr[0].cookie, 0u);
  EXPECT_EQ(hdr[0].cookie, hdr[1].cookie);
  EXPECT_EQ(hdr[2].wd, wf);
  EXPECT_EQ(hdr[2].mask, static_cast<uint32_t>(IN_MOVE_SELF));
  EXPECT_EQ(hdr[2].cookie, 0u);
}

TEST(Inotify, OpenWriteCloseSequenceWithNamePadding) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  int wd = inotify_add_watch(fd.get(), dir.path().c_str(), IN_ALL_EVENTS);
  ASSERT_THAT(wd, SyscallSucceeds());
  {
    FileDescriptor f(open(dir.Join("some_longer_name").c_str(), O_CREAT | O_WRONLY, 0644));
    ASSERT_TRUE(f.valid());
    // Two writes: identical consecutive events are merged.
    ASSERT_THAT(write(f.get(), "a", 1), SyscallSucceedsWithValue(1));
    ASSERT_THAT(write(f.get(), "b", 1), SyscallSucceedsWithValue(1));
  }
  int avail = -1;
  ASSERT_THAT(ioctl(fd.get(), FIONREAD, &avail), SyscallSucceeds());
  // 4 events, each a 16-byte header and the name padded to 32 bytes.
  EXPECT_EQ(avail, 4 * 48);
  char tiny[sizeof(struct inotify_event) + 8];
  EXPECT_THAT(read(fd.get(), tiny, sizeof tiny), SyscallFailsWithErrno(EINVAL));
  auto events = ReadEvents(fd.get());
  EXPECT_THAT(Masks(events), ElementsAre(uint32_t{IN_CREATE}, uint32_t{IN_OPEN},
                                         uint32_t{IN_MODIFY}, uint32_t{IN_CLOSE_WRITE}));
  for (const Event& e : events) EXPECT_EQ(e.name, "some_longer_name");
  // A read-only open closes with IN_CLOSE_NOWRITE.
  FileDescriptor r(open(dir.Join("some_longer_name").c_str(), O_RDONLY));
  r.reset();
  events = ReadEvents(fd.get());
  EXPECT_THAT(Masks(events), ElementsAre(uint32_t{IN_OPEN}, uint32_t{IN_CLOSE_NOWRITE}));
}

TEST(Inotify, DirectoryEventsCarryIsdir) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(inotify_add_watch(fd.get(), dir.path().c_str(), IN_CREATE | IN_DELETE),
              SyscallSucceeds());
  ASSERT_THAT(mkdir(dir.Join("sub").c_str(), 0755), SyscallSucceeds());
  ASSERT_THAT(rmdir(dir.Join("sub").c_str()), SyscallSucceeds());
  auto events = ReadEvents(fd.get());
  EXPECT_THAT(Masks(events),
              ElementsAre(uint32_t{IN_CREATE | IN_ISDIR}, uint32_t{IN_DELETE | IN_ISDIR}));
}

TEST(Inotify, UnlinkGivesDeleteSelfThenIgnored) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  int wd = inotify_add_watch(fd.get(), dir.Join("f").c_str(), IN_ALL_EVENTS);
  ASSERT_THAT(wd, SyscallSucceeds());
  ASSERT_THAT(unlink(dir.Join("f").c_str()), SyscallSucceeds());
  auto events = ReadEvents(fd.get());
  EXPECT_THAT(Masks(events),
              ElementsAre(uint32_t{IN_ATTRIB}, uint32_t{IN_DELETE_SELF}, uint32_t{IN_IGNORED}));
  for (const Event& e : events) EXPECT_EQ(e.wd, wd);
  // The watch is gone.
  EXPECT_THAT(inotify_rm_watch(fd.get(), wd), SyscallFailsWithErrno(EINVAL));
}

TEST(Inotify, DeleteSelfOfOpenFileWaitsForClose) {
  TempDir dir;
  FileDescriptor f(open(dir.Join("f").c_str(), O_CREAT | O_RDWR, 0644));
  ASSERT_TRUE(f.valid());
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  int wd = inotify_add_watch(fd.get(), dir.Join("f").c_str(), IN_ALL_EVENTS);
  ASSERT_THAT(wd, SyscallSucceeds());
  ASSERT_THAT(unlink(dir.Join("f").c_str()), SyscallSucceeds());
  auto events = ReadEvents(fd.get());
  EXPECT_THAT(Masks(events), ElementsAre(uint32_t{IN_ATTRIB}));
  f.reset();
  events = ReadEvents(fd.get());
  EXPECT_THAT(Masks(events), ElementsAre(uint32_t{IN_CLOSE_WRITE}, uint32_t{IN_DELETE_SELF},
                                         uint32_t{IN_IGNORED}));
}

TEST(Inotify, OneshotFiresOnce) {
  TempDir dir;
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  int wd = inotify_add_watch(fd.get(), dir.path().c_str(), IN_CREATE | IN_ONESHOT);
  ASSERT_THAT(wd, SyscallSucceeds());
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  ASSERT_TRUE(WriteFile(dir.Join("b"), ""));
  auto events = ReadEvents(fd.get());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].mask, static_cast<uint32_t>(IN_CREATE));
  EXPECT_EQ(events[0].name, "a");
  EXPECT_EQ(events[1].mask, static_cast<uint32_t>(IN_IGNORED));
  EXPECT_EQ(events[1].wd, wd);
}

TEST(Inotify, WatchFlagErrors) {
  TempDir dir;
  ASSERT_TRUE(WriteFile(dir.Join("f"), ""));
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  EXPECT_THAT(inotify_add_watch(fd.get(), dir.Join("f").c_str(), IN_ONLYDIR | IN_OPEN),
              SyscallFailsWithErrno(ENOTDIR));
  EXPECT_THAT(inotify_add_watch(fd.get(), dir.Join("f").c_str(), 0),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(inotify_add_watch(fd.get(), dir.Join("f").c_str(),
                                IN_MASK_ADD | IN_MASK_CREATE | IN_OPEN),
              SyscallFailsWithErrno(EINVAL));
  int wd = inotify_add_watch(fd.get(), dir.Join("f").c_str(), IN_OPEN);
  ASSERT_THAT(wd, SyscallSucceeds());
  EXPECT_THAT(inotify_add_watch(fd.get(), dir.Join("f").c_str(), IN_MASK_CREATE | IN_OPEN),
              SyscallFailsWithErrno(EEXIST));
  EXPECT_THAT(inotify_add_watch(fd.get(), "", IN_OPEN), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(inotify_add_watch(STDIN_FILENO, dir.path().c_str(), IN_OPEN),
              SyscallFailsWithErrno(EINVAL));
  EXPECT_THAT(inotify_rm_watch(fd.get(), wd + 100), SyscallFailsWithErrno(EINVAL));
}

TEST(Inotify, QueueOverflowEndsWithOneOverflowEvent) {
  int limit = 16384;
  std::string text;
  if (ReadFile("/proc/sys/fs/inotify/max_queued_events", &text)) limit = atoi(text.c_str());
  ASSERT_GT(limit, 0);
  TempDir dir;
  FileDescriptor f(open(dir.Join("f").c_str(), O_CREAT | O_RDWR, 0644));
  ASSERT_TRUE(f.valid());
  FileDescriptor fd(inotify_init1(IN_NONBLOCK));
  ASSERT_TRUE(fd.valid());
  ASSERT_THAT(inotify_add_watch(fd.get(), dir.Join("f").c_str(), IN_ACCESS | IN_MODIFY),
              SyscallSucceeds());
  char c = 'x';
  // Alternating writes and reads: no two consecutive events are equal.
  for (int i = 0; i < limit / 2 + 8; ++i) {
    ASSERT_THAT(pwrite(f.get(), &c, 1, 0), SyscallSucceedsWithValue(1));
    ASSERT_THAT(pread(f.get(), &c, 1, 0), SyscallSucceedsWithValue(1));
  }
  auto events = DrainEvents(fd.get());
  ASSERT_EQ(events.size(), static_cast<size_t>(limit) + 1);
  EXPECT_EQ(events.back().wd, -1);
  EXPECT_EQ(events.back().mask, static_cast<uint32_t>(IN_Q_OVERFLOW));
  EXPECT_EQ(events[limit - 1].mask, static_cast<uint32_t>(IN_ACCESS));
}

TEST(Inotify, DnotifySignalsCreateWithSetsig) {
  TempDir dir;
  int sig = SIGRTMIN + 1;
  ScopedSignalMask mask(SIG_BLOCK, sig);
  FileDescriptor d(open(dir.path().c_str(), O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(d.valid());
  ASSERT_THAT(fcntl(d.get(), F_SETSIG, sig), SyscallSucceeds());
  EXPECT_THAT(fcntl(d.get(), F_GETSIG), SyscallSucceedsWithValue(sig));
  ASSERT_THAT(fcntl(d.get(), F_NOTIFY, DN_CREATE), SyscallSucceeds());
  EXPECT_THAT(fcntl(d.get(), F_GETOWN), SyscallSucceedsWithValue(getpid()));
  ASSERT_TRUE(WriteFile(dir.Join("a"), ""));
  siginfo_t info;
  ASSERT_THAT(TakeSignal(sig, &info), SyscallSucceedsWithValue(sig));
  EXPECT_EQ(info.si_code, POLL_MSG);
  EXPECT_EQ(info.si_fd, d.get());
  // Without DN_MULTISHOT the registration is gone after one signal.
  ASSERT_TRUE(WriteFile(dir.Join("b"), ""));
  EXPECT_THAT(TakeSignal(sig, &info), SyscallFailsWithErrno(EAGAIN));
  // Regular files cannot be watched.
  FileDescriptor f(open(dir.Join("a").c_str(), O_RDONLY));
  EXPECT_THAT(fcntl(f.get(), F_NOTIFY, DN_CREATE), SyscallFailsWithErrno(ENOTDIR));
}

TEST(Inotify, AsyncPipeSendsSigioToOwner) {
  int sig = SIGRTMIN + 2;
  ScopedSignalMask mask(SIG_BLOCK, sig);
  int p[2];
  ASSERT_THAT(pipe(p), SyscallSucceeds());
  FileDescriptor r(p[0]), w(p[1]);
  ASSERT_THAT(fcntl(r.get(), F_SETOWN, getpid()), SyscallSucceeds());
  EXPECT_THAT(fcntl(r.get(), F_GETOWN), SyscallSucceedsWithValue(getpid()));
  ASSERT_THAT(fcntl(r.get(), F_SETSIG, sig), SyscallSucceeds());
  ASSERT_THAT(fcntl(r.get(), F_SETFL, O_ASYNC), SyscallSucceeds());
  ASSERT_THAT(write(w.get(), "x", 1), SyscallSucceedsWithValue(1));
  siginfo_t info;
  ASSERT_THAT(TakeSignal(sig, &info), SyscallSucceedsWithValue(sig));
  EXPECT_EQ(info.si_code, POLL_IN);
  EXPECT_EQ(info.si_fd, r.get());
  EXPECT_EQ(info.si_band, static_cast<long>(POLLIN | POLLRDNORM));
  EXPECT_THAT(fcntl(r.get(), F_SETOWN, 0x7ffffff0), SyscallFailsWithErrno(ESRCH));
  // Closing the write end would signal the reader again (pipe_release()).
  ASSERT_THAT(fcntl(r.get(), F_SETFL, 0), SyscallSucceeds());
}

}  // namespace
}  // namespace conformance
