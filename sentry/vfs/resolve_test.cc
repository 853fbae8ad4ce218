#include "sentry/vfs/resolve.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/limits.h>

#include "sentry/vfs/test_fs.h"

namespace bulwark::vfs {
namespace {

using testing::TestInode;
using testing::TestTree;

class ResolveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto etc = tree_.root_ino->AddDir("etc");
    etc->AddFile("shadow");
    auto jail = tree_.root_ino->AddDir("jail");
    jail->AddDir("etc")->AddFile("shadow");
    jail->AddDir("sub")->AddDir("deeper");
    jail->AddLink("evil", "/etc/shadow");
    jail->AddLink("up", "../../../../etc");
    tree_.root_ino->AddFile("file");
    tree_.root_ino->AddLink("to_etc", "etc");
    tree_.root_ino->AddLink("to_file", "file");
    tree_.root_ino->AddLink("dangling", "nowhere");
  }

  std::string Resolved(const ResolveContext& ctx, std::string_view path, unsigned flags) {
    auto p = Resolve(ctx, path, flags);
    if (!p) return std::string("error ") + ErrnoName(p.error());
    return tree_.PathOf(*p);
  }
  std::string Resolved(std::string_view path, unsigned flags = kFollow) {
    return Resolved(tree_.Ctx(), path, flags);
  }

  ResolveContext JailCtx() {
    ResolveContext ctx = tree_.Ctx();
    ctx.root = *Resolve(ctx, "/jail", kFollow);
    ctx.start = ctx.root;
    return ctx;
  }

  TestTree tree_;
};

TEST_F(ResolveTest, Basics) {
  EXPECT_EQ(Resolved("/"), "/");
  EXPECT_EQ(Resolved("///etc//shadow"), "/etc/shadow");
  EXPECT_EQ(Resolved("etc/./shadow"), "/etc/shadow");
  EXPECT_EQ(Resolved("etc/../file"), "/file");
  EXPECT_EQ(Resolved("etc/"), "/etc");
  EXPECT_EQ(Resolved(""), "error ENOENT");
  EXPECT_EQ(Resolved("nope"), "error ENOENT");
  EXPECT_EQ(Resolved("nope/x"), "error ENOENT");
}

TEST_F(ResolveTest, NotDirectory) {
  EXPECT_EQ(Resolved("file/x"), "error ENOTDIR");
  EXPECT_EQ(Resolved("file/"), "error ENOTDIR");
  EXPECT_EQ(Resolved("file/."), "error ENOTDIR");
  EXPECT_EQ(Resolved("file", kDirectory), "error ENOTDIR");
  EXPECT_EQ(Resolved("to_file/"), "error ENOTDIR");
  EXPECT_EQ(Resolved("etc", kDirectory), "/etc");
}

TEST_F(ResolveTest, DotDotStopsAtRoot) {
  EXPECT_EQ(Resolved("/../../.."), "/");
  EXPECT_EQ(Resolved("/../etc/../../file"), "/file");
  ResolveContext jail = JailCtx();
  EXPECT_EQ(Resolved(jail, "/..", kFollow), "/jail");
  EXPECT_EQ(Resolved(jail, "sub/deeper/../../../../etc/shadow", kFollow), "/jail/etc/shadow");
  // A relative symlink climbing out stays inside too.
  EXPECT_EQ(Resolved(jail, "up/shadow", kFollow), "/jail/etc/shadow");
}

TEST_F(ResolveTest, AbsoluteSymlinkStaysInRoot) {
  ResolveContext jail = JailCtx();
  EXPECT_EQ(Resolved(jail, "/evil", kFollow), "/jail/etc/shadow");
  EXPECT_EQ(Resolved(jail, "evil", kFollow), "/jail/etc/shadow");
  // Without a jail the same link reaches the real one.
  EXPECT_EQ(Resolved("/jail/evil"), "/etc/shadow");
}

TEST_F(ResolveTest, Symlinks) {
  EXPECT_EQ(Resolved("to_etc/shadow", 0), "/etc/shadow");
  EXPECT_EQ(Resolved("to_file", kFollow), "/file");
  EXPECT_EQ(Resolved("to_file", 0), "/to_file");
  EXPECT_EQ(Resolved("to_etc/", 0), "/etc");  // a trailing slash follows
  EXPECT_EQ(Resolved("dangling", kFollow), "error ENOENT");
  EXPECT_EQ(Resolved("dangling", 0), "/dangling");
  tree_.root_ino->AddLink("empty", "");
  EXPECT_EQ(Resolved("empty", kFollow), "error ENOENT");
  EXPECT_EQ(Resolved("to_etc/shadow", kFollow | kNoSymlinks), "error ELOOP");
}

TEST_F(ResolveTest, SymlinkLoops) {
  tree_.root_ino->AddLink("a", "b");
  tree_.root_ino->AddLink("b", "a");
  tree_.root_ino->AddLink("self", "self/x");
  EXPECT_EQ(Resolved("a"), "error ELOOP");
  EXPECT_EQ(Resolved("a/x"), "error ELOOP");
  EXPECT_EQ(Resolved("self"), "error ELOOP");
  EXPECT_EQ(Resolved("a", 0), "/a");
  // 40 links in a chain are fine; 41 are not.
  for (int i = 0; i < 41; ++i)
    tree_.root_ino->AddLink("l" + std::to_string(i),
                            i == 40 ? "file" : "l" + std::to_string(i + 1));
  EXPECT_EQ(Resolved("l1"), "/file");
  EXPECT_EQ(Resolved("l0"), "error ELOOP");
}

TEST_F(ResolveTest, NameTooLong) {
  std::string name(NAME_MAX, 'n');
  tree_.root_ino->AddFile(name);
  EXPECT_EQ(Resolved(name), "/" + name);
  EXPECT_EQ(Resolved(name + "x"), "error ENAMETOOLONG");
  std::string longpath;
  while (longpath.size() < PATH_MAX) longpath += "./";
  EXPECT_EQ(Resolved(longpath), "error ENAMETOOLONG");
  EXPECT_EQ(Resolved(longpath.substr(0, PATH_MAX - 1)), "/");
}

TEST_F(ResolveTest, MountCrossing) {
  tree_.root_ino->AddDir("mnt")->AddFile("hidden");
  auto fs2 = tree_.MountAt("/mnt");
  fs2->AddDir("d")->AddFile("x");
  EXPECT_EQ(Resolved("/mnt/d/x"), "/mnt/d/x");
  EXPECT_EQ(Resolved("/mnt/hidden"), "error ENOENT");
  EXPECT_EQ(Resolved("/mnt/d/../../etc"), "/etc");
  EXPECT_EQ(Resolved("/mnt/.."), "/");
  Path mnt = *Resolve(tree_.Ctx(), "/mnt", kFollow);
  EXPECT_EQ(mnt.dentry, mnt.mount->root());
  EXPECT_EQ(Resolved("/mnt/d/x", kFollow | kNoXdev), "error EXDEV");
  ResolveContext inside = tree_.Ctx();
  inside.start = mnt;
  EXPECT_EQ(Resolved(inside, "d/x", kNoXdev), "/mnt/d/x");
  EXPECT_EQ(Resolved(inside, "..", kNoXdev), "error EXDEV");

  // A second mount stacks on top of the first.
  auto fs3 = tree_.MountAt("/mnt");
  fs3->AddFile("top");
  EXPECT_EQ(Resolved("/mnt/top"), "/mnt/top");
  EXPECT_EQ(Resolved("/mnt/d"), "error ENOENT");
  EXPECT_EQ(Resolved("/mnt/../etc"), "/etc");
}

TEST_F(ResolveTest, MountedRootOfJail) {
  // A chroot whose root is a mount: ".." stays at the mount root.
  tree_.root_ino->AddDir("newroot");
  auto fs2 = tree_.MountAt("/newroot");
  fs2->AddDir("bin");
  ResolveContext ctx = tree_.Ctx();
  ctx.root = *Resolve(ctx, "/newroot", kFollow);
  ctx.start = ctx.root;
  Path p = *Resolve(ctx, "/../../bin", kFollow);
  EXPECT_EQ(tree_.mounts.PathString(p, ctx.root), "/bin");
  EXPECT_EQ(tree_.PathOf(p), "/newroot/bin");
}

TEST_F(ResolveTest, Beneath) {
  ResolveContext ctx = JailCtx();
  EXPECT_EQ(Resolved(ctx, "sub/deeper/../..", kBeneath), "/jail");
  EXPECT_EQ(Resolved(ctx, "..", kBeneath), "error EXDEV");
  EXPECT_EQ(Resolved(ctx, "/etc", kBeneath), "error EXDEV");
  EXPECT_EQ(Resolved(ctx, "evil", kBeneath | kFollow), "error EXDEV");
}

TEST_F(ResolveTest, SearchPermission) {
  auto priv = tree_.root_ino->AddDir("priv", 0700, 1000);
  priv->AddFile("f");
  auto open = tree_.root_ino->AddDir("open", 0711, 1000);
  open->AddFile("f");
  kernel::Credentials user;
  user.ruid = user.euid = user.fsuid = 2000;
  user.rgid = user.egid = user.fsgid = 2000;
  ResolveContext ctx = tree_.Ctx(&user);
  EXPECT_EQ(Resolved(ctx, "/priv/f", 0), "error EACCES");
  EXPECT_EQ(Resolved(ctx, "/priv", 0), "/priv");
  EXPECT_EQ(Resolved(ctx, "/open/f", 0), "/open/f");
  auto pn = ResolveParent(ctx, "/priv/new", 0);
  ASSERT_FALSE(pn);
  EXPECT_EQ(pn.error(), Errno::kEACCES);

  kernel::Credentials owner = user;
  owner.fsuid = 1000;
  EXPECT_EQ(Resolved(tree_.Ctx(&owner), "/priv/f", 0), "/priv/f");
  kernel::Credentials searcher = user;
  searcher.cap_effective = uint64_t{1} << CAP_DAC_READ_SEARCH;
  EXPECT_EQ(Resolved(tree_.Ctx(&searcher), "/priv/f", 0), "/priv/f");
}

TEST_F(ResolveTest, Parent) {
  auto pn = *ResolveParent(tree_.Ctx(), "/etc/shadow/", 0);
  EXPECT_EQ(tree_.PathOf(pn.parent), "/etc");
  EXPECT_EQ(pn.name, "shadow");
  EXPECT_TRUE(pn.trailing_slash);
  EXPECT_EQ(pn.type, LastType::kNormal);
  EXPECT_EQ(ResolveParent(tree_.Ctx(), "/", 0)->type, LastType::kRoot);
  EXPECT_EQ(ResolveParent(tree_.Ctx(), "etc/.", 0)->type, LastType::kDot);
  EXPECT_EQ(ResolveParent(tree_.Ctx(), "etc/..", 0)->type, LastType::kDotDot);
  EXPECT_EQ(ResolveParent(tree_.Ctx(), "file/x", 0).error(), Errno::kENOTDIR);
  // Intermediate symlinks are followed; the final one is not looked at.
  pn = *ResolveParent(tree_.Ctx(), "to_etc/dangling", 0);
  EXPECT_EQ(tree_.PathOf(pn.parent), "/etc");
}

TEST_F(ResolveTest, ForCreateFollowsDanglingLink) {
  auto ct = *ResolveForCreate(tree_.Ctx(), "dangling", kFollow);
  EXPECT_FALSE(ct.existing.valid());
  EXPECT_EQ(ct.where.name, "nowhere");
  ct = *ResolveForCreate(tree_.Ctx(), "dangling", 0);
  EXPECT_TRUE(ct.existing.valid());
  ct = *ResolveForCreate(tree_.Ctx(), "to_file", kFollow);
  EXPECT_EQ(tree_.PathOf(ct.existing), "/file");
  EXPECT_EQ(ResolveForCreate(tree_.Ctx(), "newdir/", kFollow).error(), Errno::kEISDIR);
}

TEST_F(ResolveTest, CachedOnly) {
  EXPECT_EQ(Resolved("etc/shadow", kCachedOnly), "error EAGAIN");
  EXPECT_EQ(Resolved("etc/shadow", 0), "/etc/shadow");
  int before = tree_.root_ino->lookups;
  EXPECT_EQ(Resolved("etc/shadow", kCachedOnly), "/etc/shadow");
  EXPECT_EQ(tree_.root_ino->lookups, before);
}

TEST(PathStringTest, DeletedAndUnreachable) {
  TestTree tree;
  tree.root_ino->AddDir("a")->AddDir("b");
  tree.root_ino->AddDir("c");
  Path b = *Resolve(tree.Ctx(), "/a/b", kFollow);
  Path c = *Resolve(tree.Ctx(), "/c", kFollow);
  EXPECT_EQ(tree.mounts.PathString(b, tree.Root()), "/a/b");
  EXPECT_EQ(tree.mounts.PathString(b, b), "/");
  EXPECT_EQ(tree.mounts.PathString(c, b), "(unreachable)/c");
  Path a = *Resolve(tree.Ctx(), "/a", kFollow);
  a.dentry->RemoveChild("b");
  EXPECT_EQ(tree.mounts.PathString(b, tree.Root()), "/a/b (deleted)");
}

}  // namespace
}  // namespace bulwark::vfs
