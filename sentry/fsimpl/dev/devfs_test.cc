#include "sentry/fsimpl/dev/devfs.h"

#include <sys/sysmacros.h>

#include "sentry/fsimpl/memfs/fs_test_util.h"

namespace bulwark::fsimpl::dev {
namespace {

class DevFsTest : public testing::FsTest {
 protected:
  SysResult<std::shared_ptr<vfs::FileDescription>> OpenDev(const std::string& name, int flags) {
    std::shared_ptr<vfs::Inode> inode = TRY(root_->Lookup(name));
    vfs::Path p{nullptr, std::make_shared<vfs::Dentry>(name, nullptr, inode)};
    return inode->Open(task(), p, flags);
  }

  std::shared_ptr<vfs::Inode> root_ = *CreateDevFs({});
};

TEST_F(DevFsTest, Nodes) {
  struct Want {
    const char* name;
    unsigned major, minor;
  };
  for (Want w : {Want{"null", 1, 3}, Want{"zero", 1, 5}, Want{"full", 1, 7},
                 Want{"random", 1, 8}, Want{"urandom", 1, 9}, Want{"tty", 5, 0}}) {
    vfs::Stat st = *(*root_->Lookup(w.name))->GetStat();
    EXPECT_EQ(st.mode, S_IFCHR | 0666u) << w.name;
    EXPECT_EQ(st.rdev, makedev(w.major, w.minor)) << w.name;
  }
  EXPECT_EQ(*(*root_->Lookup("fd"))->Readlink(), "/proc/self/fd");
  EXPECT_EQ(*(*root_->Lookup("stdin"))->Readlink(), "/proc/self/fd/0");
  EXPECT_EQ(*(*root_->Lookup("stderr"))->Readlink(), "/proc/self/fd/2");
  EXPECT_EQ((*root_->Lookup("shm"))->GetStat()->mode, S_IFDIR | 01777u);
  EXPECT_EQ(root_->GetStat()->mode, S_IFDIR | 0755u);
}

TEST_F(DevFsTest, NullZeroFull) {
  auto null = *OpenDev("null", O_RDWR);
  EXPECT_EQ(*Write(*null, task(), "gone", 0), 4u);
  EXPECT_EQ(*Read(*null, task(), 10, 0), "");
  EXPECT_EQ(*null->Seek(task(), 100, SEEK_SET), 0u);

  auto zero = *OpenDev("zero", O_RDWR);
  EXPECT_EQ(*Read(*zero, task(), 5, 0), std::string(5, '\0'));
  EXPECT_EQ(*Write(*zero, task(), "gone", 0), 4u);

  auto full = *OpenDev("full", O_RDWR);
  EXPECT_EQ(Write(*full, task(), "x", 0).error(), Errno::kENOSPC);
  EXPECT_EQ(*Read(*full, task(), 3, 0), std::string(3, '\0'));
}

TEST_F(DevFsTest, Random) {
  for (const char* name : {"random", "urandom"}) {
    auto f = *OpenDev(name, O_RDONLY);
    std::string a = *Read(*f, task(), 64, 0), b = *Read(*f, task(), 64, 0);
    EXPECT_EQ(a.size(), 64u);
    EXPECT_NE(a, b);
  }
}

TEST_F(DevFsTest, TtyWithoutTerminal) {
  EXPECT_EQ(OpenDev("tty", O_RDWR).error(), Errno::kENXIO);
}

TEST_F(DevFsTest, OpenerServesOtherMemFs) {
  int fifo_opens = 0;
  DevOptions opts;
  opts.open_fifo = [&](kernel::Task&, const vfs::Path&, int flags, uint64_t rdev)
      -> SysResult<std::shared_ptr<vfs::FileDescription>> {
    ++fifo_opens;
    return Err(Errno::kEAGAIN);
  };
  memfs::MemFsOptions mo;
  mo.open_special = DeviceOpener(opts);
  auto tmp = memfs::CreateMemFs(mo);
  kernel::Credentials root;
  auto null = *tmp->Mknod("mynull", S_IFCHR | 0600, makedev(1, 3), root);
  vfs::Path p{nullptr, std::make_shared<vfs::Dentry>("mynull", nullptr, null)};
  auto f = *null->Open(task(), p, O_WRONLY);
  EXPECT_EQ(*Write(*f, task(), "abc", 0), 3u);
  auto fifo = *tmp->Mknod("fifo", S_IFIFO | 0600, 0, root);
  vfs::Path fp{nullptr, std::make_shared<vfs::Dentry>("fifo", nullptr, fifo)};
  EXPECT_EQ(fifo->Open(task(), fp, O_RDONLY).error(), Errno::kEAGAIN);
  EXPECT_EQ(fifo_opens, 1);
  auto unknown = *tmp->Mknod("mem", S_IFCHR | 0600, makedev(1, 1), root);
  vfs::Path up{nullptr, std::make_shared<vfs::Dentry>("mem", nullptr, unknown)};
  EXPECT_EQ(unknown->Open(task(), up, O_RDONLY).error(), Errno::kENXIO);
}

}  // namespace
}  // namespace bulwark::fsimpl::dev
