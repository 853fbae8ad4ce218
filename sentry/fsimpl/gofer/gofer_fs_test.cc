// goferfs against a real gofer server on a temporary directory.
#include "sentry/fsimpl/gofer/gofer_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "gofer/server.h"
#include "sentry/fsimpl/memfs/fs_test_util.h"
#include "sentry/fsimpl/memfs/memfs.h"

namespace bulwark::fsimpl::goferfs {
namespace {

using Req = vfs::SetStatRequest;

std::string HostRead(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void HostWrite(const std::string& path, const std::string& data) {
  std::ofstream(path) << data;
}

class GoferFsTest : public testing::FsTest {
 protected:
  void SetUp() override {
    testing::FsTest::SetUp();
    char tmpl[] = "/tmp/gofer_fs_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    HostWrite(dir_ + "/hello", "hi there");
    ASSERT_EQ(mkdir((dir_ + "/d").c_str(), 0755), 0);
    HostWrite(dir_ + "/d/f", "in d");
    ASSERT_EQ(symlink("hello", (dir_ + "/l").c_str()), 0);

    std::vector<gofer::AttachPoint> aps;
    aps.push_back(*gofer::OpenAttachPoint(dir_.c_str(), false));
    aps.push_back(*gofer::OpenAttachPoint(dir_.c_str(), true));
    int sv[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    server_ = std::make_unique<gofer::Server>(std::move(aps), UniqueFd(sv[1]));
    thread_ = std::thread([this] { (void)server_->Serve(); });
    auto client = std::make_shared<gofer::Client>(UniqueFd(sv[0]));
    rw_ = *CreateGoferFs(client, 0, false);
    ro_ = *CreateGoferFs(client, 1, true);
  }

  void TearDown() override {
    // The last inode takes the client, and so the connection, with it.
    rw_.reset();
    ro_.reset();
    thread_.join();
    nftw(dir_.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); },
         16, FTW_DEPTH | FTW_PHYS);
    testing::FsTest::TearDown();
  }

  std::string Contents(const std::shared_ptr<vfs::Inode>& inode) {
    return *Slurp(**inode->Open(task(), vfs::Path{}, O_RDONLY));
  }
  std::vector<std::string> Names(const std::shared_ptr<vfs::Inode>& dir) {
    std::vector<vfs::DirEntry> entries = *dir->ReadDir();
    std::vector<std::string> names;
    for (const auto& e : entries) names.push_back(e.name);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
  std::unique_ptr<gofer::Server> server_;
  std::thread thread_;
  std::shared_ptr<vfs::Inode> rw_, ro_;
  kernel::Credentials creds_;
};

TEST_F(GoferFsTest, LookupStatRead) {
  EXPECT_TRUE(rw_->IsDir());
  auto hello = *rw_->Lookup("hello");
  vfs::Stat st = *hello->GetStat();
  EXPECT_EQ(st.size, 8u);
  EXPECT_EQ(st.mode & S_IFMT, static_cast<uint32_t>(S_IFREG));
  EXPECT_EQ(Contents(hello), "hi there");
  EXPECT_EQ(Contents(*(*rw_->Lookup("d"))->Lookup("f")), "in d");
  EXPECT_EQ(*(*rw_->Lookup("l"))->Readlink(), "hello");
  EXPECT_EQ(rw_->Lookup("missing").error(), Errno::kENOENT);
  EXPECT_EQ(hello->Lookup("x").error(), Errno::kENOTDIR);
  EXPECT_EQ(Names(rw_), (std::vector<std::string>{"d", "hello", "l"}));
  auto desc = *rw_->Open(task(), vfs::Path{}, O_RDONLY);
  EXPECT_EQ(Read(*desc, task(), 10, 0).error(), Errno::kEISDIR);
}

TEST_F(GoferFsTest, WritesReachTheHost) {
  auto hello = *rw_->Lookup("hello");
  auto f = *hello->Open(task(), vfs::Path{}, O_RDWR);
  EXPECT_EQ(*Write(*f, task(), "HI", 0), 2u);
  EXPECT_EQ(HostRead(dir_ + "/hello"), "HI there");
  EXPECT_EQ(f->GetStat()->size, 8u);
  auto a = *hello->Open(task(), vfs::Path{}, O_WRONLY | O_APPEND);
  EXPECT_EQ(*Write(*a, task(), "!", 0), 1u);
  EXPECT_EQ(HostRead(dir_ + "/hello"), "HI there!");
  // The size a writable attach reports follows the host.
  EXPECT_EQ(hello->GetStat()->size, 9u);
  ASSERT_TRUE(hello->SetStat(Req{.mask = Req::kSize | Req::kMode, .mode = 0600, .size = 2}));
  EXPECT_EQ(HostRead(dir_ + "/hello"), "HI");
  struct stat st;
  ASSERT_EQ(stat((dir_ + "/hello").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST_F(GoferFsTest, CreateAndNamespaceOperations) {
  // Created without write permission, yet writable through the open that
  // follows the create (as open(O_CREAT|O_WRONLY, 0444) is).
  auto made = *rw_->Create("new", 0444, creds_);
  auto f = *made->Open(task(), vfs::Path{}, O_WRONLY);
  EXPECT_EQ(*Write(*f, task(), "data", 0), 4u);
  EXPECT_EQ(HostRead(dir_ + "/new"), "data");
  EXPECT_EQ(rw_->Create("new", 0644, creds_).error(), Errno::kEEXIST);

  auto sub = *rw_->Mkdir("sub", 0700, creds_);
  EXPECT_TRUE(sub->IsDir());
  auto link = *sub->Symlink("ln", "../new", creds_);
  EXPECT_EQ(*link->Readlink(), "../new");
  ASSERT_TRUE(rw_->Rename("new", *sub, "moved", 0));
  EXPECT_EQ(HostRead(dir_ + "/sub/moved"), "data");
  ASSERT_TRUE(sub->Link("hard", *sub->Lookup("moved")));
  EXPECT_EQ((*sub->Lookup("moved"))->GetStat()->nlink, 2u);
  EXPECT_EQ(Names(sub), (std::vector<std::string>{"hard", "ln", "moved"}));
  EXPECT_EQ(rw_->Rmdir("sub").error(), Errno::kENOTEMPTY);
  EXPECT_EQ(rw_->Unlink("sub").error(), Errno::kEISDIR);
  for (const char* n : {"hard", "ln", "moved"}) ASSERT_TRUE(sub->Unlink(n)) << n;
  ASSERT_TRUE(rw_->Rmdir("sub"));
  EXPECT_EQ(access((dir_ + "/sub").c_str(), F_OK), -1);
  EXPECT_EQ(rw_->Mknod("dev", S_IFCHR | 0600, 0x103, creds_).has_value(), false);
}

TEST_F(GoferFsTest, ReadOnlyAttach) {
  EXPECT_EQ(ro_->Create("x", 0644, creds_).error(), Errno::kEROFS);
  EXPECT_EQ(ro_->Mkdir("x", 0755, creds_).error(), Errno::kEROFS);
  auto hello = *ro_->Lookup("hello");
  EXPECT_EQ(hello->SetStat(Req{.mask = Req::kMode, .mode = 0}).error(), Errno::kEROFS);
  EXPECT_EQ(Contents(hello), "hi there");
}

TEST_F(GoferFsTest, OverlayKeepsTheImageUnchanged) {
  auto root = *memfs::CreateOverlayRoot(ro_, {});
  auto hello = *root->Lookup("hello");
  EXPECT_EQ(Contents(hello), "hi there");
  auto f = *hello->Open(task(), vfs::Path{}, O_RDWR);
  EXPECT_EQ(*Write(*f, task(), "HI", 0), 2u);
  EXPECT_EQ(Contents(hello), "HI there");
  ASSERT_TRUE(root->Unlink("l"));
  ASSERT_TRUE((*root->Lookup("d"))->Unlink("f"));
  ASSERT_TRUE(root->Rmdir("d"));
  EXPECT_EQ(Names(root), std::vector<std::string>{"hello"});
  EXPECT_EQ(HostRead(dir_ + "/hello"), "hi there");
  EXPECT_EQ(HostRead(dir_ + "/d/f"), "in d");
  EXPECT_EQ(Names(ro_), (std::vector<std::string>{"d", "hello", "l"}));
}

}  // namespace
}  // namespace bulwark::fsimpl::goferfs
