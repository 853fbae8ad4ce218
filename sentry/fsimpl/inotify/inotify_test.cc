// inotify end to end through the syscall handlers, on memfs.
#include "sentry/fsimpl/inotify/inotify.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include <cstring>
#include <vector>

#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/syscall_fixture.h"

namespace bulwark::syscalls {
namespace {

class InotifyTest : public testing::FileSyscallsTest {
 protected:
  struct Ev {
    int wd;
    uint32_t mask, cookie;
    std::string name;
  };

  int Init() {
    auto r = sys_inotify_init1(*t_, IN_NONBLOCK);
    EXPECT_TRUE(r.has_value());
    return r ? *r : -1;
  }
  int Watch(int fd, const std::string& path, uint32_t mask) {
    auto r = sys_inotify_add_watch(*t_, GuestFd{fd}, Str(path), mask);
    EXPECT_TRUE(r.has_value()) << path << ": " << (r ? "" : ErrnoName(r.error()));
    return r ? *r : -1;
  }
  std::vector<Ev> Events(int fd) {
    std::string raw = Read(fd, 2048);
    std::vector<Ev> out;
    if (raw.starts_with("error")) return out;
    for (size_t off = 0; off + sizeof(inotify_event) <= raw.size();) {
      inotify_event h;
      std::memcpy(&h, raw.data() + off, sizeof(h));
      std::string name(raw.data() + off + sizeof(h), h.len);
      name.resize(std::strlen(name.c_str()));
      out.push_back({h.wd, h.mask, h.cookie, name});
      off += sizeof(h) + h.len;
    }
    return out;
  }
  void Close(int fd) { ASSERT_TRUE(sys_close(*t_, GuestFd{fd})); }
};

TEST_F(InotifyTest, CreateWriteCloseInWatchedDirectory) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  ASSERT_TRUE(sys_mkdir(*t_, Str("/d"), 0755));
  int in = Init();
  int wd = Watch(in, "/d", IN_ALL_EVENTS);
  int f = Open("/d/file", O_CREAT | O_WRONLY);
  Write(f, "a");
  Write(f, "b");  // merged with the previous IN_MODIFY
  Close(f);
  auto ev = Events(in);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].mask, uint32_t{IN_CREATE});
  EXPECT_EQ(ev[1].mask, uint32_t{IN_OPEN});
  EXPECT_EQ(ev[2].mask, uint32_t{IN_MODIFY});
  EXPECT_EQ(ev[3].mask, uint32_t{IN_CLOSE_WRITE});
  for (const Ev& e : ev) {
    EXPECT_EQ(e.wd, wd);
    EXPECT_EQ(e.name, "file");
  }
  EXPECT_EQ(Read(in, 64), "error EAGAIN");
  Close(in);
  EXPECT_EQ(vfs::NotifyMarkCount(), 0);
}

TEST_F(InotifyTest, RenameUnlinkAndWatchEnd) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  ASSERT_TRUE(sys_mkdir(*t_, Str("/d"), 0755));
  Close(Open("/d/a", O_CREAT | O_WRONLY));
  int in = Init();
  int wd = Watch(in, "/d", IN_MOVE | IN_DELETE);
  int wf = Watch(in, "/d/a", IN_ALL_EVENTS);
  ASSERT_TRUE(sys_rename(*t_, Str("/d/a"), Str("/d/b")));
  ASSERT_TRUE(sys_unlink(*t_, Str("/d/b")));
  auto ev = Events(in);
  ASSERT_EQ(ev.size(), 7u);
  EXPECT_EQ(ev[0].mask, uint32_t{IN_MOVED_FROM});
  EXPECT_EQ(ev[0].name, "a");
  EXPECT_EQ(ev[1].mask, uint32_t{IN_MOVED_TO});
  EXPECT_EQ(ev[1].name, "b");
  EXPECT_NE(ev[0].cookie, 0u);
  EXPECT_EQ(ev[0].cookie, ev[1].cookie);
  EXPECT_EQ(ev[2].wd, wf);
  EXPECT_EQ(ev[2].mask, uint32_t{IN_MOVE_SELF});
  EXPECT_EQ(ev[3].mask, uint32_t{IN_ATTRIB});
  EXPECT_EQ(ev[4].mask, uint32_t{IN_DELETE_SELF});
  EXPECT_EQ(ev[5].mask, uint32_t{IN_IGNORED});
  EXPECT_EQ(ev[5].wd, wf);
  EXPECT_EQ(ev[6].wd, wd);
  EXPECT_EQ(ev[6].mask, uint32_t{IN_DELETE});
  EXPECT_EQ(Error(sys_inotify_rm_watch(*t_, GuestFd{in}, wf)), Errno::kEINVAL);
  ASSERT_TRUE(sys_inotify_rm_watch(*t_, GuestFd{in}, wd));
  ev = Events(in);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].mask, uint32_t{IN_IGNORED});
  EXPECT_EQ(vfs::NotifyMarkCount(), 0);
}

TEST_F(InotifyTest, ArgumentErrors) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  EXPECT_EQ(Error(sys_inotify_init1(*t_, O_RDWR)), Errno::kEINVAL);
  int in = Init();
  Close(Open("/f", O_CREAT | O_WRONLY));
  EXPECT_EQ(Error(sys_inotify_add_watch(*t_, GuestFd{in}, Str("/f"), 0)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_inotify_add_watch(*t_, GuestFd{in}, Str("/f"), IN_ONLYDIR | IN_OPEN)),
            Errno::kENOTDIR);
  EXPECT_EQ(Error(sys_inotify_add_watch(*t_, GuestFd{in}, Str("/none"), IN_OPEN)),
            Errno::kENOENT);
  EXPECT_EQ(Error(sys_inotify_add_watch(*t_, GuestFd{99}, Str("/f"), IN_OPEN)), Errno::kEBADF);
  int wd = Watch(in, "/f", IN_OPEN);
  EXPECT_EQ(Watch(in, "/f", IN_CLOSE | IN_MASK_ADD), wd);
  EXPECT_EQ(Error(sys_inotify_add_watch(*t_, GuestFd{in}, Str("/f"), IN_OPEN | IN_MASK_CREATE)),
            Errno::kEEXIST);
}

TEST_F(InotifyTest, QueueOverflow) {
  std::lock_guard<std::mutex> lock(kernel_->mu);
  int in = Init();
  int f = Open("/f", O_CREAT | O_RDWR);
  Watch(in, "/f", IN_ACCESS | IN_MODIFY);
  auto file = *t_->fds().Get(f);
  for (size_t i = 0; i < fsimpl::InotifyFile::kMaxQueuedEvents + 10; ++i)
    vfs::NotifyFile(*file, (i & 1) ? IN_ACCESS : IN_MODIFY);
  auto* ino = dynamic_cast<fsimpl::InotifyFile*>(t_->fds().Get(in)->get());
  ASSERT_NE(ino, nullptr);
  EXPECT_EQ(ino->queued_events(), fsimpl::InotifyFile::kMaxQueuedEvents + 1);
  UserPtr<int> n{Buf(4).addr};
  ASSERT_TRUE(sys_ioctl(*t_, GuestFd{in}, FIONREAD, n.addr));
  EXPECT_EQ(*t_->CopyIn(n),
            static_cast<int>((fsimpl::InotifyFile::kMaxQueuedEvents + 1) * sizeof(inotify_event)));
}

}  // namespace
}  // namespace bulwark::syscalls
