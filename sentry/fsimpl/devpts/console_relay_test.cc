// The console relay between a host pty (the runtime's) and a sandbox pty,
// on a kernel over platform/fake.
#include "sentry/fsimpl/devpts/console_relay.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "platform/fake/fake_platform.h"
#include "sentry/fsimpl/devpts/pty.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::devpts {
namespace {

using namespace std::chrono_literals;

class ConsoleRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 32);
    ASSERT_TRUE(mf.has_value());
    auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
    kernel_ = std::make_unique<kernel::Kernel>(kernel::KernelOptions{}, std::move(*mf), std::move(p));
    pid_t pid = kernel_->AllocPid();
    task_ = std::make_unique<kernel::Task>(*kernel_, pid, std::make_shared<kernel::ThreadGroup>(pid));
    fs_ = NewDevPts(DevPtsOptions{});

    // The host pty, as the runtime makes it: the master stays here (the
    // console socket's receiver), the replica goes to the relay.
    host_master_ = UniqueFd(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    ASSERT_TRUE(host_master_);
    ASSERT_EQ(grantpt(host_master_.get()), 0);
    ASSERT_EQ(unlockpt(host_master_.get()), 0);
    winsize ws{24, 80, 0, 0};
    ASSERT_EQ(ioctl(host_master_.get(), TIOCSWINSZ, &ws), 0);
    host_replica_ = UniqueFd(open(ptsname(host_master_.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
    ASSERT_TRUE(host_replica_);
  }

  // Opens a sandbox pair and starts the relay on it.
  void Start(bool end_with_replicas) {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    auto master = OpenMaster(*task_, *fs_, vfs::Path{}, O_RDWR);
    ASSERT_TRUE(master.has_value());
    pair_ = PairOf(**master);
    ASSERT_TRUE(pair_);
    pair_->locked = false;
    auto replica = OpenReplica(*task_, pair_, vfs::Path{}, O_RDWR);
    ASSERT_TRUE(replica.has_value());
    replica_ = *replica;
    ConsoleOptions opts;
    opts.end_with_replicas = end_with_replicas;
    UniqueFd host = std::move(host_replica_);
    ASSERT_TRUE(StartRelay(*kernel_, std::move(*master), host, opts).has_value());
    EXPECT_FALSE(host);  // taken
  }

  // Reads the host master until `want` was seen (or 10 s passed).
  std::string ReadHostUntil(const std::string& want) {
    std::string got;
    auto end = std::chrono::steady_clock::now() + 10s;
    while (got.find(want) == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd p{host_master_.get(), POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      ssize_t n = read(host_master_.get(), buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }

  // Polls `cond` under the kernel lock for up to 10 s.
  bool Eventually(const std::function<bool()>& cond) {
    auto end = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < end) {
      {
        std::lock_guard<std::mutex> lock(kernel_->mu);
        if (cond()) return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  void TearDown() override {
    host_master_.reset();  // ends a relay still running (a hangup)
    if (pair_) {
      EXPECT_TRUE(Eventually([&] { return pair_->HungUp(); }));
    }
    std::lock_guard<std::mutex> lock(kernel_->mu);
    replica_.reset();
    pair_.reset();
  }

  std::unique_ptr<kernel::Kernel> kernel_;
  std::unique_ptr<kernel::Task> task_;
  std::shared_ptr<DevPts> fs_;
  UniqueFd host_master_, host_replica_;
  std::shared_ptr<PtyPair> pair_;
  std::shared_ptr<vfs::FileDescription> replica_;
};

TEST_F(ConsoleRelayTest, HostTypingGoesThroughTheSandboxLineDiscipline) {
  int replica_fd = host_replica_.get();
  Start(false);
  termios tio;
  ASSERT_EQ(tcgetattr(replica_fd, &tio), 0);
  EXPECT_FALSE(tio.c_lflag & (ECHO | ICANON | ISIG)) << "the host replica is raw";
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    EXPECT_EQ(pair_->ws.ws_row, 24);
    EXPECT_EQ(pair_->ws.ws_col, 80);
  }
  ASSERT_EQ(write(host_master_.get(), "ab\r", 3), 3);
  // The sandbox's ICRNL and echo (with ONLCR) come back to the host.
  EXPECT_EQ(ReadHostUntil("ab\r\n"), "ab\r\n");
  EXPECT_TRUE(Eventually([&] { return pair_->ld.CanRead(); }));
  uint8_t line[8];
  std::lock_guard<std::mutex> lock(kernel_->mu);
  EXPECT_EQ(pair_->ld.Read(line, sizeof line), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(line), 3), "ab\n");
}

TEST_F(ConsoleRelayTest, SandboxOutputReachesTheHostAndWaitDrains) {
  Start(false);
  {
    std::unique_lock<std::mutex> lock(kernel_->mu);
    std::string out;
    const std::string text = "hello\n";
    pair_->ld.ProcessOutput({reinterpret_cast<const uint8_t*>(text.data()), text.size()}, &out,
                            SIZE_MAX);
    pair_->to_master.insert(pair_->to_master.end(), out.begin(), out.end());
    pair_->master_queue.Notify(POLLIN);
    WaitConsoleOutput(lock, 0, 10s);
    EXPECT_TRUE(pair_->to_master.empty());
  }
  EXPECT_EQ(ReadHostUntil("hello\r\n"), "hello\r\n");
}

TEST_F(ConsoleRelayTest, ResizeOfTheHostPtyIsAppliedOnSigwinch) {
  Start(false);
  winsize ws{50, 132, 0, 0};
  ASSERT_EQ(ioctl(host_master_.get(), TIOCSWINSZ, &ws), 0);
  std::lock_guard<std::mutex> lock(kernel_->mu);
  EXPECT_TRUE(ResizeConsoles());
  EXPECT_EQ(pair_->ws.ws_row, 50);
  EXPECT_EQ(pair_->ws.ws_col, 132);
}

TEST_F(ConsoleRelayTest, HostHangupHangsTheSandboxPtyUp) {
  Start(false);
  host_master_.reset();
  EXPECT_TRUE(Eventually([&] { return pair_->HungUp(); }));
}

TEST_F(ConsoleRelayTest, ExecConsoleEndsWhenItsReplicasClose) {
  Start(true);
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    replica_.reset();  // the last replica: POLLHUP on the master's queue
  }
  EXPECT_TRUE(Eventually([&] { return pair_->HungUp(); }));
  // The host replica is closed: the host master reads EIO.
  pollfd p{host_master_.get(), POLLIN, 5000};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  char c;
  EXPECT_LE(read(host_master_.get(), &c, 1), 0);
}

TEST_F(ConsoleRelayTest, InitConsoleOutlivesItsReplicas) {
  Start(false);
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    replica_.reset();  // the last replica: POLLHUP on the master's queue
  }
  std::this_thread::sleep_for(200ms);
  std::lock_guard<std::mutex> lock(kernel_->mu);
  EXPECT_FALSE(pair_->HungUp());
}

}  // namespace
}  // namespace bulwark::fsimpl::devpts
