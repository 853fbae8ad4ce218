// Client and Server over a socketpair: lookups, reads and directory listing.
#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>

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

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_ / "hello.txt", "hello, gofer\n");
    ASSERT_EQ(::mkdir((dir_ / "sub").c_str(), 0755), 0);
    WriteFile(dir_ / "sub/inner", "inner");
    ASSERT_EQ(::symlink("../../../../etc/passwd", (dir_ / "evil").c_str()), 0);
    ASSERT_EQ(::symlink("/etc/passwd", (dir_ / "abs").c_str()), 0);
    ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0644), 0);
    Start({});
  }
  void TearDown() override { Stop(); }

  void Start(ServerOptions options) {
    std::vector<AttachPoint> aps;
    aps.push_back(MustAttachPoint(dir_.path(), false));
    server_ = std::make_unique<ServerThread>(std::move(aps), options);
    client_ = std::make_unique<Client>(server_->TakePeer());
  }
  void Stop() {
    client_.reset();
    if (server_) {
      EXPECT_TRUE(server_->Stop().has_value());
    }
    server_.reset();
  }

  uint64_t Root() {
    auto root = client_->Attach(0);
    EXPECT_TRUE(root.has_value());
    return root ? root->fid : 0;
  }

  TempDir dir_;
  std::unique_ptr<ServerThread> server_;
  std::unique_ptr<Client> client_;
};

TEST_F(ServerTest, AttachReturnsRootStat) {
  auto root = client_->Attach(0);
  ASSERT_TRUE(root.has_value());
  struct stat st = HostLstat(dir_.path());
  EXPECT_TRUE(S_ISDIR(root->stat.mode));
  EXPECT_EQ(root->stat.ino, st.st_ino);
  EXPECT_EQ(root->stat.dev, st.st_dev);
  EXPECT_EQ(ErrOf(client_->Attach(1)), Errno::kENOENT);
}

TEST_F(ServerTest, WalkStatOpenRead) {
  uint64_t root = Root();
  auto file = client_->Walk(root, "hello.txt");
  ASSERT_TRUE(file.has_value());
  struct stat st = HostLstat(dir_ / "hello.txt");
  EXPECT_TRUE(S_ISREG(file->stat.mode));
  EXPECT_EQ(file->stat.ino, st.st_ino);
  EXPECT_EQ(file->stat.size, 13u);
  EXPECT_EQ(file->stat.mtime.tv_sec, st.st_mtim.tv_sec);
  EXPECT_EQ(file->stat.mtime.tv_nsec, st.st_mtim.tv_nsec);

  auto again = client_->Stat(file->fid);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->ino, st.st_ino);

  auto fd = client_->Open(file->fid, O_RDONLY);
  ASSERT_TRUE(fd.has_value());
  EXPECT_EQ(ReadAll(fd->get()), "hello, gofer\n");
  int fl = ::fcntl(fd->get(), F_GETFL);
  EXPECT_EQ(fl & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, 0);

  auto sub = client_->Walk(root, "sub");
  ASSERT_TRUE(sub.has_value());
  EXPECT_TRUE(S_ISDIR(sub->stat.mode));
  auto inner = client_->Walk(sub->fid, "inner");
  ASSERT_TRUE(inner.has_value());
  auto inner_fd = client_->Open(inner->fid, O_RDONLY);
  ASSERT_TRUE(inner_fd.has_value());
  EXPECT_EQ(ReadAll(inner_fd->get()), "inner");
}

TEST_F(ServerTest, WalkRejectsBadNames) {
  uint64_t root = Root();
  for (std::string_view bad :
       {std::string_view(".."), std::string_view("."), std::string_view("a/b"),
        std::string_view(""), std::string_view("/"), std::string_view("sub/"),
        std::string_view("x\0y", 3)}) {
    EXPECT_EQ(ErrOf(client_->Walk(root, bad)), Errno::kEINVAL) << bad;
  }
  EXPECT_EQ(ErrOf(client_->Walk(root, std::string(256, 'a'))), Errno::kENAMETOOLONG);
  EXPECT_EQ(ErrOf(client_->Walk(root, std::string(255, 'a'))), Errno::kENOENT);
  EXPECT_EQ(ErrOf(client_->Walk(root, "missing")), Errno::kENOENT);
  auto file = client_->Walk(root, "hello.txt");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(ErrOf(client_->Walk(file->fid, "x")), Errno::kENOTDIR);
  // Longer than the wire can carry: refused by the client.
  EXPECT_EQ(ErrOf(client_->Walk(root, std::string(70000, 'a'))), Errno::kENAMETOOLONG);
}

TEST_F(ServerTest, SymlinksAreNeverFollowed) {
  uint64_t root = Root();
  auto evil = client_->Walk(root, "evil");
  ASSERT_TRUE(evil.has_value());
  EXPECT_TRUE(S_ISLNK(evil->stat.mode));
  EXPECT_EQ(evil->stat.ino, HostLstat(dir_ / "evil").st_ino);
  EXPECT_EQ(client_->ReadLink(evil->fid).value(), "../../../../etc/passwd");
  EXPECT_EQ(ErrOf(client_->Open(evil->fid, O_RDONLY)), Errno::kELOOP);
  EXPECT_EQ(ErrOf(client_->Walk(evil->fid, "x")), Errno::kENOTDIR);

  auto abs = client_->Walk(root, "abs");
  ASSERT_TRUE(abs.has_value());
  EXPECT_TRUE(S_ISLNK(abs->stat.mode));
  EXPECT_EQ(client_->ReadLink(abs->fid).value(), "/etc/passwd");

  auto file = client_->Walk(root, "hello.txt");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(ErrOf(client_->ReadLink(file->fid)), Errno::kEINVAL);
}

TEST_F(ServerTest, OpenChecksTypeAndFlags) {
  uint64_t root = Root();
  auto file = client_->Walk(root, "hello.txt");
  auto fifo = client_->Walk(root, "fifo");
  ASSERT_TRUE(file.has_value() && fifo.has_value());
  EXPECT_TRUE(S_ISFIFO(fifo->stat.mode));
  EXPECT_EQ(ErrOf(client_->Open(fifo->fid, O_RDONLY)), Errno::kENXIO);
  EXPECT_EQ(ErrOf(client_->Open(file->fid, O_RDONLY | O_DIRECTORY)), Errno::kENOTDIR);
  EXPECT_EQ(ErrOf(client_->Open(file->fid, O_RDONLY | O_CREAT)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(client_->Open(file->fid, O_ACCMODE)), Errno::kEINVAL);
  EXPECT_EQ(ErrOf(client_->Open(root, O_WRONLY)), Errno::kEISDIR);

  auto dir_fd = client_->Open(root, O_RDONLY | O_DIRECTORY);
  ASSERT_TRUE(dir_fd.has_value());
  struct stat st;
  ASSERT_EQ(::fstat(dir_fd->get(), &st), 0);
  EXPECT_EQ(st.st_ino, HostLstat(dir_.path()).st_ino);

  auto rw = client_->Open(file->fid, O_RDWR | O_APPEND | O_NONBLOCK);
  ASSERT_TRUE(rw.has_value());
  int fl = ::fcntl(rw->get(), F_GETFL);
  EXPECT_EQ(fl & O_ACCMODE, O_RDWR);
  EXPECT_NE(fl & O_APPEND, 0);
  EXPECT_NE(fl & O_NONBLOCK, 0);
  ASSERT_EQ(::write(rw->get(), "!", 1), 1);
  EXPECT_EQ(HostLstat(dir_ / "hello.txt").st_size, 14);
}

TEST_F(ServerTest, OpenDetectsReplacedFile) {
  uint64_t root = Root();
  auto file = client_->Walk(root, "hello.txt");
  ASSERT_TRUE(file.has_value());
  ASSERT_EQ(::rename((dir_ / "sub/inner").c_str(), (dir_ / "hello.txt").c_str()), 0);
  EXPECT_EQ(ErrOf(client_->Open(file->fid, O_RDONLY)), FromInt(ESTALE));
}

TEST_F(ServerTest, ReadDirListsEntries) {
  uint64_t root = Root();
  auto entries = client_->ReadDirAll(root);
  ASSERT_TRUE(entries.has_value());
  std::set<std::string> names;
  for (const DirEntry& e : *entries) {
    names.insert(e.name);
    if (e.name == "sub") {
      EXPECT_EQ(e.type, DT_DIR);
    } else if (e.name == "evil") {
      EXPECT_EQ(e.type, DT_LNK);
    } else if (e.name == "hello.txt") {
      EXPECT_EQ(e.ino, HostLstat(dir_ / "hello.txt").st_ino);
    }
  }
  EXPECT_EQ(names, (std::set<std::string>{"hello.txt", "sub", "evil", "abs", "fifo"}));
  EXPECT_EQ(entries->size(), names.size());

  auto file = client_->Walk(root, "hello.txt");
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(ErrOf(client_->ReadDir(file->fid, 0)), Errno::kENOTDIR);
}

TEST_F(ServerTest, ReadDirCrossesBatches) {
  constexpr int kFiles = 2500;
  std::set<std::string> expected = {"hello.txt", "sub", "evil", "abs", "fifo"};
  for (int i = 0; i < kFiles; ++i) {
    std::string name = "a_file_with_a_fairly_long_name_to_fill_batches_" + std::to_string(i);
    UniqueFd fd(::open((dir_ / name).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd.valid());
    expected.insert(name);
  }
  uint64_t root = Root();
  int batches = 0;
  uint64_t cookie = 0;
  std::vector<std::string> seen;
  for (;;) {
    auto batch = client_->ReadDir(root, cookie);
    ASSERT_TRUE(batch.has_value());
    if (batch->entries.empty()) break;
    ++batches;
    for (const DirEntry& e : batch->entries) seen.push_back(e.name);
    cookie = batch->next_cookie;
  }
  EXPECT_GT(batches, 1);
  EXPECT_EQ(seen.size(), expected.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);

  // Restarting from 0 lists everything again.
  auto all = client_->ReadDirAll(root);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), expected.size());
}

TEST_F(ServerTest, ClunkReleasesFid) {
  uint64_t root = Root();
  auto file = client_->Walk(root, "hello.txt");
  ASSERT_TRUE(file.has_value());
  EXPECT_TRUE(client_->Clunk(file->fid).has_value());
  EXPECT_EQ(ErrOf(client_->Stat(file->fid)), Errno::kEBADF);
  EXPECT_EQ(ErrOf(client_->Clunk(file->fid)), Errno::kEBADF);
  EXPECT_EQ(ErrOf(client_->Open(file->fid, O_RDONLY)), Errno::kEBADF);
  // A child outlives its clunked parent.
  auto sub = client_->Walk(root, "sub");
  ASSERT_TRUE(sub.has_value());
  auto inner = client_->Walk(sub->fid, "inner");
  ASSERT_TRUE(inner.has_value());
  EXPECT_TRUE(client_->Clunk(sub->fid).has_value());
  EXPECT_TRUE(client_->Clunk(root).has_value());
  auto fd = client_->Open(inner->fid, O_RDONLY);
  ASSERT_TRUE(fd.has_value());
  EXPECT_EQ(ReadAll(fd->get()), "inner");
}

TEST_F(ServerTest, FidLimit) {
  Stop();
  Start(ServerOptions{.max_fids = 4});
  uint64_t root = Root();
  std::vector<uint64_t> fids;
  for (int i = 0; i < 3; ++i) {
    auto f = client_->Walk(root, "hello.txt");
    ASSERT_TRUE(f.has_value());
    fids.push_back(f->fid);
  }
  EXPECT_EQ(ErrOf(client_->Walk(root, "hello.txt")), Errno::kENFILE);
  EXPECT_EQ(ErrOf(client_->Attach(0)), Errno::kENFILE);
  EXPECT_EQ(ErrOf(client_->Mkdir(root, "d", 0755, 0, 0)), Errno::kENFILE);
  EXPECT_TRUE(client_->Clunk(fids[0]).has_value());
  EXPECT_TRUE(client_->Walk(root, "hello.txt").has_value());
}

TEST_F(ServerTest, StatFs) {
  uint64_t root = Root();
  auto fs = client_->StatFs(root);
  ASSERT_TRUE(fs.has_value());
  struct statfs host;
  ASSERT_EQ(::statfs(dir_.path().c_str(), &host), 0);
  EXPECT_EQ(fs->type, static_cast<uint64_t>(host.f_type));
  EXPECT_EQ(fs->bsize, static_cast<uint64_t>(host.f_bsize));
  EXPECT_EQ(fs->namelen, static_cast<uint64_t>(host.f_namelen));
}

TEST_F(ServerTest, FileAttachPoint) {
  Stop();
  std::vector<AttachPoint> aps;
  aps.push_back(MustAttachPoint(dir_.path(), true));
  aps.push_back(MustAttachPoint(dir_ / "sub/inner", true));
  server_ = std::make_unique<ServerThread>(std::move(aps));
  client_ = std::make_unique<Client>(server_->TakePeer());
  auto file = client_->Attach(1);
  ASSERT_TRUE(file.has_value());
  EXPECT_TRUE(S_ISREG(file->stat.mode));
  EXPECT_EQ(file->stat.ino, HostLstat(dir_ / "sub/inner").st_ino);
  auto fd = client_->Open(file->fid, O_RDONLY);
  ASSERT_TRUE(fd.has_value());
  EXPECT_EQ(ReadAll(fd->get()), "inner");
  EXPECT_EQ(ErrOf(client_->Open(file->fid, O_WRONLY)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client_->Walk(file->fid, "x")), Errno::kENOTDIR);
}

TEST_F(ServerTest, ConcurrentCallers) {
  uint64_t root = Root();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto f = client_->Walk(root, "hello.txt");
        if (!f || !client_->Stat(f->fid) || !client_->Clunk(f->fid)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

int CountFds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

TEST_F(ServerTest, SessionLeaksNoFds) {
  Stop();
  int before = CountFds();
  Start({});
  uint64_t root = Root();
  for (const char* name : {"hello.txt", "sub", "evil", "fifo"}) {
    auto f = client_->Walk(root, name);
    ASSERT_TRUE(f.has_value());
    (void)client_->Open(f->fid, O_RDONLY);
    (void)client_->ReadDir(f->fid, 0);
  }
  ASSERT_TRUE(client_->ReadDirAll(root).has_value());
  auto created = client_->Create(root, "created", O_RDWR, 0644, 0, 0);
  ASSERT_TRUE(created.has_value());
  created->fd.reset();
  Stop();
  EXPECT_EQ(CountFds(), before);
}

TEST_F(ServerTest, ServeReturnsWhenClientCloses) {
  client_.reset();
  EXPECT_TRUE(server_->Stop().has_value());
  EXPECT_TRUE(server_->Finished());
}

}  // namespace
}  // namespace bulwark::gofer
