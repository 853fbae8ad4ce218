#include "sentry/fsimpl/memfs/memfs.h"

#include <linux/fs.h>
#include <dirent.h>
#include <sys/sysmacros.h>

#include "sentry/fsimpl/memfs/fs_test_util.h"

namespace bulwark::fsimpl::memfs {
namespace {

using Req = vfs::SetStatRequest;

class MemFsTest : public testing::FsTest {
 protected:
  std::shared_ptr<vfs::FileDescription> OpenFile(const std::shared_ptr<vfs::Inode>& inode,
                                                 int flags) {
    auto f = inode->Open(task(), vfs::Path{}, flags);
    EXPECT_TRUE(f.has_value());
    return f ? *f : nullptr;
  }
  vfs::Stat StatOf(const std::shared_ptr<vfs::Inode>& inode) { return *inode->GetStat(); }

  kernel::Credentials creds_ = [] {
    kernel::Credentials c;
    c.fsuid = 1000;
    c.fsgid = 100;
    return c;
  }();
  std::shared_ptr<vfs::Inode> root_ = CreateMemFs({});
};

TEST_F(MemFsTest, RootAttributes) {
  vfs::Stat st = StatOf(root_);
  EXPECT_EQ(st.mode, S_IFDIR | 01777u);
  EXPECT_EQ(st.nlink, 2u);
  EXPECT_EQ(st.ino, 1u);
  EXPECT_EQ(st.dev & 0xfff00, 0u);  // anonymous: major 0
}

TEST_F(MemFsTest, CreateWriteRead) {
  auto file = *root_->Create("f", 0640, creds_);
  vfs::Stat st = StatOf(file);
  EXPECT_EQ(st.mode, S_IFREG | 0640u);
  EXPECT_EQ(st.uid, 1000u);
  EXPECT_EQ(st.gid, 100u);
  EXPECT_EQ(st.nlink, 1u);
  EXPECT_EQ(st.size, 0u);
  EXPECT_EQ(st.dev, StatOf(root_).dev);
  EXPECT_NE(st.ino, StatOf(root_).ino);

  auto f = OpenFile(file, O_RDWR);
  EXPECT_EQ(*Write(*f, task(), "hello world", 0), 11u);
  EXPECT_EQ(*Read(*f, task(), 100, 6), "world");
  EXPECT_EQ(*Read(*f, task(), 100, 11), "");
  st = StatOf(file);
  EXPECT_EQ(st.size, 11u);
  EXPECT_EQ(st.blocks, 8u);
  EXPECT_EQ(*root_->Lookup("f"), file);
}

TEST_F(MemFsTest, HolesReadAsZeros) {
  auto file = *root_->Create("f", 0644, creds_);
  auto f = OpenFile(file, O_RDWR);
  ASSERT_EQ(*Write(*f, task(), "x", 3 * 4096 + 10), 1u);
  EXPECT_EQ(StatOf(file).size, 3 * 4096 + 11u);
  EXPECT_EQ(StatOf(file).blocks, 8u);  // one page
  std::string data = *Slurp(*f);
  ASSERT_EQ(data.size(), 3 * 4096 + 11u);
  EXPECT_EQ(data.find_first_not_of('\0'), 3 * 4096 + 10u);
}

TEST_F(MemFsTest, WriteSpansPagesAndIovecs) {
  auto f = OpenFile(*root_->Create("f", 0644, creds_), O_RDWR);
  std::string a(5000, 'a'), b(5000, 'b');
  iovec iov[2] = {{a.data(), a.size()}, {b.data(), b.size()}};
  EXPECT_EQ(*f->Write(task(), vfs::IoVecs(iov, 2), 100), 10000u);
  std::string data = *Slurp(*f);
  EXPECT_EQ(data, std::string(100, '\0') + a + b);
}

TEST_F(MemFsTest, AppendWritesAtEnd) {
  auto file = *root_->Create("f", 0644, creds_);
  ASSERT_TRUE(Write(*OpenFile(file, O_WRONLY), task(), "abc", 0));
  auto f = OpenFile(file, O_WRONLY | O_APPEND);
  EXPECT_EQ(*Write(*f, task(), "def", 0), 3u);
  EXPECT_EQ(*Slurp(*OpenFile(file, O_RDONLY)), "abcdef");
}

TEST_F(MemFsTest, TruncateShrinksAndExtends) {
  auto file = *root_->Create("f", 0644, creds_);
  auto f = OpenFile(file, O_RDWR);
  ASSERT_TRUE(Write(*f, task(), std::string(5000, 'x'), 0));
  Req shrink{.mask = Req::kSize, .size = 10};
  ASSERT_TRUE(file->SetStat(shrink));
  EXPECT_EQ(StatOf(file).size, 10u);
  EXPECT_EQ(StatOf(file).blocks, 8u);
  Req extend{.mask = Req::kSize, .size = 100};
  ASSERT_TRUE(file->SetStat(extend));
  EXPECT_EQ(*Slurp(*f), std::string(10, 'x') + std::string(90, '\0'));
  EXPECT_EQ(root_->SetStat(extend).error(), Errno::kEISDIR);
  Req huge{.mask = Req::kSize, .size = uint64_t{1} << 63};
  EXPECT_EQ(file->SetStat(huge).error(), Errno::kEFBIG);
}

TEST_F(MemFsTest, LinkCounts) {
  auto dir = *root_->Mkdir("d", 0755, creds_);
  EXPECT_EQ(StatOf(root_).nlink, 3u);
  EXPECT_EQ(StatOf(dir).nlink, 2u);
  auto sub = *dir->Mkdir("sub", 0755, creds_);
  EXPECT_EQ(StatOf(dir).nlink, 3u);
  auto file = *dir->Create("f", 0644, creds_);
  ASSERT_TRUE(dir->Link("g", file));
  EXPECT_EQ(StatOf(file).nlink, 2u);
  EXPECT_EQ(dir->Link("g", file).error(), Errno::kEEXIST);
  EXPECT_EQ(dir->Link("h", dir).error(), Errno::kEPERM);

  EXPECT_EQ(dir->Unlink("sub").error(), Errno::kEISDIR);
  EXPECT_EQ(dir->Rmdir("f").error(), Errno::kENOTDIR);
  EXPECT_EQ(root_->Rmdir("d").error(), Errno::kENOTEMPTY);
  ASSERT_TRUE(dir->Unlink("f"));
  EXPECT_EQ(StatOf(file).nlink, 1u);
  ASSERT_TRUE(dir->Unlink("g"));
  EXPECT_EQ(StatOf(file).nlink, 0u);
  EXPECT_EQ(dir->Link("again", file).error(), Errno::kENOENT);
  ASSERT_TRUE(dir->Rmdir("sub"));
  EXPECT_EQ(StatOf(sub).nlink, 0u);
  EXPECT_EQ(StatOf(dir).nlink, 2u);
  ASSERT_TRUE(root_->Rmdir("d"));
  EXPECT_EQ(StatOf(root_).nlink, 2u);
  EXPECT_EQ(root_->Lookup("d").error(), Errno::kENOENT);
}

TEST_F(MemFsTest, RenameFiles) {
  auto a = *root_->Create("a", 0644, creds_);
  auto b = *root_->Create("b", 0644, creds_);
  EXPECT_EQ(root_->Rename("a", *root_, "b", RENAME_NOREPLACE).error(), Errno::kEEXIST);
  EXPECT_EQ(root_->Rename("a", *root_, "b", RENAME_WHITEOUT).error(), Errno::kEINVAL);
  ASSERT_TRUE(root_->Rename("a", *root_, "b", 0));
  EXPECT_EQ(*root_->Lookup("b"), a);
  EXPECT_EQ(root_->Lookup("a").error(), Errno::kENOENT);
  EXPECT_EQ(StatOf(b).nlink, 0u);
  EXPECT_EQ(root_->Rename("a", *root_, "c", 0).error(), Errno::kENOENT);
  // Onto itself: nothing happens.
  ASSERT_TRUE(root_->Rename("b", *root_, "b", 0));
  EXPECT_EQ(*root_->Lookup("b"), a);
}

TEST_F(MemFsTest, RenameDirectories) {
  auto d1 = *root_->Mkdir("d1", 0755, creds_);
  auto d2 = *root_->Mkdir("d2", 0755, creds_);
  auto inner = *d1->Mkdir("inner", 0755, creds_);
  auto file = *root_->Create("f", 0644, creds_);
  EXPECT_EQ(root_->Rename("d1", *inner, "x", 0).error(), Errno::kEINVAL);
  EXPECT_EQ(root_->Rename("d1", *d1, "x", 0).error(), Errno::kEINVAL);
  EXPECT_EQ(root_->Rename("d2", *root_, "f", 0).error(), Errno::kENOTDIR);
  EXPECT_EQ(root_->Rename("f", *root_, "d2", 0).error(), Errno::kEISDIR);
  EXPECT_EQ(root_->Rename("d2", *root_, "d1", 0).error(), Errno::kENOTEMPTY);

  // inner moves from d1 to d2: the parents' link counts follow.
  ASSERT_TRUE(d1->Rename("inner", *d2, "moved", 0));
  EXPECT_EQ(StatOf(d1).nlink, 2u);
  EXPECT_EQ(StatOf(d2).nlink, 3u);
  EXPECT_EQ(*d2->Lookup("moved"), inner);
  // Now d1 is empty and d2 may replace it.
  ASSERT_TRUE(root_->Rename("d2", *root_, "d1", 0));
  EXPECT_EQ(StatOf(root_).nlink, 3u);
  EXPECT_EQ(StatOf(d1).nlink, 0u);
}

TEST_F(MemFsTest, RenameExchange) {
  auto dir = *root_->Mkdir("dir", 0755, creds_);
  auto sub = *root_->Mkdir("sub", 0755, creds_);
  auto file = *dir->Create("f", 0644, creds_);
  EXPECT_EQ(root_->Rename("dir", *root_, "none", RENAME_EXCHANGE).error(), Errno::kENOENT);
  ASSERT_TRUE(dir->Rename("f", *root_, "sub", RENAME_EXCHANGE));
  EXPECT_EQ(*root_->Lookup("sub"), file);
  EXPECT_EQ(*dir->Lookup("f"), sub);
  EXPECT_EQ(StatOf(root_).nlink, 3u);  // dir only
  EXPECT_EQ(StatOf(dir).nlink, 3u);    // now holds sub
}

TEST_F(MemFsTest, Timestamps) {
  vfs::Stat before = StatOf(root_);
  usleep(2000);
  auto file = *root_->Create("f", 0644, creds_);
  vfs::Stat after = StatOf(root_);
  EXPECT_NE(after.mtime.tv_nsec + after.mtime.tv_sec * 1000000000,
            before.mtime.tv_nsec + before.mtime.tv_sec * 1000000000);
  vfs::Stat f0 = StatOf(file);
  usleep(2000);
  ASSERT_TRUE(Write(*OpenFile(file, O_WRONLY), task(), "x", 0));
  vfs::Stat f1 = StatOf(file);
  EXPECT_GT(f1.mtime.tv_sec * 1000000000 + f1.mtime.tv_nsec,
            f0.mtime.tv_sec * 1000000000 + f0.mtime.tv_nsec);
  EXPECT_EQ(f1.mtime.tv_nsec, f1.ctime.tv_nsec);
  usleep(2000);
  Req chmod{.mask = Req::kMode, .mode = 0600};
  ASSERT_TRUE(file->SetStat(chmod));
  vfs::Stat f2 = StatOf(file);
  EXPECT_EQ(f2.mode, S_IFREG | 0600u);
  EXPECT_EQ(f2.mtime.tv_nsec, f1.mtime.tv_nsec);
  EXPECT_NE(f2.ctime.tv_nsec, f1.ctime.tv_nsec);
  Req utimes{.mask = Req::kAtime | Req::kMtime, .atime = {1, 2}, .mtime = {3, 4}};
  ASSERT_TRUE(file->SetStat(utimes));
  EXPECT_EQ(StatOf(file).atime.tv_sec, 1);
  EXPECT_EQ(StatOf(file).mtime.tv_nsec, 4);
}

TEST_F(MemFsTest, SizeLimit) {
  MemFsOptions opts;
  opts.size_limit = 2 * 4096;
  auto root = CreateMemFs(opts);
  auto f = OpenFile(*root->Create("f", 0644, creds_), O_RDWR);
  EXPECT_EQ(*Write(*f, task(), std::string(3 * 4096, 'x'), 0), 2 * 4096u);
  EXPECT_EQ(Write(*f, task(), "y", 2 * 4096).error(), Errno::kENOSPC);
  EXPECT_EQ(UsageOf(*root)->bytes_used, 2 * 4096u);
  // Truncation gives the pages back.
  Req trunc{.mask = Req::kSize, .size = 0};
  ASSERT_TRUE(f->SetStat(trunc));
  EXPECT_EQ(UsageOf(*root)->bytes_used, 0u);
  EXPECT_EQ(*Write(*f, task(), "y", 0), 1u);
}

TEST_F(MemFsTest, InodeLimit) {
  MemFsOptions opts;
  opts.inode_limit = 3;  // the root and two more
  auto root = CreateMemFs(opts);
  ASSERT_TRUE(root->Create("a", 0644, creds_));
  ASSERT_TRUE(root->Mkdir("b", 0755, creds_));
  EXPECT_EQ(root->Symlink("c", "a", creds_).error(), Errno::kENOSPC);
  ASSERT_TRUE(root->Unlink("a"));
  EXPECT_TRUE(root->Symlink("c", "a", creds_));
}

TEST_F(MemFsTest, SymlinksAndSpecialFiles) {
  auto link = *root_->Symlink("l", "/some/where", creds_);
  EXPECT_EQ(*link->Readlink(), "/some/where");
  EXPECT_EQ(StatOf(link).size, 11u);
  EXPECT_EQ(StatOf(link).mode, S_IFLNK | 0777u);
  EXPECT_EQ(root_->Readlink().error(), Errno::kEINVAL);
  auto fifo = *root_->Mknod("p", S_IFIFO | 0600, 0, creds_);
  EXPECT_EQ(StatOf(fifo).mode, S_IFIFO | 0600u);
  auto dev = *root_->Mknod("null", S_IFCHR | 0666, makedev(1, 3), creds_);
  EXPECT_EQ(StatOf(dev).rdev, makedev(1, 3));
  // Without an opener, devices have no driver.
  EXPECT_EQ(dev->Open(task(), vfs::Path{}, O_RDONLY).error(), Errno::kENXIO);
  auto reg = *root_->Mknod("r", 0644, 0, creds_);
  EXPECT_TRUE(reg->IsRegular());
  EXPECT_EQ(root_->Mknod("d", S_IFDIR | 0755, 0, creds_).error(), Errno::kEINVAL);
}

TEST_F(MemFsTest, SetgidDirectoryInheritance) {
  auto dir = *root_->Mkdir("shared", 0755, creds_);
  Req setgid{.mask = Req::kMode | Req::kGid, .mode = 02775, .gid = 50};
  ASSERT_TRUE(dir->SetStat(setgid));
  auto sub = *dir->Mkdir("sub", 0755, creds_);
  EXPECT_EQ(StatOf(sub).gid, 50u);
  EXPECT_TRUE(StatOf(sub).mode & S_ISGID);
  auto file = *dir->Create("f", 02755, creds_);  // not a member of group 50
  EXPECT_EQ(StatOf(file).gid, 50u);
  EXPECT_FALSE(StatOf(file).mode & S_ISGID);
}

TEST_F(MemFsTest, WriteClearsSetuid) {
  auto file = *root_->Create("f", 04755, creds_);
  task().creds() = creds_;
  ASSERT_TRUE(Write(*OpenFile(file, O_WRONLY), task(), "x", 0));
  EXPECT_EQ(StatOf(file).mode, S_IFREG | 0755u);
}

TEST_F(MemFsTest, ReadDirListsEntries) {
  ASSERT_TRUE(root_->Create("b", 0644, creds_));
  ASSERT_TRUE(root_->Mkdir("a", 0755, creds_));
  auto entries = *root_->ReadDir();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "a");
  EXPECT_EQ(entries[0].type, DT_DIR);
  EXPECT_EQ(entries[0].ino, StatOf(*root_->Lookup("a")).ino);
  EXPECT_EQ(entries[1].type, DT_REG);
  // Directory descriptions cannot be read as files.
  auto d = OpenFile(root_, O_RDONLY);
  EXPECT_EQ(Read(*d, task(), 10, 0).error(), Errno::kEISDIR);
  EXPECT_EQ(root_->Open(task(), vfs::Path{}, O_RDWR).error(), Errno::kEISDIR);
}

TEST(TmpfsOptions, Parse) {
  auto o = *ParseTmpfsOptions("size=64m,nr_inodes=1k,mode=1755,uid=5,gid=6", 0);
  EXPECT_EQ(o.size_limit, 64u << 20);
  EXPECT_EQ(o.inode_limit, 1024u);
  EXPECT_EQ(o.root_mode, 01755u);
  EXPECT_EQ(o.root_uid, 5u);
  EXPECT_EQ(o.root_gid, 6u);
  EXPECT_EQ(ParseTmpfsOptions("size=50%", 1000 * 4096)->size_limit, 500u * 4096);
  EXPECT_EQ(ParseTmpfsOptions("size=100", 0)->size_limit, 4096u);
  EXPECT_EQ(ParseTmpfsOptions("", 0)->size_limit, 0u);
  // No size=: half of the memory (tmpfs(5)).
  EXPECT_EQ(ParseTmpfsOptions("mode=755", 1000 * 4096)->size_limit, 500u * 4096);
  EXPECT_EQ(ParseTmpfsOptions("bogus=1", 0).error(), Errno::kEINVAL);
  EXPECT_EQ(ParseTmpfsOptions("size=12q", 0).error(), Errno::kEINVAL);
  EXPECT_EQ(ParseTmpfsOptions("mode=9", 0).error(), Errno::kEINVAL);
}

}  // namespace
}  // namespace bulwark::fsimpl::memfs
