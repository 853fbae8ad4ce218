#include "oci/parse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace bulwark::oci {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr char kSchemaTestDir[] =
    "/usr/share/gocode/src/github.com/opencontainers/runtime-spec/schema/test/"
    "config";

constexpr char kMinimal[] = R"({
  "ociVersion": "1.0.2",
  "root": {"path": "rootfs"},
  "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/"}
})";

// Every member bulwark reads, with non-default values.
constexpr char kFull[] = R"({
  "ociVersion": "1.1.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 100, "umask": 18, "additionalGids": [5, 6]},
    "args": ["/bin/app", "--flag", "value with spaces"],
    "env": ["PATH=/usr/bin:/bin", "EMPTY=", "EQ=a=b"],
    "cwd": "/srv",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_KILL"],
      "effective": ["CAP_KILL"],
      "inheritable": [],
      "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_CHECKPOINT_RESTORE"],
      "ambient": ["CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "noNewPrivileges": true,
    "apparmorProfile": "bulwark-default",
    "oomScoreAdj": -1000,
    "selinuxLabel": "system_u:system_r:container_t:s0"
  },
  "root": {"path": "/var/lib/rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "bind", "source": "/srv/data",
     "options": ["ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "size=64m"]},
    {"destination": "/cache", "source": "/srv/cache",
     "options": ["rbind", "rw"]}
  ],
  "linux": {
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/var/run/netns/x"},
      {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "user"},
      {"type": "cgroup"}, {"type": "time"}
    ],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 200000, "size": 1}],
    "resources": {
      "memory": {"limit": 536870912, "reservation": -1, "swap": 0,
                 "kernel": 1, "kernelTCP": 2, "swappiness": 60,
                 "disableOOMKiller": true},
      "cpu": {"shares": 1024, "quota": 50000, "period": 100000,
              "realtimeRuntime": 950, "realtimePeriod": 1000,
              "cpus": "0-1", "mems": "0"},
      "pids": {"limit": 64},
      "devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}
      ]
    },
    "cgroupsPath": "/bulwark/box",
    "sysctl": {"net.ipv4.ip_forward": "1"},
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 255, "valueTwo": 3,
                   "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
      ]
    },
    "rootfsPropagation": "rslave",
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "devices": [
      {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229,
       "fileMode": 438, "uid": 0, "gid": 0},
      {"type": "p", "path": "/dev/fifo"}
    ]
  },
  "hooks": {
    "prestart": [{"path": "/usr/bin/fix-mounts", "args": ["fix", "a"],
                  "env": ["K=V"]}],
    "createRuntime": [{"path": "/bin/cr"}],
    "createContainer": [{"path": "/bin/cc"}],
    "startContainer": [{"path": "/bin/sc"}],
    "poststart": [{"path": "/bin/ps1"}, {"path": "/bin/ps2"}],
    "poststop": [{"path": "/bin/cleanup", "timeout": 10}]
  },
  "annotations": {"org.example.key": "value", "empty": ""}
})";

Spec ParseOk(std::string_view text) {
  Result<Spec> spec = ParseSpec(text);
  EXPECT_TRUE(spec.has_value()) << spec.error().message;
  return spec.value_or(Spec{});
}

TEST(ParseSpecTest, Minimal) {
  Spec spec = ParseOk(kMinimal);
  EXPECT_EQ(spec.oci_version, "1.0.2");
  EXPECT_EQ(spec.root.path, "rootfs");
  EXPECT_FALSE(spec.root.readonly);
  EXPECT_TRUE(spec.has_process);
  EXPECT_THAT(spec.process.args, ElementsAre("sh"));
  EXPECT_EQ(spec.process.cwd, "/");
  EXPECT_EQ(spec.process.user.uid, 0u);
  EXPECT_FALSE(spec.process.user.umask.has_value());
  EXPECT_FALSE(spec.process.terminal);
  EXPECT_FALSE(spec.process.console_size.has_value());
  EXPECT_FALSE(spec.process.oom_score_adj.has_value());
  EXPECT_TRUE(spec.mounts.empty());
  EXPECT_TRUE(spec.linux.namespaces.empty());
  EXPECT_FALSE(spec.linux.seccomp.has_value());
  EXPECT_FALSE(spec.linux.resources.pids.has_value());
  EXPECT_TRUE(spec.hooks.prestart.empty());
  EXPECT_TRUE(spec.annotations.empty());
}

TEST(ParseSpecTest, FullProcessAndRoot) {
  Spec spec = ParseOk(kFull);
  EXPECT_EQ(spec.oci_version, "1.1.0");
  EXPECT_EQ(spec.root.path, "/var/lib/rootfs");
  EXPECT_TRUE(spec.root.readonly);
  EXPECT_EQ(spec.hostname, "box");
  EXPECT_EQ(spec.domainname, "example.org");

  const Process& p = spec.process;
  EXPECT_TRUE(p.terminal);
  ASSERT_TRUE(p.console_size.has_value());
  EXPECT_EQ(p.console_size->height, 25u);
  EXPECT_EQ(p.console_size->width, 80u);
  EXPECT_EQ(p.user.uid, 1000u);
  EXPECT_EQ(p.user.gid, 100u);
  EXPECT_EQ(p.user.umask, 18u);
  EXPECT_THAT(p.user.additional_gids, ElementsAre(5u, 6u));
  EXPECT_THAT(p.args, ElementsAre("/bin/app", "--flag", "value with spaces"));
  EXPECT_THAT(p.env, ElementsAre("PATH=/usr/bin:/bin", "EMPTY=", "EQ=a=b"));
  EXPECT_EQ(p.cwd, "/srv");
  EXPECT_THAT(p.capabilities.bounding, ElementsAre("CAP_CHOWN", "CAP_KILL"));
  EXPECT_THAT(p.capabilities.effective, ElementsAre("CAP_KILL"));
  EXPECT_TRUE(p.capabilities.inheritable.empty());
  EXPECT_EQ(p.capabilities.permitted.size(), 3u);
  EXPECT_THAT(p.capabilities.ambient, ElementsAre("CAP_NET_BIND_SERVICE"));
  ASSERT_EQ(p.rlimits.size(), 2u);
  EXPECT_EQ(p.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(p.rlimits[0].hard, 4096u);
  EXPECT_EQ(p.rlimits[0].soft, 1024u);
  EXPECT_EQ(p.rlimits[1].hard, UINT64_MAX);
  EXPECT_TRUE(p.no_new_privileges);
  EXPECT_EQ(p.apparmor_profile, "bulwark-default");
  EXPECT_EQ(p.oom_score_adj, -1000);
  EXPECT_EQ(p.selinux_label, "system_u:system_r:container_t:s0");
}

TEST(ParseSpecTest, FullMountsHooksAnnotations) {
  Spec spec = ParseOk(kFull);
  ASSERT_EQ(spec.mounts.size(), 4u);
  EXPECT_EQ(spec.mounts[1].destination, "/data");
  EXPECT_EQ(spec.mounts[1].type, "bind");
  EXPECT_EQ(spec.mounts[1].source, "/srv/data");
  EXPECT_THAT(spec.mounts[1].options, ElementsAre("ro"));
  EXPECT_TRUE(spec.mounts[3].type.empty());

  EXPECT_EQ(spec.hooks.prestart.size(), 1u);
  EXPECT_EQ(spec.hooks.prestart[0].path, "/usr/bin/fix-mounts");
  EXPECT_THAT(spec.hooks.prestart[0].args, ElementsAre("fix", "a"));
  EXPECT_THAT(spec.hooks.prestart[0].env, ElementsAre("K=V"));
  EXPECT_FALSE(spec.hooks.prestart[0].timeout.has_value());
  EXPECT_EQ(spec.hooks.create_runtime[0].path, "/bin/cr");
  EXPECT_EQ(spec.hooks.create_container[0].path, "/bin/cc");
  EXPECT_EQ(spec.hooks.start_container[0].path, "/bin/sc");
  EXPECT_EQ(spec.hooks.poststart.size(), 2u);
  EXPECT_EQ(spec.hooks.poststop[0].timeout, 10);
  EXPECT_THAT(spec.annotations,
              ElementsAre(Pair("empty", ""), Pair("org.example.key", "value")));
}

TEST(ParseSpecTest, FullLinux) {
  Spec spec = ParseOk(kFull);
  const Linux& l = spec.linux;
  ASSERT_EQ(l.namespaces.size(), 8u);
  EXPECT_EQ(l.namespaces[1].type, "network");
  EXPECT_EQ(l.namespaces[1].path, "/var/run/netns/x");
  EXPECT_EQ(l.namespaces[7].type, "time");
  ASSERT_NE(l.FindNamespace("user"), nullptr);
  EXPECT_EQ(l.FindNamespace("bogus"), nullptr);
  ASSERT_EQ(l.uid_mappings.size(), 1u);
  EXPECT_EQ(l.uid_mappings[0].host_id, 100000u);
  EXPECT_EQ(l.uid_mappings[0].size, 65536u);
  EXPECT_EQ(l.gid_mappings[0].host_id, 200000u);

  const Resources& r = l.resources;
  EXPECT_EQ(r.memory.limit, 536870912);
  EXPECT_EQ(r.memory.reservation, -1);
  EXPECT_EQ(r.memory.swap, 0);
  EXPECT_EQ(r.memory.kernel, 1);
  EXPECT_EQ(r.memory.kernel_tcp, 2);
  EXPECT_EQ(r.memory.swappiness, 60u);
  EXPECT_EQ(r.memory.disable_oom_killer, true);
  EXPECT_EQ(r.cpu.shares, 1024u);
  EXPECT_EQ(r.cpu.quota, 50000);
  EXPECT_EQ(r.cpu.period, 100000u);
  EXPECT_EQ(r.cpu.realtime_runtime, 950);
  EXPECT_EQ(r.cpu.realtime_period, 1000u);
  EXPECT_EQ(r.cpu.cpus, "0-1");
  EXPECT_EQ(r.cpu.mems, "0");
  ASSERT_TRUE(r.pids.has_value());
  EXPECT_EQ(r.pids->limit, 64);
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_FALSE(r.devices[0].allow);
  EXPECT_FALSE(r.devices[0].major.has_value());
  EXPECT_EQ(r.devices[1].type, "c");
  EXPECT_EQ(r.devices[1].minor, 3);

  EXPECT_EQ(l.cgroups_path, "/bulwark/box");
  EXPECT_THAT(l.sysctl, ElementsAre(Pair("net.ipv4.ip_forward", "1")));
  ASSERT_TRUE(l.seccomp.has_value());
  EXPECT_EQ(l.seccomp->default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(l.seccomp->default_errno_ret, 1u);
  EXPECT_THAT(l.seccomp->architectures, ElementsAre("SCMP_ARCH_X86_64"));
  EXPECT_THAT(l.seccomp->flags, ElementsAre("SECCOMP_FILTER_FLAG_LOG"));
  ASSERT_EQ(l.seccomp->syscalls.size(), 3u);
  EXPECT_THAT(l.seccomp->syscalls[0].names, ElementsAre("read", "write"));
  const SeccompSyscall& personality = l.seccomp->syscalls[1];
  ASSERT_EQ(personality.args.size(), 2u);
  EXPECT_EQ(personality.args[1].index, 1u);
  EXPECT_EQ(personality.args[1].value, 255u);
  EXPECT_EQ(personality.args[1].value_two, 3u);
  EXPECT_EQ(personality.args[1].op, "SCMP_CMP_MASKED_EQ");
  EXPECT_EQ(l.seccomp->syscalls[2].errno_ret, 38u);

  EXPECT_EQ(l.rootfs_propagation, "rslave");
  EXPECT_THAT(l.masked_paths, ElementsAre("/proc/kcore"));
  EXPECT_THAT(l.readonly_paths, ElementsAre("/proc/sys"));
  EXPECT_EQ(l.mount_label, "system_u:object_r:container_file_t:s0");
  ASSERT_EQ(l.devices.size(), 2u);
  EXPECT_EQ(l.devices[0].path, "/dev/fuse");
  EXPECT_EQ(l.devices[0].major, 10);
  EXPECT_EQ(l.devices[0].minor, 229);
  EXPECT_EQ(l.devices[0].file_mode, 438u);
  EXPECT_EQ(l.devices[0].uid, 0u);
  EXPECT_EQ(l.devices[1].type, "p");
  EXPECT_FALSE(l.devices[1].major.has_value());
}

TEST(ParseSpecTest, UnknownMembersAreIgnored) {
  Spec spec = ParseOk(R"({
    "ociVersion": "1.2.0", "futureField": {"x": [1, 2]},
    "root": {"path": "r", "extra": 1},
    "process": {"user": {"uid": 1, "gid": 2, "username": "x"},
                "args": ["a"], "cwd": "/", "ioPriority": {"class": "x"},
                "commandLine": "a b"},
    "windows": {"layerFolders": []}, "vm": {"hypervisor": {}},
    "linux": {"personality": {"domain": "LINUX"}, "intelRdt": {}}
  })");
  EXPECT_EQ(spec.oci_version, "1.2.0");
  EXPECT_EQ(spec.process.user.gid, 2u);
}

// Go's encoding/json writes null for nil slices and maps in older configs.
TEST(ParseSpecTest, NullMembersCountAsAbsent) {
  Spec spec = ParseOk(R"({
    "ociVersion": "1.0.0", "root": {"path": "r", "readonly": null},
    "process": {"user": {"uid": 0, "gid": 0, "additionalGids": null},
                "args": ["a"], "cwd": "/", "env": null,
                "capabilities": null, "rlimits": null},
    "mounts": [{"destination": "/proc", "options": null}],
    "hostname": null, "annotations": null, "hooks": null,
    "linux": {"seccomp": null, "namespaces": null, "resources": null}
  })");
  EXPECT_FALSE(spec.root.readonly);
  EXPECT_TRUE(spec.process.env.empty());
  EXPECT_TRUE(spec.mounts[0].options.empty());
  EXPECT_FALSE(spec.linux.seccomp.has_value());
}

TEST(ParseSpecTest, DefaultSpecParses) {
  nlohmann::json json = DefaultSpecJson();
  Spec spec = ParseOk(json.dump());
  EXPECT_EQ(spec.oci_version, kOciVersion);
  EXPECT_EQ(spec.hostname, "bulwark");
  EXPECT_EQ(spec.root.path, "rootfs");
  EXPECT_TRUE(spec.root.readonly);
  EXPECT_TRUE(spec.process.terminal);
  EXPECT_TRUE(spec.process.no_new_privileges);
  EXPECT_THAT(spec.process.args, ElementsAre("sh"));
  EXPECT_EQ(spec.process.cwd, "/");
  EXPECT_THAT(
      spec.process.capabilities.bounding,
      ElementsAre("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"));
  EXPECT_EQ(spec.process.capabilities.effective,
            spec.process.capabilities.bounding);
  EXPECT_EQ(spec.process.capabilities.permitted,
            spec.process.capabilities.bounding);
  ASSERT_EQ(spec.process.rlimits.size(), 1u);
  EXPECT_EQ(spec.process.rlimits[0].type, "RLIMIT_NOFILE");
  EXPECT_EQ(spec.process.rlimits[0].soft, 1024u);
  std::vector<std::string> destinations;
  for (const Mount& m : spec.mounts) destinations.push_back(m.destination);
  EXPECT_THAT(destinations,
              ElementsAre("/proc", "/dev", "/dev/pts", "/dev/shm",
                          "/dev/mqueue", "/sys", "/sys/fs/cgroup"));
  EXPECT_TRUE(GoferMounts(spec).empty());
  std::vector<std::string> namespaces;
  for (const Namespace& ns : spec.linux.namespaces)
    namespaces.push_back(ns.type);
  EXPECT_THAT(namespaces, ElementsAre("pid", "network", "ipc", "uts", "mount"));
  EXPECT_EQ(spec.linux.masked_paths.size(), 10u);
  EXPECT_EQ(spec.linux.readonly_paths.size(), 5u);
}

TEST(MountTest, IsBind) {
  EXPECT_TRUE((Mount{"/a", "bind", "/b", {}}).IsBind());
  EXPECT_TRUE((Mount{"/a", "", "/b", {"rbind"}}).IsBind());
  EXPECT_TRUE((Mount{"/a", "none", "/b", {"ro", "bind"}}).IsBind());
  EXPECT_FALSE((Mount{"/a", "tmpfs", "tmpfs", {"rbinder"}}).IsBind());
  EXPECT_FALSE((Mount{"/proc", "proc", "proc", {}}).IsBind());
}

TEST(GoferMountsTest, BindMountsInSpecOrder) {
  Spec spec = ParseOk(kFull);
  std::vector<const Mount*> mounts = GoferMounts(spec);
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0], &spec.mounts[1]);
  EXPECT_EQ(mounts[1], &spec.mounts[3]);
}

TEST(ResolveRootPathTest, RelativeToBundle) {
  Spec spec;
  spec.root.path = "rootfs";
  EXPECT_EQ(ResolveRootPath(spec, "/b/bundle"), "/b/bundle/rootfs");
  EXPECT_EQ(ResolveRootPath(spec, "/b/bundle/"), "/b/bundle/rootfs");
  spec.root.path = "./x/../rootfs/";
  EXPECT_EQ(ResolveRootPath(spec, "/b"), "/b/rootfs");
  spec.root.path = "/abs/root";
  EXPECT_EQ(ResolveRootPath(spec, "/b"), "/abs/root");
  spec.root.path = "/";
  EXPECT_EQ(ResolveRootPath(spec, "/b"), "/");
}

class LoadSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "oci_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& name, std::string_view text) {
    std::ofstream(dir_ + "/" + name) << text;
  }

  std::string dir_;
};

TEST_F(LoadSpecTest, ReadsConfigJson) {
  Write("config.json", kMinimal);
  Result<Spec> spec = LoadSpec(dir_);
  ASSERT_TRUE(spec.has_value()) << spec.error().message;
  EXPECT_EQ(spec->root.path, "rootfs");
  EXPECT_EQ(ResolveRootPath(*spec, dir_), dir_ + "/rootfs");
}

TEST_F(LoadSpecTest, MissingFile) {
  Result<Spec> spec = LoadSpec(dir_);
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().message,
            "config.json: " + dir_ + "/config.json: No such file or directory");
  EXPECT_EQ(spec.error().errnum, ENOENT);
}

TEST_F(LoadSpecTest, NotARegularFile) {
  std::filesystem::create_directory(dir_ + "/config.json");
  Result<Spec> spec = LoadSpec(dir_ + "/");
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().message,
            "config.json: " + dir_ + "/config.json: not a regular file");
}

TEST_F(LoadSpecTest, ParseErrorsPassThrough) {
  Write("config.json", R"({"ociVersion": "1.0.0"})");
  Result<Spec> spec = LoadSpec(dir_);
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().message, "config.json: root: required");
}

// The runtime-spec's own schema fixtures, when the installed package ships
// them (Debian's golang-github-opencontainers-specs-dev currently does not).
TEST(SchemaFixturesTest, GoodConfigsParse) {
  std::filesystem::path dir = std::filesystem::path(kSchemaTestDir) / "good";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " absent";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    // Fixtures without a process are valid for the spec but not for us.
    if (!json.is_object() || !json.contains("process")) continue;
    Result<Spec> spec = ParseSpec(text);
    EXPECT_TRUE(spec.has_value())
        << entry.path() << ": " << spec.error().message;
  }
}

TEST(SchemaFixturesTest, BadConfigsFailCleanly) {
  std::filesystem::path dir = std::filesystem::path(kSchemaTestDir) / "bad";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << dir << " absent";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    std::string text((std::istreambuf_iterator<char>(in)), {});
    Result<Spec> spec = ParseSpec(text);
    // Some bad fixtures are about members bulwark ignores; those that fail
    // must fail with a one-line config.json error.
    if (!spec) {
      EXPECT_THAT(spec.error().message, StartsWith("config.json: "));
      EXPECT_EQ(spec.error().message.find('\n'), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace bulwark::oci
