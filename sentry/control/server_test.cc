// The control server's ops against a kernel on platform/fake.
#include "sentry/control/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <atomic>
#include <functional>
#include <thread>

#include "oci/spec.h"
#include "platform/fake/fake_platform.h"
#include "sentry/kernel/task.h"

namespace bulwark::control {
namespace {

using Json = nlohmann::json;
using platform::Event;
using platform::FpState;
using platform::Registers;

constexpr uint64_t kStack = 0x10000000;
constexpr uint64_t kStackSize = 16 * 4096;

Event Syscall(Registers& r, uint64_t nr, uint64_t a0 = 0) {
  r.regs.orig_rax = nr;
  r.regs.rax = nr;
  r.regs.rdi = a0;
  r.regs.rip += 2;
  return Event{.kind = Event::Kind::kSyscall};
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 32);
    ASSERT_TRUE(mf.has_value());
    auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
    platform_ = p.get();
    kernel_ = std::make_unique<kernel::Kernel>(kernel::KernelOptions{}, std::move(*mf), std::move(p));
    server_ = std::make_unique<Server>(
        *kernel_, UniqueFd(),
        [this](const oci::Process& p, std::vector<UniqueFd> fds, bool terminal)
            -> Result<std::unique_ptr<kernel::Task>> {
          last_exec_args_ = p.args;
          last_exec_fds_ = fds.size();
          last_exec_terminal_ = terminal;
          if (p.args[0] == "/missing")
            return MakeError("exec: \"/missing\": stat /missing: no such file or directory", ENOENT);
          return NewTask();
        });
  }

  // Fake-platform process: a stack, rip anywhere (the script plays the app).
  std::unique_ptr<kernel::Task> NewTask() {
    pid_t pid = kernel_->AllocPid();
    auto tg = std::make_shared<kernel::ThreadGroup>(pid);
    auto t = std::make_unique<kernel::Task>(*kernel_, pid, tg);
    t->mm_ = std::make_shared<mm::MemoryManager>(kernel_->memory_file(), kernel_->platform());
    t->fds_ = std::make_shared<kernel::FdTable>();
    t->fs_ = std::make_shared<kernel::FsContext>();
    mm::MapRequest r;
    r.addr = kStack;
    r.len = kStackSize;
    r.prot = PROT_READ | PROT_WRITE;
    r.fixed = true;
    EXPECT_TRUE(t->mm().Map(r).has_value());
    t->regs().regs.rsp = kStack + kStackSize - 64;
    t->regs().regs.rip = 0x400000;
    t->comm = "fake";
    return t;
  }

  // Boots: init created, registered, not started.
  void Boot() {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    auto t = NewTask();
    kernel_->AddThreadGroup(t->tg_ptr());
    kernel_->SetInit(t->tg_ptr());
    server_->BootDone(std::move(t));
  }

  // One request through Handle on a socketpair; returns the first reply.
  Json Call(const Json& req, std::vector<UniqueFd> fds = {}, UniqueFd* keep = nullptr) {
    int sv[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
    UniqueFd client(sv[0]);
    int server_end = sv[1];
    std::thread th([this, server_end, text = req.dump(), f = std::move(fds)]() mutable {
      server_->Handle(server_end, text, std::move(f));
      close(server_end);
    });
    auto m = ReceiveMessage(client.get());
    if (keep != nullptr) {
      // The caller reads later messages (exec's exit report) itself.
      th.detach();
      *keep = std::move(client);
    } else {
      th.join();
    }
    if (!m) return Json{{"recv_error", m.error().message}};
    return nlohmann::json::parse(m->json);
  }

  // An OCI process object as exec takes it (process.user is required).
  static Json Proc(Json args) {
    return Json{{"args", std::move(args)}, {"cwd", "/"}, {"user", {{"uid", 0}, {"gid", 0}}}};
  }

  std::vector<UniqueFd> ThreeFds() {
    std::vector<UniqueFd> v;
    for (int i = 0; i < 3; ++i) v.emplace_back(dup(2));
    return v;
  }

  platform::FakePlatform* platform_ = nullptr;
  std::unique_ptr<kernel::Kernel> kernel_;
  std::unique_ptr<Server> server_;
  std::vector<std::string> last_exec_args_;
  size_t last_exec_fds_ = 0;
  bool last_exec_terminal_ = false;
};

TEST_F(ServerTest, BadRequestsNameTheProblem) {
  EXPECT_EQ(Call(Json{{"x", 1}})["error"], "control request: op: must be a string");
  EXPECT_EQ(Call(Json{{"op", "frobnicate"}})["error"], "control request: unknown op \"frobnicate\"");
  Boot();
  EXPECT_EQ(Call(Json{{"op", "signal"}, {"signal", "TERM"}})["error"], "signal: must be an integer");
  EXPECT_EQ(Call(Json{{"op", "signal"}, {"signal", 99}})["error"], "signal 99: invalid signal");
  EXPECT_EQ(Call(Json{{"op", "update"}, {"resources", {{"pids", {{"limit", "x"}}}}}})["error"],
            "update: resources.pids.limit: must be an integer");
  EXPECT_EQ(Call(Json{{"op", "ps"}}, ThreeFds())["error"], "control request: ps takes no fds");
}

TEST_F(ServerTest, ReadyWaitsForBootThenStartRunsInitOnce) {
  std::thread boot([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Boot();
  });
  EXPECT_EQ(Call(Json{{"op", "ready"}}), Json({{"ok", true}}));
  boot.join();
  EXPECT_EQ(Call(Json{{"op", "exec"}, {"process", Proc({"/bin/true"})}},
                 ThreeFds())["error"],
            "cannot exec: the container is not running")
      << "exec needs a started init";
  platform_->PushStep([](Registers& r, FpState&) { return Syscall(r, SYS_exit_group, 5); });
  EXPECT_EQ(Call(Json{{"op", "start"}}), Json({{"ok", true}}));
  EXPECT_EQ(Call(Json{{"op", "start"}})["error"], "cannot start: init was already started");
  {
    std::unique_lock<std::mutex> lock(kernel_->mu);
    server_->WaitForStart(lock);
  }
  int status = kernel_->WaitForInit();
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 5);
}

TEST_F(ServerTest, BootFailureGoesToReady) {
  std::thread fail([this] {
    std::unique_lock<std::mutex> lock(kernel_->mu);
    EXPECT_TRUE(server_->BootFailed(lock, "exec: \"/x\": stat /x: no such file or directory", 5000));
  });
  Json r = Call(Json{{"op", "ready"}});
  fail.join();
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"], "exec: \"/x\": stat /x: no such file or directory");
}

TEST_F(ServerTest, BootFailureWithoutReadyTimesOut) {
  std::unique_lock<std::mutex> lock(kernel_->mu);
  EXPECT_FALSE(server_->BootFailed(lock, "boom", 20));
}

TEST_F(ServerTest, SignalBeforeStartKillsInitWithoutRunningIt) {
  Boot();
  // SIGCHLD's default action is "ignore": nothing happens, init stays created.
  EXPECT_EQ(Call(Json{{"op", "signal"}, {"signal", SIGCHLD}}), Json({{"ok", true}}));
  EXPECT_EQ(Call(Json{{"op", "signal"}, {"signal", SIGTERM}}), Json({{"ok", true}}));
  int status = kernel_->WaitForInit();
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

TEST_F(ServerTest, PsStatsUpdate) {
  Boot();
  Json ps = Call(Json{{"op", "ps"}});
  ASSERT_EQ(ps["processes"].size(), 1u);
  EXPECT_EQ(ps["processes"][0]["pid"], 1);
  EXPECT_EQ(ps["processes"][0]["ppid"], 0);
  EXPECT_EQ(ps["processes"][0]["comm"], "fake");
  Json st = Call(Json{{"op", "stats"}});
  EXPECT_EQ(st["stats"]["pids.current"], 1);
  EXPECT_EQ(st["stats"]["pids.limit"], 0);
  EXPECT_EQ(Call(Json{{"op", "update"}, {"resources", {{"pids", {{"limit", 7}}}}}})["ok"], true);
  EXPECT_EQ(Call(Json{{"op", "stats"}})["stats"]["pids.limit"], 7);
  EXPECT_EQ(Call(Json{{"op", "pause"}})["ok"], true);
  EXPECT_EQ(Call(Json{{"op", "stats"}})["stats"]["paused"], true);
  EXPECT_EQ(Call(Json{{"op", "resume"}})["ok"], true);
  EXPECT_FALSE(kernel_->paused);
}

TEST_F(ServerTest, ExecReportsPidThenExitStatusAndIsReaped) {
  Boot();
  // init blocks in pause(2) until killed; the exec'd process exits 7.
  std::atomic<bool> init_ran{false};
  platform_->PushStep([&](Registers& r, FpState&) {
    init_ran = true;
    return Syscall(r, SYS_pause);
  });
  EXPECT_EQ(Call(Json{{"op", "start"}})["ok"], true);
  // Wait until init consumed its step.
  for (int i = 0; i < 400 && !init_ran; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // On an early ASSERT return init would still sit in pause(2) and the
  // kernel's destructor would wait for it forever: kill it first.
  struct Guard {
    std::function<void()> f;
    ~Guard() {
      if (f) f();
    }
  } kill_init{[this] {
    Call(Json{{"op", "signal"}, {"signal", SIGKILL}});
    kernel_->WaitForInit();
  }};
  ASSERT_TRUE(init_ran);
  platform_->PushStep([](Registers& r, FpState&) { return Syscall(r, SYS_exit_group, 7); });

  EXPECT_EQ(Call(Json{{"op", "exec"}, {"process", Proc({"/bin/true"})}},
                 std::vector<UniqueFd>{})["error"],
            "exec: stdio \"fds\" needs 3 fds, got 0");
  EXPECT_EQ(Call(Json{{"op", "exec"}, {"process", Proc(Json::array())}},
                 ThreeFds())["ok"],
            false);
  EXPECT_EQ(Call(Json{{"op", "exec"}, {"process", Proc({"/missing"})}},
                 ThreeFds())["error"],
            "exec: \"/missing\": stat /missing: no such file or directory");

  UniqueFd conn;
  Json r = Call(Json{{"op", "exec"}, {"process", Proc({"/bin/true", "x"})}},
                ThreeFds(), &conn);
  ASSERT_EQ(r["ok"], true) << r.dump();
  int pid = r["pid"];
  EXPECT_GT(pid, 1);
  EXPECT_EQ(last_exec_args_, (std::vector<std::string>{"/bin/true", "x"}));
  EXPECT_EQ(last_exec_fds_, 3u);
  EXPECT_FALSE(last_exec_terminal_);
  auto m = ReceiveMessage(conn.get());
  ASSERT_TRUE(m.has_value()) << m.error().message;
  Json ex = nlohmann::json::parse(m->json);
  EXPECT_EQ(ex["exit"], true);
  int status = ex["status"];
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
  {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    EXPECT_EQ(kernel_->ThreadGroupByPid(pid), nullptr) << "reaped by the server";
  }
  // Init dies of SIGKILL sent through the channel.
  kill_init.f = nullptr;
  EXPECT_EQ(Call(Json{{"op", "signal"}, {"signal", SIGKILL}})["ok"], true);
  status = kernel_->WaitForInit();
  EXPECT_TRUE(WIFSIGNALED(status));
}

}  // namespace
}  // namespace bulwark::control
