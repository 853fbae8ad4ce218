// Client and Server: operations that modify the tree, on read-write and
// read-only attach points.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "gofer/client.h"
#include "gofer/server.h"
#include "gofer/test_helpers.h"

namespace bulwark::gofer {
namespace {

using testing::ErrOf;
using testing::HostLstat;
using testing::MustAttachPoint;
using testing::ReadAll;
using testing::ServerThread;
using testing::TempDir;
using testing::WriteFile;

class MutationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(rw_ / "file", "data");
    ASSERT_EQ(::mkdir((rw_ / "dir").c_str(), 0755), 0);
    WriteFile(ro_ / "file", "ro data");
    ASSERT_EQ(::mkdir((ro_ / "dir").c_str(), 0755), 0);
    std::vector<AttachPoint> aps;
    aps.push_back(MustAttachPoint(rw_.path(), false));
    aps.push_back(MustAttachPoint(ro_.path(), true));
    server_ = std::make_unique<ServerThread>(std::move(aps));
    client_ = std::make_unique<Client>(server_->TakePeer());
    rw_root_ = client_->Attach(0).value().fid;
    ro_root_ = client_->Attach(1).value().fid;
  }
  void TearDown() override {
    client_.reset();
    EXPECT_TRUE(server_->Stop().has_value());
  }

  uint64_t WalkOk(uint64_t dir, const char* name) {
    auto w = client_->Walk(dir, name);
    EXPECT_TRUE(w.has_value()) << name;
    return w ? w->fid : 0;
  }

  TempDir rw_;
  TempDir ro_;
  std::unique_ptr<ServerThread> server_;
  std::unique_ptr<Client> client_;
  uint64_t rw_root_ = 0;
  uint64_t ro_root_ = 0;
};

TEST_F(MutationsTest, CreateSetsExactModeAndOwner) {
  mode_t old_umask = ::umask(022);
  auto created = client_->Create(rw_root_, "new", O_RDWR, 0666, 1234, 5678);
  ::umask(old_umask);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->stat.mode, S_IFREG | 0666u);
  EXPECT_EQ(created->stat.uid, 1234u);
  EXPECT_EQ(created->stat.gid, 5678u);
  ASSERT_EQ(::write(created->fd.get(), "xyz", 3), 3);
  struct stat st = HostLstat(rw_ / "new");
  EXPECT_EQ(st.st_mode, S_IFREG | 0666u);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_size, 3);
  EXPECT_EQ(st.st_ino, created->stat.ino);

  auto reopened = client_->Open(created->fid, O_RDONLY);
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(ReadAll(reopened->get()), "xyz");

  EXPECT_EQ(ErrOf(client_->Create(rw_root_, "new", O_RDWR, 0644, 0, 0)), Errno::kEEXIST);
  EXPECT_EQ(ErrOf(client_->Create(rw_root_, "file", O_RDWR, 0644, 0, 0)), Errno::kEEXIST);
  EXPECT_EQ(ErrOf(client_->Create(rw_root_, "..", O_RDWR, 0644, 0, 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(client_->Create(rw_root_, "x", O_RDWR | O_DIRECTORY, 0644, 0, 0)),
            Errno::kEINVAL);
  EXPECT_EQ(ErrOf(client_->Create(rw_root_, "x", O_RDWR, 010644, 0, 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(client_->Create(created->fid, "x", O_RDWR, 0644, 0, 0)), Errno::kENOTDIR);
}

TEST_F(MutationsTest, SetuidBitSurvivesChown) {
  auto created = client_->Create(rw_root_, "suid", O_WRONLY, 04755, 1000, 1000);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(HostLstat(rw_ / "suid").st_mode, S_IFREG | 04755u);
}

TEST_F(MutationsTest, MkdirAndRmdir) {
  auto made = client_->Mkdir(rw_root_, "newdir", 0750, 42, 43);
  ASSERT_TRUE(made.has_value());
  EXPECT_EQ(made->stat.mode, S_IFDIR | 0750u);
  EXPECT_EQ(made->stat.uid, 42u);
  EXPECT_EQ(made->stat.gid, 43u);
  struct stat st = HostLstat(rw_ / "newdir");
  EXPECT_EQ(st.st_mode, S_IFDIR | 0750u);
  EXPECT_EQ(st.st_uid, 42u);
  // The new fid is usable as a directory.
  auto inner = client_->Create(made->fid, "inner", O_WRONLY, 0600, 0, 0);
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(ErrOf(client_->Mkdir(rw_root_, "newdir", 0755, 0, 0)), Errno::kEEXIST);
  EXPECT_EQ(ErrOf(client_->Unlink(rw_root_, "newdir", AT_REMOVEDIR)), Errno::kENOTEMPTY);
  EXPECT_TRUE(client_->Unlink(made->fid, "inner", 0).has_value());
  EXPECT_EQ(ErrOf(client_->Unlink(rw_root_, "newdir", 0)), Errno::kEISDIR);
  EXPECT_TRUE(client_->Unlink(rw_root_, "newdir", AT_REMOVEDIR).has_value());
  EXPECT_NE(::access((rw_ / "newdir").c_str(), F_OK), 0);
  EXPECT_EQ(ErrOf(client_->Unlink(rw_root_, "file", 0x1234)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(client_->Unlink(rw_root_, "missing", 0)), Errno::kENOENT);
}

TEST_F(MutationsTest, SymlinkAndLink) {
  auto link = client_->Symlink(rw_root_, "sl", "../../../etc/shadow", 7, 8);
  ASSERT_TRUE(link.has_value());
  EXPECT_TRUE(S_ISLNK(link->stat.mode));
  EXPECT_EQ(link->stat.uid, 7u);
  EXPECT_EQ(client_->ReadLink(link->fid).value(), "../../../etc/shadow");
  char buf[64] = {};
  ASSERT_GT(::readlink((rw_ / "sl").c_str(), buf, sizeof(buf) - 1), 0);
  EXPECT_STREQ(buf, "../../../etc/shadow");
  EXPECT_EQ(HostLstat(rw_ / "sl").st_uid, 7u);
  EXPECT_EQ(ErrOf(client_->Symlink(rw_root_, "sl2", "", 0, 0)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(client_->Symlink(rw_root_, "sl2", std::string(5000, 'a'), 0, 0)),
            Errno::kENAMETOOLONG);

  uint64_t file = WalkOk(rw_root_, "file");
  auto linked = client_->Link(rw_root_, "hard", file);
  ASSERT_TRUE(linked.has_value());
  EXPECT_EQ(linked->nlink, 2u);
  EXPECT_EQ(HostLstat(rw_ / "hard").st_ino, HostLstat(rw_ / "file").st_ino);
  uint64_t dir = WalkOk(rw_root_, "dir");
  EXPECT_EQ(ErrOf(client_->Link(rw_root_, "dirlink", dir)), Errno::kEPERM);
  // The hard link to a symlink is the symlink itself.
  auto link2 = client_->Link(rw_root_, "sl_hard", link->fid);
  ASSERT_TRUE(link2.has_value());
  EXPECT_TRUE(S_ISLNK(HostLstat(rw_ / "sl_hard").st_mode));
  uint64_t ro_file = WalkOk(ro_root_, "file");
  EXPECT_EQ(ErrOf(client_->Link(rw_root_, "cross", ro_file)), Errno::kEXDEV);
}

TEST_F(MutationsTest, RenameKeepsFidsUsable) {
  uint64_t file = WalkOk(rw_root_, "file");
  uint64_t dir = WalkOk(rw_root_, "dir");
  EXPECT_TRUE(client_->Rename(rw_root_, "file", dir, "moved", 0).has_value());
  EXPECT_NE(::access((rw_ / "file").c_str(), F_OK), 0);
  EXPECT_EQ(::access((rw_ / "dir/moved").c_str(), F_OK), 0);
  auto fd = client_->Open(file, O_RDONLY);
  ASSERT_TRUE(fd.has_value());
  EXPECT_EQ(ReadAll(fd->get()), "data");

  WriteFile(rw_ / "other", "other");
  uint64_t other = WalkOk(rw_root_, "other");
  EXPECT_EQ(ErrOf(client_->Rename(rw_root_, "other", dir, "moved", RENAME_NOREPLACE)),
            Errno::kEEXIST);
  EXPECT_TRUE(client_->Rename(rw_root_, "other", dir, "moved", RENAME_EXCHANGE).has_value());
  auto fd_file = client_->Open(file, O_RDONLY);
  auto fd_other = client_->Open(other, O_RDONLY);
  ASSERT_TRUE(fd_file.has_value() && fd_other.has_value());
  EXPECT_EQ(ReadAll(fd_file->get()), "data");
  EXPECT_EQ(ReadAll(fd_other->get()), "other");

  EXPECT_EQ(ErrOf(client_->Rename(rw_root_, "other", ro_root_, "x", 0)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Rename(rw_root_, "other", rw_root_, "x", RENAME_WHITEOUT)),
            Errno::kEINVAL);
  EXPECT_EQ(ErrOf(client_->Rename(rw_root_, "..", rw_root_, "x", 0)), Errno::kEINVAL);
}

TEST_F(MutationsTest, SetAttr) {
  uint64_t file = WalkOk(rw_root_, "file");
  SetAttr attr;
  attr.mask = SetAttr::kMode | SetAttr::kUid | SetAttr::kGid | SetAttr::kSize |
              SetAttr::kAtime | SetAttr::kMtime;
  attr.mode = 0600;
  attr.uid = 99;
  attr.gid = 98;
  attr.size = 2;
  attr.atime = {1000, 5};
  attr.mtime = {2000, 7};
  auto st = client_->SetAttr(file, attr);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->mode, S_IFREG | 0600u);
  EXPECT_EQ(st->uid, 99u);
  EXPECT_EQ(st->gid, 98u);
  EXPECT_EQ(st->size, 2u);
  EXPECT_EQ(st->atime.tv_sec, 1000);
  EXPECT_EQ(st->atime.tv_nsec, 5);
  EXPECT_EQ(st->mtime.tv_sec, 2000);
  EXPECT_EQ(st->mtime.tv_nsec, 7);
  struct stat host = HostLstat(rw_ / "file");
  EXPECT_EQ(host.st_mode, S_IFREG | 0600u);
  EXPECT_EQ(host.st_size, 2);
  EXPECT_EQ(host.st_mtim.tv_sec, 2000);

  SetAttr now;
  now.mask = SetAttr::kMtimeNow;
  auto touched = client_->SetAttr(file, now);
  ASSERT_TRUE(touched.has_value());
  EXPECT_GT(touched->mtime.tv_sec, 2000);
  EXPECT_EQ(touched->atime.tv_sec, 1000);

  // Symlinks: owner and times yes, mode no.
  auto link = client_->Symlink(rw_root_, "sl", "file", 0, 0);
  ASSERT_TRUE(link.has_value());
  SetAttr chown;
  chown.mask = SetAttr::kUid;
  chown.uid = 5;
  EXPECT_EQ(client_->SetAttr(link->fid, chown).value().uid, 5u);
  EXPECT_EQ(HostLstat(rw_ / "file").st_uid, 99u);
  SetAttr chmod;
  chmod.mask = SetAttr::kMode;
  chmod.mode = 0600;
  EXPECT_EQ(ErrOf(client_->SetAttr(link->fid, chmod)), Errno::kEOPNOTSUPP);

  uint64_t dir = WalkOk(rw_root_, "dir");
  chmod.mode = 0711;
  EXPECT_EQ(client_->SetAttr(dir, chmod).value().mode, S_IFDIR | 0711u);
  SetAttr trunc;
  trunc.mask = SetAttr::kSize;
  EXPECT_EQ(ErrOf(client_->SetAttr(dir, trunc)), Errno::kEISDIR);
  trunc.mask = 1u << 20;
  EXPECT_EQ(ErrOf(client_->SetAttr(file, trunc)), Errno::kEINVAL);
}

TEST_F(MutationsTest, MknodIsRefused) {
  EXPECT_EQ(ErrOf(client_->Mknod(rw_root_, "fifo", S_IFIFO | 0644, 0, 0, 0)), Errno::kEPERM);
  EXPECT_EQ(ErrOf(client_->Mknod(ro_root_, "fifo", S_IFIFO | 0644, 0, 0, 0)), Errno::kEROFS);
}

TEST_F(MutationsTest, ReadOnlyAttachPointRefusesWrites) {
  uint64_t file = WalkOk(ro_root_, "file");
  uint64_t dir = WalkOk(ro_root_, "dir");
  EXPECT_EQ(ErrOf(client_->Create(ro_root_, "new", O_RDWR, 0644, 0, 0)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Mkdir(ro_root_, "new", 0755, 0, 0)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Symlink(ro_root_, "new", "x", 0, 0)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Link(ro_root_, "new", file)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Unlink(ro_root_, "file", 0)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Unlink(ro_root_, "dir", AT_REMOVEDIR)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Rename(ro_root_, "file", dir, "moved", 0)), Errno::kEROFS);
  SetAttr attr;
  attr.mask = SetAttr::kMode;
  attr.mode = 0600;
  EXPECT_EQ(ErrOf(client_->SetAttr(file, attr)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Open(file, O_WRONLY)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Open(file, O_RDWR)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Open(file, O_RDONLY | O_TRUNC)), Errno::kEROFS);
  auto fd = client_->Open(file, O_RDONLY);
  ASSERT_TRUE(fd.has_value());
  EXPECT_EQ(ReadAll(fd->get()), "ro data");
  // Nothing changed on the host.
  EXPECT_EQ(HostLstat(ro_ / "file").st_mode, S_IFREG | 0644u);
  EXPECT_EQ(::access((ro_ / "new").c_str(), F_OK), -1);
}

}  // namespace
}  // namespace bulwark::gofer
