// The overlay mode of memfs over a lower memfs standing in for the image.
#include <dirent.h>
#include <linux/fs.h>

#include <algorithm>

#include "sentry/fsimpl/memfs/fs_test_util.h"
#include "sentry/fsimpl/memfs/memfs.h"

namespace bulwark::fsimpl::memfs {
namespace {

using Req = vfs::SetStatRequest;

class OverlayTest : public testing::FsTest {
 protected:
  void SetUp() override {
    testing::FsTest::SetUp();
    lower_ = CreateMemFs({});
    auto etc = *lower_->Mkdir("etc", 0755, root_creds_);
    WriteLower(etc, "passwd", "root:x:0:0\n");
    WriteLower(etc, "hosts", "127.0.0.1 localhost\n");
    auto sub = *etc->Mkdir("sub", 0700, root_creds_);
    WriteLower(sub, "deep", "deep data");
    ASSERT_TRUE(lower_->Symlink("link", "etc/passwd", root_creds_));
    WriteLower(lower_, "top", "top file");
    upper_ = *CreateOverlayRoot(lower_, {});
  }

  void WriteLower(const std::shared_ptr<vfs::Inode>& dir, const char* name,
                  const std::string& data) {
    auto f = *dir->Create(name, 0644, root_creds_);
    ASSERT_EQ(*Write(**f->Open(task(), vfs::Path{}, O_WRONLY), task(), data, 0), data.size());
  }
  std::shared_ptr<vfs::Inode> Walk(const std::shared_ptr<vfs::Inode>& root, std::string path) {
    std::shared_ptr<vfs::Inode> cur = root;
    size_t pos = 0;
    while (pos < path.size()) {
      size_t slash = path.find('/', pos);
      if (slash == std::string::npos) slash = path.size();
      auto next = cur->Lookup(path.substr(pos, slash - pos));
      if (!next) return nullptr;
      cur = *next;
      pos = slash + 1;
    }
    return cur;
  }
  std::string Contents(const std::shared_ptr<vfs::Inode>& root, const std::string& path) {
    auto inode = Walk(root, path);
    if (!inode) return "<missing>";
    return *Slurp(**inode->Open(task(), vfs::Path{}, O_RDONLY));
  }
  std::vector<std::string> Names(const std::shared_ptr<vfs::Inode>& dir) {
    std::vector<std::string> names;
    std::vector<vfs::DirEntry> entries = *dir->ReadDir();
    for (const auto& e : entries) names.push_back(e.name);
    std::sort(names.begin(), names.end());
    return names;
  }

  kernel::Credentials root_creds_;
  std::shared_ptr<vfs::Inode> lower_, upper_;
};

TEST_F(OverlayTest, LowerShowsThrough) {
  EXPECT_EQ(Contents(upper_, "etc/passwd"), "root:x:0:0\n");
  EXPECT_EQ(Contents(upper_, "etc/sub/deep"), "deep data");
  auto passwd = Walk(upper_, "etc/passwd");
  vfs::Stat st = *passwd->GetStat();
  EXPECT_EQ(st.size, 11u);
  EXPECT_EQ(st.mode, S_IFREG | 0644u);
  EXPECT_EQ(st.dev, UsageOf(*upper_)->dev);
  EXPECT_EQ(Walk(upper_, "etc/sub")->GetStat()->mode, S_IFDIR | 0700u);
  EXPECT_EQ(*Walk(upper_, "link")->Readlink(), "etc/passwd");
  // The wrapper is kept: later lookups return the same inode.
  EXPECT_EQ(Walk(upper_, "etc/passwd"), passwd);
  EXPECT_EQ(upper_->Lookup("nothing").error(), Errno::kENOENT);
}

TEST_F(OverlayTest, CopyUpLeavesLowerUntouched) {
  auto passwd = Walk(upper_, "etc/passwd");
  auto reader = *passwd->Open(task(), vfs::Path{}, O_RDONLY);
  auto writer = *passwd->Open(task(), vfs::Path{}, O_RDWR);
  ASSERT_EQ(*Write(*writer, task(), "ROOT", 0), 4u);
  EXPECT_EQ(Contents(upper_, "etc/passwd"), "ROOT:x:0:0\n");
  // A description opened before the copy-up sees the new data too.
  EXPECT_EQ(*Read(*reader, task(), 100, 0), "ROOT:x:0:0\n");
  EXPECT_EQ(Contents(lower_, "etc/passwd"), "root:x:0:0\n");
  EXPECT_EQ(UsageOf(*upper_)->bytes_used, 4096u);
}

TEST_F(OverlayTest, AttributeChangesStayInUpper) {
  auto hosts = Walk(upper_, "etc/hosts");
  Req chmod{.mask = Req::kMode | Req::kUid, .mode = 0600, .uid = 42};
  ASSERT_TRUE(hosts->SetStat(chmod));
  EXPECT_EQ(hosts->GetStat()->mode, S_IFREG | 0600u);
  EXPECT_EQ(hosts->GetStat()->uid, 42u);
  EXPECT_EQ(Walk(lower_, "etc/hosts")->GetStat()->mode, S_IFREG | 0644u);
  // Truncation needs no copy of the data: what is left still comes from
  // the lower file, the extension reads as zeros.
  Req shrink{.mask = Req::kSize, .size = 3};
  ASSERT_TRUE(hosts->SetStat(shrink));
  EXPECT_EQ(Contents(upper_, "etc/hosts"), "127");
  Req grow{.mask = Req::kSize, .size = 5};
  ASSERT_TRUE(hosts->SetStat(grow));
  EXPECT_EQ(Contents(upper_, "etc/hosts"), std::string("127\0\0", 5));
  EXPECT_EQ(Contents(lower_, "etc/hosts"), "127.0.0.1 localhost\n");
  // And a later copy-up keeps exactly that.
  auto w = *hosts->Open(task(), vfs::Path{}, O_WRONLY);
  ASSERT_TRUE(Write(*w, task(), "9", 4));
  EXPECT_EQ(Contents(upper_, "etc/hosts"), std::string("127\0" "9", 5));
}

TEST_F(OverlayTest, WhiteoutsHideLowerEntries) {
  auto etc = Walk(upper_, "etc");
  ASSERT_TRUE(etc->Unlink("passwd"));
  EXPECT_EQ(etc->Lookup("passwd").error(), Errno::kENOENT);
  EXPECT_EQ(Names(etc), (std::vector<std::string>{"hosts", "sub"}));
  EXPECT_EQ(Contents(lower_, "etc/passwd"), "root:x:0:0\n");
  EXPECT_EQ(etc->Unlink("passwd").error(), Errno::kENOENT);

  // Creating the name again clears the whiteout and gives a new file.
  auto fresh = *etc->Create("passwd", 0600, root_creds_);
  EXPECT_EQ(Contents(upper_, "etc/passwd"), "");
  EXPECT_EQ(Names(etc), (std::vector<std::string>{"hosts", "passwd", "sub"}));
  // Removing it again hides the lower file again.
  ASSERT_TRUE(etc->Unlink("passwd"));
  EXPECT_EQ(etc->Lookup("passwd").error(), Errno::kENOENT);
}

TEST_F(OverlayTest, CreatingOverALowerNameFails) {
  auto etc = Walk(upper_, "etc");
  EXPECT_EQ(etc->Create("hosts", 0644, root_creds_).error(), Errno::kEEXIST);
  EXPECT_EQ(etc->Mkdir("sub", 0755, root_creds_).error(), Errno::kEEXIST);
}

TEST_F(OverlayTest, ReadDirMerges) {
  ASSERT_TRUE(upper_->Create("new", 0644, root_creds_));
  ASSERT_TRUE(upper_->Unlink("top"));
  EXPECT_EQ(Names(upper_), (std::vector<std::string>{"etc", "link", "new"}));
  EXPECT_EQ(Names(lower_), (std::vector<std::string>{"etc", "link", "top"}));
  // Inode numbers from ReadDir are those that stat reports later.
  std::vector<vfs::DirEntry> entries = *upper_->ReadDir();
  for (const auto& e : entries)
    EXPECT_EQ(e.ino, (*upper_->Lookup(e.name))->GetStat()->ino) << e.name;
  auto etc_entries = *Walk(upper_, "etc")->ReadDir();
  uint64_t listed = 0;
  for (const auto& e : etc_entries)
    if (e.name == "hosts") listed = e.ino;
  EXPECT_EQ(Walk(upper_, "etc/hosts")->GetStat()->ino, listed);
}

TEST_F(OverlayTest, RmdirOfLowerDirectory) {
  auto etc = Walk(upper_, "etc");
  auto sub = Walk(upper_, "etc/sub");
  EXPECT_EQ(etc->Rmdir("sub").error(), Errno::kENOTEMPTY);
  ASSERT_TRUE(sub->Unlink("deep"));
  EXPECT_TRUE(Names(sub).empty());
  ASSERT_TRUE(etc->Rmdir("sub"));
  EXPECT_EQ(etc->Lookup("sub").error(), Errno::kENOENT);
  // A new directory of that name does not show the old lower contents.
  auto again = *etc->Mkdir("sub", 0755, root_creds_);
  EXPECT_TRUE(Names(again).empty());
  EXPECT_EQ(Contents(lower_, "etc/sub/deep"), "deep data");
}

TEST_F(OverlayTest, RenameOfLowerDirectory) {
  ASSERT_TRUE(upper_->Rename("etc", *upper_, "etc2", 0));
  EXPECT_EQ(upper_->Lookup("etc").error(), Errno::kENOENT);
  EXPECT_EQ(Contents(upper_, "etc2/sub/deep"), "deep data");
  EXPECT_EQ(Names(upper_), (std::vector<std::string>{"etc2", "link", "top"}));
  // Into a new upper directory, then back over the whited-out name.
  auto dir = *upper_->Mkdir("d", 0755, root_creds_);
  ASSERT_TRUE(upper_->Rename("etc2", *dir, "moved", 0));
  EXPECT_EQ(Contents(upper_, "d/moved/passwd"), "root:x:0:0\n");
  ASSERT_TRUE(dir->Rename("moved", *upper_, "etc", 0));
  EXPECT_EQ(Contents(upper_, "etc/hosts"), "127.0.0.1 localhost\n");
  EXPECT_EQ(Names(lower_), (std::vector<std::string>{"etc", "link", "top"}));
  EXPECT_EQ(Contents(lower_, "etc/sub/deep"), "deep data");
}

TEST_F(OverlayTest, RenameFileOverLowerFile) {
  auto etc = Walk(upper_, "etc");
  ASSERT_TRUE(etc->Rename("hosts", *etc, "passwd", 0));
  EXPECT_EQ(Contents(upper_, "etc/passwd"), "127.0.0.1 localhost\n");
  EXPECT_EQ(etc->Lookup("hosts").error(), Errno::kENOENT);
  ASSERT_TRUE(etc->Unlink("passwd"));
  EXPECT_EQ(etc->Lookup("passwd").error(), Errno::kENOENT);
  EXPECT_EQ(Contents(lower_, "etc/passwd"), "root:x:0:0\n");
}

TEST_F(OverlayTest, HardLinkOfLowerFile) {
  auto top = Walk(upper_, "top");
  ASSERT_TRUE(upper_->Link("top2", top));
  EXPECT_EQ(top->GetStat()->nlink, 2u);
  auto w = *top->Open(task(), vfs::Path{}, O_WRONLY);
  ASSERT_TRUE(Write(*w, task(), "TOP", 0));
  EXPECT_EQ(Contents(upper_, "top2"), "TOP file");
}

}  // namespace
}  // namespace bulwark::fsimpl::memfs
