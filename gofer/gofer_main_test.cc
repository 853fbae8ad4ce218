// GoferMain: argument parsing, and the whole gofer in a forked child.
#include "gofer/gofer_main.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gofer/client.h"
#include "gofer/test_helpers.h"

namespace bulwark::gofer {
namespace {

using testing::ErrOf;
using testing::HostLstat;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteFile;

Result<GoferOptions> Parse(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return ParseGoferArgs(static_cast<int>(argv.size()), argv.data());
}

TEST(ParseGoferArgsTest, AllOptions) {
  auto opts = Parse({"gofer", "--sock-fd=5", "--root=/r", "--root-readonly", "--mount=/a:ro",
                     "--mount=/b", "--mount=/c:d:rw"});
  ASSERT_TRUE(opts.has_value()) << opts.error().message;
  EXPECT_EQ(opts->sock_fd, 5);
  EXPECT_EQ(opts->root, "/r");
  EXPECT_TRUE(opts->root_read_only);
  ASSERT_EQ(opts->mounts.size(), 3u);
  EXPECT_EQ(opts->mounts[0].source, "/a");
  EXPECT_TRUE(opts->mounts[0].read_only);
  EXPECT_EQ(opts->mounts[1].source, "/b");
  EXPECT_FALSE(opts->mounts[1].read_only);
  EXPECT_EQ(opts->mounts[2].source, "/c:d");
  EXPECT_FALSE(opts->mounts[2].read_only);
}

TEST(ParseGoferArgsTest, Errors) {
  EXPECT_FALSE(Parse({"gofer", "--root=/r"}).has_value());
  EXPECT_FALSE(Parse({"gofer", "--sock-fd=3"}).has_value());
  EXPECT_FALSE(Parse({"gofer", "--sock-fd=x", "--root=/r"}).has_value());
  EXPECT_FALSE(Parse({"gofer", "--sock-fd=-1", "--root=/r"}).has_value());
  EXPECT_FALSE(Parse({"gofer", "--sock-fd=3", "--root=/r", "--bogus"}).has_value());
  EXPECT_FALSE(Parse({"gofer", "--sock-fd=3", "--root=/r", "--mount=:ro"}).has_value());
}

// Fails before touching the process: safe to run in the test process.
TEST(GoferMainTest, RejectsNonSocketFd) {
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  std::vector<std::string> args = {"gofer", "--sock-fd=" + std::to_string(p[0]), "--root=/"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  EXPECT_EQ(GoferMain(static_cast<int>(argv.size()), argv.data()), 1);
  EXPECT_EQ(::fcntl(p[0], F_GETFD), FD_CLOEXEC);  // still ours
  ::close(p[0]);
  ::close(p[1]);
}

std::string MountInfo() {
  std::ifstream in("/proc/self/mountinfo");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ProcStatus(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class GoferProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(root_ / "hello", "from root");
    ASSERT_EQ(::mkdir((root_ / "mnt").c_str(), 0755), 0);
    WriteFile(data_ / "data.txt", "from mount");
    WriteFile(file_ / "single", "single file");
  }

  // Forks a gofer with `args` after the socket and root flags; returns a
  // Client connected to it.
  std::unique_ptr<Client> StartGofer(std::vector<std::string> extra) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    std::vector<std::string> args = {"gofer", "--sock-fd=" + std::to_string(sv[1]),
                                     "--root=" + root_.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(sv[0]);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      _exit(GoferMain(static_cast<int>(argv.size()), argv.data()));
    }
    ::close(sv[1]);
    return std::make_unique<Client>(UniqueFd(sv[0]));
  }

  // Closes the client and returns the gofer's wait status.
  int Finish(std::unique_ptr<Client> client) {
    client.reset();
    int status = -1;
    EXPECT_EQ(::waitpid(pid_, &status, 0), pid_);
    return status;
  }

  TempDir root_;
  TempDir data_;
  TempDir file_;
  pid_t pid_ = -1;
};

TEST_F(GoferProcessTest, ServesRootAndMounts) {
  std::string mounts_before = MountInfo();
  auto client = StartGofer({"--mount=" + data_.path() + ":ro", "--mount=" + (file_ / "single")});

  auto root = client->Attach(0);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->stat.ino, HostLstat(root_.path()).st_ino);
  auto hello = client->Walk(root->fid, "hello");
  ASSERT_TRUE(hello.has_value());
  auto fd = client->Open(hello->fid, O_RDONLY);
  ASSERT_TRUE(fd.has_value());
  EXPECT_EQ(ReadAll(fd->get()), "from root");
  // The root is writable.
  auto created = client->Create(root->fid, "created", O_WRONLY, 0644, 0, 0);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(::access((root_ / "created").c_str(), F_OK), 0);

  auto data = client->Attach(1);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->stat.ino, HostLstat(data_.path()).st_ino);
  auto txt = client->Walk(data->fid, "data.txt");
  ASSERT_TRUE(txt.has_value());
  auto txt_fd = client->Open(txt->fid, O_RDONLY);
  ASSERT_TRUE(txt_fd.has_value());
  EXPECT_EQ(ReadAll(txt_fd->get()), "from mount");
  EXPECT_EQ(ErrOf(client->Mkdir(data->fid, "d", 0755, 0, 0)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client->Open(txt->fid, O_WRONLY)), Errno::kEROFS);
  EXPECT_EQ(ErrOf(client->Walk(data->fid, "..")), Errno::kEINVAL);

  auto single = client->Attach(2);
  ASSERT_TRUE(single.has_value());
  EXPECT_TRUE(S_ISREG(single->stat.mode));
  auto single_fd = client->Open(single->fid, O_RDWR);
  ASSERT_TRUE(single_fd.has_value());
  EXPECT_EQ(ReadAll(single_fd->get()), "single file");

  EXPECT_EQ(ErrOf(client->Attach(3)), Errno::kENOENT);

  // The read-only mount is read-only in the kernel too.
  auto data_fs = client->StatFs(data->fid);
  ASSERT_TRUE(data_fs.has_value());
  EXPECT_NE(data_fs->flags & ST_RDONLY, 0u);

  // Confinement, as seen from outside while it serves.
  std::string status = ProcStatus(pid_);
  EXPECT_NE(status.find("\nCapEff:\t000000000000001f\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\nCapPrm:\t000000000000001f\n"), std::string::npos);
  EXPECT_NE(status.find("\nCapBnd:\t000000000000001f\n"), std::string::npos);
  EXPECT_NE(status.find("\nCapInh:\t0000000000000000\n"), std::string::npos);
  EXPECT_NE(status.find("\nNoNewPrivs:\t1\n"), std::string::npos);
  struct stat gofer_root;
  ASSERT_EQ(::stat(("/proc/" + std::to_string(pid_) + "/root/").c_str(), &gofer_root), 0);
  EXPECT_EQ(gofer_root.st_ino, HostLstat(root_.path()).st_ino);

  int wait_status = Finish(std::move(client));
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  // Nothing the gofer mounted leaked into this namespace.
  EXPECT_EQ(MountInfo(), mounts_before);
}

TEST_F(GoferProcessTest, ReadOnlyRoot) {
  auto client = StartGofer({"--root-readonly"});
  auto root = client->Attach(0);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(ErrOf(client->Create(root->fid, "x", O_WRONLY, 0644, 0, 0)), Errno::kEROFS);
  auto fs = client->StatFs(root->fid);
  ASSERT_TRUE(fs.has_value());
  EXPECT_NE(fs->flags & ST_RDONLY, 0u);
  int status = Finish(std::move(client));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(GoferProcessTest, BadMountSourceFailsAtStart) {
  auto client = StartGofer({"--mount=" + (data_ / "missing")});
  EXPECT_EQ(ErrOf(client->Attach(0)), Errno::kEIO);
  int status = Finish(std::move(client));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
}

}  // namespace
}  // namespace bulwark::gofer
