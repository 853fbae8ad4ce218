#include "sentry/vfs/ops.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "sentry/vfs/permission.h"
#include "sentry/vfs/test_fs.h"

namespace bulwark::vfs {
namespace {

using testing::TestInode;
using testing::TestTree;

kernel::Credentials User(uint32_t uid) {
  kernel::Credentials c;
  c.ruid = c.euid = c.suid = c.fsuid = uid;
  c.rgid = c.egid = c.sgid = c.fsgid = uid;
  return c;
}

class OpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = tree_.root_ino->AddDir("dir");
    d->AddFile("f", 0644, 0, 100);
    d->AddDir("sub");
    tree_.root_ino->AddDir("empty");
    tree_.root_ino->AddFile("file", 0644, 0, 10);
    tree_.root_ino->AddLink("link", "file");
    tree_.root_ino->AddLink("dangling", "created");
    tree_.root_ino->AddDir("mnt");
    tree_.root_ino->AddDir("ro");
    ro_ = tree_.MountAt("/ro", MS_RDONLY);
    ro_->AddFile("f");
    other_ = tree_.MountAt("/mnt");
    other_->AddFile("x");
  }

  Errno Error(SysResult<void> r) { return r ? Errno{} : r.error(); }
  template <typename T>
  Errno Error(const SysResult<T>& r) {
    return r ? Errno{} : r.error();
  }
  bool Exists(const std::string& path) { return Resolve(tree_.Ctx(), path, 0).has_value(); }

  TestTree tree_;
  std::shared_ptr<TestInode> ro_, other_;
};

TEST_F(OpsTest, Mkdir) {
  ResolveContext ctx = tree_.Ctx();
  ctx.umask = 022;
  ASSERT_TRUE(Mkdir(ctx, "newdir/", 0777));
  EXPECT_EQ(Resolve(ctx, "newdir", 0)->ino().GetStat()->mode, S_IFDIR | 0755u);
  EXPECT_EQ(Error(Mkdir(ctx, "newdir", 0777)), Errno::kEEXIST);
  EXPECT_EQ(Error(Mkdir(ctx, "file", 0777)), Errno::kEEXIST);
  EXPECT_EQ(Error(Mkdir(ctx, "dir/.", 0777)), Errno::kEEXIST);
  EXPECT_EQ(Error(Mkdir(ctx, "/", 0777)), Errno::kEEXIST);
  EXPECT_EQ(Error(Mkdir(ctx, "nope/x", 0777)), Errno::kENOENT);
  EXPECT_EQ(Error(Mkdir(ctx, "file/x", 0777)), Errno::kENOTDIR);
  EXPECT_EQ(Error(Mkdir(ctx, "ro/x", 0777)), Errno::kEROFS);
  EXPECT_EQ(Error(Mkdir(ctx, "ro/f", 0777)), Errno::kEEXIST);  // EEXIST beats EROFS
  kernel::Credentials user = User(1000);
  EXPECT_EQ(Error(Mkdir(tree_.Ctx(&user), "dir/x", 0777)), Errno::kEACCES);
}

TEST_F(OpsTest, Mknod) {
  ResolveContext ctx = tree_.Ctx();
  ASSERT_TRUE(Mknod(ctx, "fifo", S_IFIFO | 0600, 0));
  EXPECT_EQ(Resolve(ctx, "fifo", 0)->ino().type(), static_cast<uint32_t>(S_IFIFO));
  ASSERT_TRUE(Mknod(ctx, "plain", 0600, 0));
  EXPECT_TRUE(Resolve(ctx, "plain", 0)->ino().IsRegular());
  EXPECT_EQ(Error(Mknod(ctx, "d", S_IFDIR | 0700, 0)), Errno::kEPERM);
  EXPECT_EQ(Error(Mknod(ctx, "bad", 0170000, 0)), Errno::kEINVAL);
  kernel::Credentials user = User(0);
  ResolveContext uctx = tree_.Ctx(&user);
  EXPECT_EQ(Error(Mknod(uctx, "null", S_IFCHR | 0666, 0x103)), Errno::kEPERM);
  user.cap_effective = uint64_t{1} << CAP_MKNOD;
  EXPECT_TRUE(Mknod(uctx, "null", S_IFCHR | 0666, 0x103));
  EXPECT_EQ(Resolve(ctx, "null", 0)->ino().GetStat()->rdev, 0x103u);
  EXPECT_EQ(Error(Mknod(ctx, "x/", S_IFIFO, 0)), Errno::kENOENT);
}

TEST_F(OpsTest, UnlinkAndRmdir) {
  ResolveContext ctx = tree_.Ctx();
  EXPECT_EQ(Error(Unlink(ctx, "dir")), Errno::kEISDIR);
  EXPECT_EQ(Error(Unlink(ctx, "file/")), Errno::kENOTDIR);
  EXPECT_EQ(Error(Unlink(ctx, "dir/")), Errno::kEISDIR);
  EXPECT_EQ(Error(Unlink(ctx, ".")), Errno::kEISDIR);
  EXPECT_EQ(Error(Unlink(ctx, "nope")), Errno::kENOENT);
  EXPECT_EQ(Error(Unlink(ctx, "ro/nope")), Errno::kEROFS);
  ASSERT_TRUE(Unlink(ctx, "link"));  // the link, not its target
  EXPECT_TRUE(Exists("file"));
  EXPECT_FALSE(Exists("link"));

  EXPECT_EQ(Error(Rmdir(ctx, "dir")), Errno::kENOTEMPTY);
  EXPECT_EQ(Error(Rmdir(ctx, "file")), Errno::kENOTDIR);
  EXPECT_EQ(Error(Rmdir(ctx, "dir/.")), Errno::kEINVAL);
  EXPECT_EQ(Error(Rmdir(ctx, "dir/..")), Errno::kENOTEMPTY);
  EXPECT_EQ(Error(Rmdir(ctx, "/")), Errno::kEBUSY);
  EXPECT_EQ(Error(Rmdir(ctx, "mnt")), Errno::kEBUSY);
  Path empty = *Resolve(ctx, "empty", 0);
  ASSERT_TRUE(Rmdir(ctx, "empty/"));
  EXPECT_TRUE(empty.dentry->dead());
  EXPECT_EQ(tree_.PathOf(empty), "/empty (deleted)");
  // Nothing can be created in or found under a removed directory.
  ResolveContext in_removed = ctx;
  in_removed.start = empty;
  EXPECT_EQ(Error(Mkdir(in_removed, "x", 0777)), Errno::kENOENT);
  EXPECT_EQ(Error(Resolve(in_removed, "x", 0)), Errno::kENOENT);
}

TEST_F(OpsTest, StickyDirectory) {
  auto tmp = tree_.root_ino->AddDir("tmp", 01777);
  auto theirs = tmp->AddFile("theirs", 0666, 1000);
  kernel::Credentials user = User(2000);
  EXPECT_EQ(Error(Unlink(tree_.Ctx(&user), "/tmp/theirs")), Errno::kEPERM);
  kernel::Credentials owner = User(1000);
  EXPECT_TRUE(Unlink(tree_.Ctx(&owner), "/tmp/theirs"));
}

TEST_F(OpsTest, Rename) {
  ResolveContext ctx = tree_.Ctx();
  Path f = *Resolve(ctx, "dir/f", 0);
  ASSERT_TRUE(Rename(ctx, "dir/f", ctx, "moved", 0));
  EXPECT_EQ(tree_.PathOf(f), "/moved");  // the dentry moved with it
  EXPECT_FALSE(f.dentry->dead());
  EXPECT_TRUE(Exists("moved"));
  EXPECT_FALSE(Exists("dir/f"));

  Path file = *Resolve(ctx, "file", 0);
  ASSERT_TRUE(Rename(ctx, "moved", ctx, "file", 0));  // replaces
  EXPECT_TRUE(file.dentry->dead());
  EXPECT_EQ(tree_.PathOf(f), "/file");

  EXPECT_EQ(Error(Rename(ctx, "dir", ctx, "dir/sub/x", 0)), Errno::kEINVAL);
  EXPECT_EQ(Error(Rename(ctx, "dir", ctx, "dir", 0)), Errno{});
  EXPECT_EQ(Error(Rename(ctx, "dir/sub", ctx, "dir", 0)), Errno::kENOTEMPTY);
  EXPECT_EQ(Error(Rename(ctx, "file", ctx, "mnt/x", 0)), Errno::kEXDEV);
  EXPECT_EQ(Error(Rename(ctx, "file", ctx, "dir", 0)), Errno::kEISDIR);
  EXPECT_EQ(Error(Rename(ctx, "dir", ctx, "file", 0)), Errno::kENOTDIR);
  EXPECT_EQ(Error(Rename(ctx, "dir/sub", ctx, "dir/..", 0)), Errno::kEBUSY);
  EXPECT_EQ(Error(Rename(ctx, "dir/sub", ctx, "dir/..", RENAME_NOREPLACE)), Errno::kEEXIST);
  EXPECT_EQ(Error(Rename(ctx, "nope", ctx, "x", 0)), Errno::kENOENT);
  EXPECT_EQ(Error(Rename(ctx, "file/", ctx, "x", 0)), Errno::kENOTDIR);
  EXPECT_EQ(Error(Rename(ctx, "file", ctx, "dangling", RENAME_NOREPLACE)), Errno::kEEXIST);
  EXPECT_EQ(Error(Rename(ctx, "mnt", ctx, "elsewhere", 0)), Errno::kEBUSY);
  EXPECT_EQ(Error(Rename(ctx, "ro/f", ctx, "ro/g", 0)), Errno::kEROFS);
  EXPECT_EQ(Error(Rename(ctx, "file", ctx, "x", RENAME_EXCHANGE)), Errno::kENOENT);
  EXPECT_EQ(Error(Rename(ctx, "file", ctx, "x", RENAME_EXCHANGE | RENAME_NOREPLACE)),
            Errno::kEINVAL);
  EXPECT_EQ(Error(Rename(ctx, "file", ctx, "x", 0x100)), Errno::kEINVAL);
}

TEST_F(OpsTest, RenameExchange) {
  ResolveContext ctx = tree_.Ctx();
  Path file = *Resolve(ctx, "file", 0);
  Path dir = *Resolve(ctx, "dir", 0);
  ASSERT_TRUE(Rename(ctx, "file", ctx, "dir", RENAME_EXCHANGE));
  EXPECT_EQ(tree_.PathOf(file), "/dir");
  EXPECT_EQ(tree_.PathOf(dir), "/file");
  EXPECT_TRUE(Resolve(ctx, "file/sub", 0).has_value());
}

TEST_F(OpsTest, LinkAndSymlink) {
  ResolveContext ctx = tree_.Ctx();
  Path file = *Resolve(ctx, "file", 0);
  ASSERT_TRUE(Link(file, ctx, "hard"));
  EXPECT_EQ(Resolve(ctx, "hard", 0)->dentry->inode(), file.dentry->inode());
  EXPECT_EQ(file.ino().GetStat()->nlink, 2u);
  EXPECT_EQ(Error(Link(file, ctx, "hard")), Errno::kEEXIST);
  EXPECT_EQ(Error(Link(file, ctx, "mnt/y")), Errno::kEXDEV);
  EXPECT_EQ(Error(Link(*Resolve(ctx, "dir", 0), ctx, "d2")), Errno::kEPERM);
  EXPECT_EQ(Error(Link(file, ctx, "h2/")), Errno::kENOENT);
  // protected_hardlinks: another user's file that we cannot write.
  kernel::Credentials user = User(1000);
  auto pub = tree_.root_ino->AddDir("pub", 0777);
  EXPECT_EQ(Error(Link(file, tree_.Ctx(&user), "pub/h")), Errno::kEPERM);

  ASSERT_TRUE(Symlink("dir/f", ctx, "sym"));
  EXPECT_EQ(*Readlink(*Resolve(ctx, "sym", 0)), "dir/f");
  EXPECT_EQ(Error(Symlink("", ctx, "sym2")), Errno::kENOENT);
  EXPECT_EQ(Error(Symlink("x", ctx, "sym")), Errno::kEEXIST);
  EXPECT_EQ(Error(Readlink(file)), Errno::kEINVAL);
}

TEST_F(OpsTest, OpenCreate) {
  ResolveContext ctx = tree_.Ctx();
  ctx.umask = 077;
  auto p = PrepareOpen(ctx, "new", O_CREAT | O_WRONLY | O_EXCL, 0666);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->created);
  EXPECT_EQ(p->path.ino().GetStat()->mode, S_IFREG | 0600u);
  EXPECT_EQ(p->flags & (O_CREAT | O_EXCL), 0);
  EXPECT_EQ(Error(PrepareOpen(ctx, "new", O_CREAT | O_EXCL, 0666)), Errno::kEEXIST);
  EXPECT_EQ(Error(PrepareOpen(ctx, "link", O_CREAT | O_EXCL, 0666)), Errno::kEEXIST);
  EXPECT_FALSE(PrepareOpen(ctx, "new", O_CREAT, 0666)->created);
  EXPECT_EQ(Error(PrepareOpen(ctx, "dir", O_CREAT, 0666)), Errno::kEISDIR);
  EXPECT_EQ(Error(PrepareOpen(ctx, "dir/", O_CREAT, 0666)), Errno::kEISDIR);
  EXPECT_EQ(Error(PrepareOpen(ctx, "newdir/", O_CREAT, 0666)), Errno::kEISDIR);
  EXPECT_EQ(Error(PrepareOpen(ctx, "x", O_CREAT | O_DIRECTORY, 0666)), Errno::kEINVAL);
  EXPECT_EQ(Error(PrepareOpen(ctx, "ro/new", O_CREAT | O_RDONLY, 0666)), Errno::kEROFS);
  EXPECT_TRUE(PrepareOpen(ctx, "ro/f", O_CREAT | O_RDONLY, 0666));  // exists: fine
  EXPECT_EQ(Error(PrepareOpen(ctx, "t", O_TMPFILE | O_RDWR, 0600)), Errno::kEOPNOTSUPP);
  // A dangling symlink creates its target...
  p = PrepareOpen(ctx, "dangling", O_CREAT | O_RDWR, 0644);
  ASSERT_TRUE(p);
  EXPECT_EQ(tree_.PathOf(p->path), "/created");
  // ...unless O_EXCL or O_NOFOLLOW.
  EXPECT_EQ(Error(PrepareOpen(ctx, "dangling", O_CREAT | O_EXCL, 0644)), Errno::kEEXIST);
  // A creator needs no permission on the new file.
  kernel::Credentials user = User(1000);
  tree_.root_ino->AddDir("home", 0755, 1000);
  auto q = PrepareOpen(tree_.Ctx(&user), "/home/f", O_CREAT | O_RDWR, 0);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->path.ino().GetStat()->uid, 1000u);
  EXPECT_EQ(Error(PrepareOpen(tree_.Ctx(&user), "/dir/g", O_CREAT | O_RDWR, 0)), Errno::kEACCES);
}

TEST_F(OpsTest, OpenExisting) {
  ResolveContext ctx = tree_.Ctx();
  EXPECT_EQ(Error(PrepareOpen(ctx, "dir", O_WRONLY, 0)), Errno::kEISDIR);
  EXPECT_EQ(Error(PrepareOpen(ctx, "dir", O_RDONLY | O_TRUNC, 0)), Errno::kEISDIR);
  EXPECT_TRUE(PrepareOpen(ctx, "dir", O_RDONLY | O_DIRECTORY, 0));
  EXPECT_EQ(Error(PrepareOpen(ctx, "file", O_RDONLY | O_DIRECTORY, 0)), Errno::kENOTDIR);
  EXPECT_EQ(Error(PrepareOpen(ctx, "link", O_RDONLY | O_NOFOLLOW, 0)), Errno::kELOOP);
  auto p = PrepareOpen(ctx, "link", O_PATH | O_NOFOLLOW, 0);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->path.ino().IsSymlink());
  EXPECT_EQ(tree_.PathOf(PrepareOpen(ctx, "link", O_RDONLY, 0)->path), "/file");
  EXPECT_EQ(Error(PrepareOpen(ctx, "ro/f", O_WRONLY, 0)), Errno::kEROFS);
  EXPECT_EQ(Error(PrepareOpen(ctx, "ro/f", O_RDONLY | O_TRUNC, 0)), Errno::kEROFS);
  EXPECT_TRUE(PrepareOpen(ctx, "ro/f", O_RDONLY, 0));
  // Device nodes stay writable on a read-only mount.
  ro_->Mknod("null", S_IFCHR | 0666, 0x103, kernel::Credentials{});
  EXPECT_TRUE(PrepareOpen(ctx, "ro/null", O_WRONLY, 0));

  auto f = std::static_pointer_cast<TestInode>(Resolve(ctx, "file", 0)->dentry->inode());
  EXPECT_EQ(f->st().size, 10u);
  ASSERT_TRUE(PrepareOpen(ctx, "file", O_WRONLY | O_TRUNC, 0));
  EXPECT_EQ(f->st().size, 0u);

  kernel::Credentials user = User(1000);
  EXPECT_TRUE(PrepareOpen(tree_.Ctx(&user), "file", O_RDONLY, 0));
  EXPECT_EQ(Error(PrepareOpen(tree_.Ctx(&user), "file", O_RDWR, 0)), Errno::kEACCES);
  EXPECT_EQ(Error(PrepareOpen(tree_.Ctx(&user), "file", O_RDONLY | O_NOATIME, 0)),
            Errno::kEPERM);
  // O_PATH needs no permission on the file itself.
  f->st().mode = S_IFREG;
  EXPECT_TRUE(PrepareOpen(tree_.Ctx(&user), "file", O_PATH, 0));
  EXPECT_EQ(Error(PrepareOpen(tree_.Ctx(&user), "file", O_RDONLY, 0)), Errno::kEACCES);
}

TEST(PermissionTest, Rules) {
  Stat st;
  st.mode = S_IFREG | 0640;
  st.uid = 1000;
  st.gid = 100;
  kernel::Credentials owner = User(1000);
  EXPECT_TRUE(CheckPermission(st, owner, kMayRead | kMayWrite));
  EXPECT_FALSE(CheckPermission(st, owner, kMayExec));
  kernel::Credentials member = User(2000);
  member.groups = {100};
  EXPECT_TRUE(CheckPermission(st, member, kMayRead));
  EXPECT_FALSE(CheckPermission(st, member, kMayWrite));
  kernel::Credentials other = User(3000);
  EXPECT_FALSE(CheckPermission(st, other, kMayRead));
  // The owner class applies to the owner even when others may do more.
  st.mode = S_IFREG | 0077;
  EXPECT_FALSE(CheckPermission(st, owner, kMayRead));
  EXPECT_TRUE(CheckPermission(st, other, kMayRead));

  kernel::Credentials root = User(0);
  root.cap_effective = uint64_t{1} << CAP_DAC_OVERRIDE;
  st.mode = S_IFREG | 0;
  EXPECT_TRUE(CheckPermission(st, root, kMayRead | kMayWrite));
  EXPECT_FALSE(CheckPermission(st, root, kMayExec));  // needs some x bit
  st.mode = S_IFREG | 0100;
  EXPECT_TRUE(CheckPermission(st, root, kMayExec));
  st.mode = S_IFDIR;
  EXPECT_TRUE(CheckPermission(st, root, kMayExec | kMayWrite));
  kernel::Credentials reader = User(5);
  reader.cap_effective = uint64_t{1} << CAP_DAC_READ_SEARCH;
  EXPECT_TRUE(CheckPermission(st, reader, kMayExec | kMayRead));
  EXPECT_FALSE(CheckPermission(st, reader, kMayWrite));
  st.mode = S_IFREG;
  EXPECT_TRUE(CheckPermission(st, reader, kMayRead));
  EXPECT_FALSE(CheckPermission(st, reader, kMayRead | kMayWrite));
}

TEST(SetAttrTest, Rules) {
  using R = SetStatRequest;
  Stat st;
  st.mode = S_IFREG | 06755;
  st.uid = 1000;
  st.gid = 100;
  kernel::Credentials owner = User(1000);
  kernel::Credentials other = User(2000);

  R chmod{.mask = R::kMode, .mode = 02755};
  EXPECT_EQ(CheckSetAttr(st, nullptr, other, chmod).error(), Errno::kEPERM);
  // Not in the file's group: setgid is dropped.
  EXPECT_EQ(CheckSetAttr(st, nullptr, owner, chmod)->mode, 0755u);
  kernel::Credentials member = owner;
  member.groups = {100};
  EXPECT_EQ(CheckSetAttr(st, nullptr, member, chmod)->mode, 02755u);

  R chown{.mask = R::kUid, .uid = 2000};
  EXPECT_EQ(CheckSetAttr(st, nullptr, owner, chown).error(), Errno::kEPERM);
  kernel::Credentials root = User(0);
  root.cap_effective = uint64_t{1} << CAP_CHOWN;
  auto r = CheckSetAttr(st, nullptr, root, chown);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->mask & R::kMode);  // setuid and setgid (group-exec) dropped
  EXPECT_EQ(r->mode, 0755u);
  R chgrp{.mask = R::kGid, .gid = 100};
  EXPECT_TRUE(CheckSetAttr(st, nullptr, member, chgrp));
  chgrp.gid = 7;
  EXPECT_EQ(CheckSetAttr(st, nullptr, member, chgrp).error(), Errno::kEPERM);

  R touch{.mask = R::kAtimeNow | R::kMtimeNow};
  st.mode = S_IFREG | 0666;
  EXPECT_TRUE(CheckSetAttr(st, nullptr, other, touch));
  st.mode = S_IFREG | 0644;
  EXPECT_EQ(CheckSetAttr(st, nullptr, other, touch).error(), Errno::kEACCES);
  R explicit_times{.mask = R::kAtime | R::kMtime};
  EXPECT_EQ(CheckSetAttr(st, nullptr, other, explicit_times).error(), Errno::kEPERM);
  EXPECT_TRUE(CheckSetAttr(st, nullptr, owner, explicit_times));

  Mount ro(nullptr, "testfs", "none", MS_RDONLY);
  EXPECT_EQ(CheckSetAttr(st, &ro, owner, chmod).error(), Errno::kEROFS);
}

TEST_F(OpsTest, TruncateAndAccess) {
  ResolveContext ctx = tree_.Ctx();
  kernel::Credentials root = User(0);
  root.cap_effective = ~uint64_t{0};
  EXPECT_EQ(Error(Truncate(*Resolve(ctx, "dir", 0), root, 0)), Errno::kEISDIR);
  EXPECT_EQ(Error(Truncate(*Resolve(ctx, "file", 0), root, -1)), Errno::kEINVAL);
  EXPECT_EQ(Error(Truncate(*Resolve(ctx, "ro/f", 0), root, 0)), Errno::kEROFS);
  kernel::Credentials user = User(1000);
  EXPECT_EQ(Error(Truncate(*Resolve(ctx, "file", 0), user, 0)), Errno::kEACCES);
  ASSERT_TRUE(Truncate(*Resolve(ctx, "file", 0), root, 3));
  EXPECT_EQ(Resolve(ctx, "file", 0)->ino().GetStat()->size, 3u);

  EXPECT_TRUE(CheckAccess(*Resolve(ctx, "file", 0), user, R_OK));
  EXPECT_EQ(Error(CheckAccess(*Resolve(ctx, "file", 0), user, W_OK)), Errno::kEACCES);
  EXPECT_EQ(Error(CheckAccess(*Resolve(ctx, "ro/f", 0), root, W_OK)), Errno::kEROFS);
  EXPECT_EQ(Error(CheckAccess(*Resolve(ctx, "file", 0), root, X_OK)), Errno::kEACCES);
  // access(2) checks with the real ids and, for a non-root real uid, no
  // capabilities.
  kernel::Credentials setuid_prog = User(1000);
  setuid_prog.euid = setuid_prog.fsuid = 0;
  setuid_prog.cap_effective = setuid_prog.cap_permitted = ~uint64_t{0};
  kernel::Credentials real = AccessCredentials(setuid_prog);
  EXPECT_EQ(real.fsuid, 1000u);
  EXPECT_EQ(real.cap_effective, 0u);
}

TEST_F(OpsTest, StatFs) {
  auto sf = StatFs(*Resolve(tree_.Ctx(), "ro", kFollow));
  ASSERT_TRUE(sf);
  EXPECT_TRUE(sf->f_flags & ST_RDONLY);
  EXPECT_EQ(sf->f_namelen, 255);
}

}  // namespace
}  // namespace bulwark::vfs
