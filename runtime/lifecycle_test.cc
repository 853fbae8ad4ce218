// Unit tests for the lifecycle pieces: config file, signal names, cgroup
// parsing and path resolution, hooks, state derivation.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "runtime/cgroup.h"
#include "runtime/config_file.h"
#include "runtime/hooks.h"
#include "runtime/signals.h"
#include "runtime/state.h"

namespace bulwark::runtime {
namespace {

TEST(ConfigFile, AppliesSettings) {
  GlobalFlags f;
  auto r = ApplyConfigText(
      "# bulwark\n[runtime]\nroot = \"/tmp/x\"  # comment\nplatform='ptrace'\nstrace = true\n"
      "log_format = json\n\n",
      "c.toml", f);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(f.root, "/tmp/x");
  EXPECT_EQ(f.platform, "ptrace");
  EXPECT_TRUE(f.strace);
  EXPECT_EQ(f.log_format, LogFormat::kJson);
}

TEST(ConfigFile, ErrorsNameTheLine) {
  GlobalFlags f;
  auto r = ApplyConfigText("root = /a\nplaform = x\n", "c.toml", f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "c.toml:2: unknown setting \"plaform\"");
  r = ApplyConfigText("log-format = xml\n", "c.toml", f);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("c.toml:1: --log-format=xml"), std::string::npos);
  r = ApplyConfigText("root\n", "c.toml", f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "c.toml:1: expected key = value");
  r = ApplyConfigText("root = \"unterminated\n", "c.toml", f);
  ASSERT_FALSE(r);
}

TEST(ConfigFile, MissingFileIsFine) {
  GlobalFlags f;
  EXPECT_TRUE(ApplyConfigFile("/nonexistent/bulwark.toml", f));
  EXPECT_EQ(f.root, "/run/bulwark");
}

TEST(ConfigFile, CommandLineOverridesFile) {
  GlobalFlags base;
  ASSERT_TRUE(ApplyConfigText("root = /from/file\nstrace = true\n", "c", base));
  std::vector<std::string> args = {"--root", "/from/flag", "state", "x"};
  auto parsed = ParseGlobalFlags(args, base);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->flags.root, "/from/flag");
  EXPECT_TRUE(parsed->flags.strace);
}

TEST(ParseSignal, NumbersAndNames) {
  EXPECT_EQ(*ParseSignal("9"), SIGKILL);
  EXPECT_EQ(*ParseSignal("KILL"), SIGKILL);
  EXPECT_EQ(*ParseSignal("SIGKILL"), SIGKILL);
  EXPECT_EQ(*ParseSignal("sigterm"), SIGTERM);
  EXPECT_EQ(*ParseSignal("USR1"), SIGUSR1);
  EXPECT_EQ(*ParseSignal("RTMIN+1"), SIGRTMIN + 1);
  EXPECT_FALSE(ParseSignal("0"));
  EXPECT_FALSE(ParseSignal("65"));
  EXPECT_FALSE(ParseSignal("SIGNOPE"));
  EXPECT_EQ(ParseSignal("x9").error().message, "invalid signal \"x9\"");
}

constexpr char kMountinfo[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 /nested /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "50 23 0:50 / /my\\040dir rw - ext4 /dev/sda rw\n";

TEST(Cgroup, ParsesMounts) {
  auto m = ParseCgroupMounts(kMountinfo);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(m[0].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_FALSE(m[0].v2);
  EXPECT_EQ(m[1].root, "/nested");
  EXPECT_EQ(m[2].controllers, (std::vector<std::string>{"name=systemd"}));
  EXPECT_TRUE(m[3].v2);
}

TEST(Cgroup, ParsesProcCgroup) {
  auto c = ParseProcCgroup("4:memory:/a/b\n2:cpu,cpuacct:/\n0::/user.slice\n");
  EXPECT_EQ(c["memory"], "/a/b");
  EXPECT_EQ(c["cpuacct"], "/");
  EXPECT_EQ(c[""], "/user.slice");
}

TEST(Cgroup, ResolvesPaths) {
  EXPECT_EQ(*ResolveCgroupPath("/libpod_parent/libpod-x", "x", "/own"), "/libpod_parent/libpod-x");
  EXPECT_EQ(*ResolveCgroupPath("sub/c1", "c1", "/own"), "/own/sub/c1");
  EXPECT_EQ(*ResolveCgroupPath("", "c1", "/own"), "/bulwark/c1");
  EXPECT_EQ(*ResolveCgroupPath("/a/../b", "c1", "/"), "/b");
  EXPECT_FALSE(ResolveCgroupPath("/", "c1", "/"));
  auto sd = ResolveCgroupPath("system.slice:bulwark:c1", "c1", "/");
  ASSERT_FALSE(sd);
  EXPECT_NE(sd.error().message.find("--systemd-cgroup"), std::string::npos);
}

TEST(Cgroup, SystemdNotRunning) {
  if (access("/run/systemd/system", F_OK) == 0) GTEST_SKIP() << "systemd runs here";
  auto r = CheckSystemd("system.slice:b:c");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "systemd not running on this host, can't use systemd as cgroups manager");
}

TEST(Cgroup, Writes) {
  auto r = ParseResourcesJson(
      R"({"memory":{"limit":1048576,"swap":2097152},"cpu":{"shares":1024,"quota":50000,)"
      R"("period":100000,"cpus":"0"},"pids":{"limit":10}})");
  ASSERT_TRUE(r) << r.error().message;
  using W = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(CgroupWrites(*r, false),
            (W{{"memory.limit_in_bytes", "1048576"},
               {"memory.memsw.limit_in_bytes", "2097152"},
               {"cpu.shares", "1024"},
               {"cpu.cfs_period_us", "100000"},
               {"cpu.cfs_quota_us", "50000"},
               {"cpuset.cpus", "0"},
               {"pids.max", "94"}}));
  EXPECT_EQ(CgroupWrites(*r, true),
            (W{{"memory.max", "1048576"},
               {"memory.swap.max", "1048576"},
               {"cpu.weight", "39"},
               {"cpu.max", "50000 100000"},
               {"cpuset.cpus", "0"},
               {"pids.max", "94"}}));
  auto bad = ParseResourcesJson(R"({"memory":{"limit":"big"}})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("memory.limit"), std::string::npos);
}

TEST(Hooks, RoundTripAndOrder) {
  char tmpl[] = "/tmp/lc1hooksXXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string log = std::string(tmpl) + "/log";
  oci::Hooks hooks;
  for (int i = 0; i < 2; ++i) {
    hooks.prestart.push_back(oci::Hook{
        "/bin/sh", {"sh", "-c", "read s; echo \"" + std::to_string(i) + " $s $X\" >> " + log},
        {"X=env"}, std::nullopt});
  }
  auto back = HooksFromJson(HooksToJson(hooks));
  ASSERT_TRUE(back);
  ASSERT_EQ(back->prestart.size(), 2u);
  ASSERT_TRUE(RunHooks("prestart", back->prestart, "{\"id\":\"c\"}\n"));
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "0 {\"id\":\"c\"} env\n1 {\"id\":\"c\"} env\n");
  EXPECT_EQ(HooksToJson(oci::Hooks{}), "");
  std::string cmd = "rm -rf " + std::string(tmpl);
  ASSERT_EQ(system(cmd.c_str()), 0);
}

TEST(Hooks, FailureAndTimeout) {
  std::vector<oci::Hook> fail = {
      oci::Hook{"/bin/sh", {"sh", "-c", "echo out; echo err >&2; exit 3"}, {}, std::nullopt}};
  auto r = RunHooks("createRuntime", fail, "{}");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "error running createRuntime hook #0: exit status 3, stdout: out\n, stderr: err\n");
  std::vector<oci::Hook> slow = {oci::Hook{"/bin/sleep", {"sleep", "10"}, {}, 1}};
  auto start = std::chrono::steady_clock::now();
  r = RunHooks("poststart", slow, "{}");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("timeout after 1 seconds"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  std::vector<oci::Hook> missing = {oci::Hook{"/no/such/hook", {}, {}, std::nullopt}};
  EXPECT_FALSE(RunHooks("poststop", missing, "{}"));
}

TEST(State, DiskRoundTripKeepsRuntimeFields) {
  State s;
  s.oci_version = "1.0.2-dev";
  s.id = "c";
  s.pid = 42;
  s.status = Status::kCreated;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2026-01-01T00:00:00.000000000Z";
  s.pid_start = 1234;
  s.gofer_pid = 43;
  s.paused = true;
  s.cgroups = {"/sys/fs/cgroup/memory/x"};
  s.cgroups_created = {"/sys/fs/cgroup/memory/x"};
  s.hooks_json = "{\"poststop\":[]}";
  auto back = StateFromJson(StateToDiskJson(s));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->pid_start, 1234u);
  EXPECT_EQ(back->gofer_pid, 43);
  EXPECT_TRUE(back->paused);
  EXPECT_EQ(back->cgroups, s.cgroups);
  EXPECT_EQ(back->cgroups_created, s.cgroups_created);
  EXPECT_EQ(back->hooks_json, s.hooks_json);
  // The public JSON has none of it.
  EXPECT_EQ(StateToJson(s).find("bulwark"), std::string::npos);
}

TEST(State, CurrentStateFollowsTheProcess) {
  State s;
  s.status = Status::kRunning;
  s.pid = getpid();
  s.pid_start = *ProcessStartTime(getpid());
  EXPECT_EQ(CurrentState(s).status, Status::kRunning);
  s.paused = true;
  EXPECT_EQ(CurrentState(s).status, Status::kPaused);
  // A recycled pid (other start time) is not the container's process.
  s.pid_start += 1;
  State cur = CurrentState(s);
  EXPECT_EQ(cur.status, Status::kStopped);
  EXPECT_EQ(cur.pid, 0);
  s.pid = 0;
  s.status = Status::kCreating;
  EXPECT_EQ(CurrentState(s).status, Status::kCreating);
}

TEST(StateRoot, OpenListAndMissing) {
  char tmpl[] = "/tmp/lc1stateXXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  StateRoot root(tmpl);
  auto missing = root.Open("nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "container \"nope\" does not exist");
  EXPECT_EQ(missing.error().errnum, ENOENT);
  {
    auto dir = root.Create("b");
    ASSERT_TRUE(dir);
    State s;
    s.id = "b";
    ASSERT_TRUE(dir->Save(s));
    ASSERT_TRUE(root.Create("a"));
  }
  EXPECT_EQ(*root.List(), (std::vector<std::string>{"a", "b"}));
  auto opened = root.Open("b");
  ASSERT_TRUE(opened);
  EXPECT_EQ(root.Read("b")->id, "b");
  ASSERT_TRUE(opened->Remove());
  EXPECT_FALSE(root.Read("b"));
  std::string cmd = "rm -rf " + std::string(tmpl);
  ASSERT_EQ(system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace bulwark::runtime
