// Malformed configs and the exact error each one must produce.
#include <gtest/gtest.h>

#include "oci/parse.h"

namespace bulwark::oci {
namespace {

struct TextCase {
  const char* name;
  const char* text;
  const char* error;
};

class SyntaxErrorTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(SyntaxErrorTest, ExactMessage) {
  Result<Spec> spec = ParseSpec(GetParam().text);
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().message, GetParam().error);
  EXPECT_EQ(spec.error().errnum, 0);
}

INSTANTIATE_TEST_SUITE_P(
    ParseSpec, SyntaxErrorTest,
    ::testing::Values(
        TextCase{"NotJson", "not json",
                 "config.json: not valid JSON: parse error at line 1, column 2 "
                 "(byte 2): syntax error while parsing value - invalid "
                 "literal; last read: 'no'"},
        TextCase{"EmptyFile", "",
                 "config.json: not valid JSON: parse error at line 1, column 1 "
                 "(byte 1): syntax error while parsing value - unexpected end "
                 "of input; expected '[', '{', or a literal"},
        TextCase{"Truncated", "{\"ociVersion\": \"1.0.2\",\n",
                 "config.json: not valid JSON: parse error at line 2, column 1 "
                 "(byte 25): syntax error while parsing object key - "
                 "unexpected end of input; expected string literal"},
        TextCase{"TrailingGarbage", "{} {}",
                 "config.json: not valid JSON: parse error at line 1, column 4 "
                 "(byte 4): syntax error while parsing value - unexpected '{'; "
                 "expected end of input"},
        TextCase{"TopLevelArray", "[]", "config.json: must be an object"},
        TextCase{"TopLevelNull", "null", "config.json: must be an object"},
        TextCase{"TopLevelString", "\"x\"", "config.json: must be an object"}),
    [](const auto& info) { return std::string(info.param.name); });

// A valid config; each case applies a JSON Patch (RFC 6902) to it.
constexpr char kBase[] = R"({
  "ociVersion": "1.0.2",
  "root": {"path": "rootfs"},
  "process": {
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/bin", "TERM=xterm"],
    "cwd": "/",
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"]}
  },
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid"]},
    {"destination": "/data", "type": "bind", "source": "/srv"}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "mount"}],
    "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO",
                              "args": [{"index": 0, "value": 1,
                                        "op": "SCMP_CMP_EQ"}]}]},
    "devices": [{"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229}]
  },
  "hooks": {"prestart": [{"path": "/bin/true"}],
            "poststop": [{"path": "/bin/true"}]},
  "annotations": {"org.example.n": "1"}
})";

struct PatchCase {
  const char* name;
  const char* patch;
  const char* error;
};

class MalformedSpecTest : public ::testing::TestWithParam<PatchCase> {};

TEST(PatchBaseTest, IsValid) {
  Result<Spec> spec = ParseSpec(kBase);
  EXPECT_TRUE(spec.has_value()) << spec.error().message;
}

TEST_P(MalformedSpecTest, ExactMessage) {
  nlohmann::json config = nlohmann::json::parse(kBase);
  config = config.patch(nlohmann::json::parse(GetParam().patch));
  Result<Spec> spec = ParseSpec(config.dump());
  ASSERT_FALSE(spec.has_value());
  EXPECT_EQ(spec.error().message, GetParam().error);
}

#define REMOVE(path) R"([{"op": "remove", "path": ")" path R"("}])"
#define REPLACE(path, value) \
  R"([{"op": "replace", "path": ")" path R"(", "value": )" value "}]"
#define ADD(path, value) \
  R"([{"op": "add", "path": ")" path R"(", "value": )" value "}]"

INSTANTIATE_TEST_SUITE_P(
    ParseSpec, MalformedSpecTest,
    ::testing::Values(
        // ociVersion
        PatchCase{"OciVersionMissing", REMOVE("/ociVersion"),
                  "config.json: ociVersion: required"},
        PatchCase{"OciVersionNumber", REPLACE("/ociVersion", "1.0"),
                  "config.json: ociVersion: must be a string"},
        PatchCase{"OciVersionTooOld", REPLACE("/ociVersion", R"("0.5.0")"),
                  "config.json: ociVersion: unsupported version \"0.5.0\" "
                  "(bulwark supports 1.x)"},
        // root
        PatchCase{"RootMissing", REMOVE("/root"),
                  "config.json: root: required"},
        PatchCase{"RootNotObject", REPLACE("/root", R"("rootfs")"),
                  "config.json: root: must be an object"},
        PatchCase{"RootPathMissing", REMOVE("/root/path"),
                  "config.json: root.path: required"},
        PatchCase{"RootPathEmpty", REPLACE("/root/path", R"("")"),
                  "config.json: root.path: must not be empty"},
        PatchCase{"RootReadonlyNotBool", ADD("/root/readonly", R"("true")"),
                  "config.json: root.readonly: must be a boolean"},
        // mounts
        PatchCase{"MountsNotArray", REPLACE("/mounts", "{}"),
                  "config.json: mounts: must be an array"},
        PatchCase{"MountNotObject", REPLACE("/mounts/1", R"("/dev")"),
                  "config.json: mounts[1]: must be an object"},
        PatchCase{
            "MountDestinationRelative",
            REPLACE("/mounts/2/destination", R"("data")"),
            "config.json: mounts[2].destination: must be an absolute path"},
        PatchCase{"MountDestinationMissing", REMOVE("/mounts/0/destination"),
                  "config.json: mounts[0].destination: required"},
        PatchCase{"MountOptionNotString", ADD("/mounts/1/options/-", "1"),
                  "config.json: mounts[1].options[1]: must be a string"},
        PatchCase{"MountTypeNotString", REPLACE("/mounts/0/type", "false"),
                  "config.json: mounts[0].type: must be a string"},
        // process
        PatchCase{"ProcessMissing", REMOVE("/process"),
                  "config.json: process: required"},
        PatchCase{"ProcessNotObject", REPLACE("/process", "[]"),
                  "config.json: process: must be an object"},
        PatchCase{"ArgsMissing", REMOVE("/process/args"),
                  "config.json: process.args: must be a non-empty array of "
                  "strings"},
        PatchCase{"ArgsEmpty", REPLACE("/process/args", "[]"),
                  "config.json: process.args: must be a non-empty array of "
                  "strings"},
        PatchCase{"ArgsNonString", ADD("/process/args/-", "7"),
                  "config.json: process.args: must be a non-empty array of "
                  "strings"},
        PatchCase{"ArgsString", REPLACE("/process/args", R"("sh")"),
                  "config.json: process.args: must be a non-empty array of "
                  "strings"},
        PatchCase{"CwdMissing", REMOVE("/process/cwd"),
                  "config.json: process.cwd: required"},
        PatchCase{"CwdRelative", REPLACE("/process/cwd", R"("tmp")"),
                  "config.json: process.cwd: must be an absolute path"},
        PatchCase{"UserMissing", REMOVE("/process/user"),
                  "config.json: process.user: required"},
        PatchCase{"UidNegative", REPLACE("/process/user/uid", "-1"),
                  "config.json: process.user.uid: must be an unsigned 32-bit "
                  "integer"},
        PatchCase{"UidTooBig", REPLACE("/process/user/uid", "4294967296"),
                  "config.json: process.user.uid: must be an unsigned 32-bit "
                  "integer"},
        PatchCase{"UidString", REPLACE("/process/user/uid", R"("0")"),
                  "config.json: process.user.uid: must be an unsigned 32-bit "
                  "integer"},
        PatchCase{"UidFloat", REPLACE("/process/user/uid", "1.5"),
                  "config.json: process.user.uid: must be an unsigned 32-bit "
                  "integer"},
        PatchCase{"GidMissing", REMOVE("/process/user/gid"),
                  "config.json: process.user.gid: required"},
        PatchCase{"AdditionalGidNegative",
                  ADD("/process/user/additionalGids", "[1, -2]"),
                  "config.json: process.user.additionalGids[1]: must be an "
                  "unsigned 32-bit integer"},
        PatchCase{"EnvWithoutEquals", REPLACE("/process/env/1", R"("TERM")"),
                  "config.json: process.env[1]: \"TERM\" is not of the form "
                  "NAME=VALUE"},
        PatchCase{"EnvEmptyName", REPLACE("/process/env/0", R"("=x")"),
                  "config.json: process.env[0]: \"=x\" is not of the form "
                  "NAME=VALUE"},
        PatchCase{"EnvNotArray", REPLACE("/process/env", R"("A=B")"),
                  "config.json: process.env: must be an array of strings"},
        PatchCase{"TerminalNotBool", ADD("/process/terminal", "1"),
                  "config.json: process.terminal: must be a boolean"},
        PatchCase{"ConsoleSizeWidthMissing",
                  ADD("/process/consoleSize", R"({"height": 1})"),
                  "config.json: process.consoleSize.width: required"},
        PatchCase{"RlimitUnknownType",
                  REPLACE("/process/rlimits/0/type", R"("RLIMIT_FOO")"),
                  "config.json: process.rlimits[0].type: unknown rlimit "
                  "\"RLIMIT_FOO\""},
        PatchCase{"RlimitSoftAboveHard",
                  REPLACE("/process/rlimits/0/soft", "2048"),
                  "config.json: process.rlimits[0]: soft limit 2048 exceeds "
                  "hard limit 1024"},
        PatchCase{"RlimitHardMissing", REMOVE("/process/rlimits/0/hard"),
                  "config.json: process.rlimits[0].hard: required"},
        PatchCase{"RlimitDuplicate",
                  ADD("/process/rlimits/-",
                      R"({"type": "RLIMIT_NOFILE", "hard": 1, "soft": 1})"),
                  "config.json: process.rlimits[1].type: duplicate rlimit "
                  "\"RLIMIT_NOFILE\""},
        PatchCase{"CapabilityUnknown",
                  REPLACE("/process/capabilities/bounding/1", R"("CAP_FOO")"),
                  "config.json: process.capabilities.bounding[1]: unknown "
                  "capability \"CAP_FOO\""},
        PatchCase{"CapabilityLowercase",
                  ADD("/process/capabilities/ambient", R"(["cap_kill"])"),
                  "config.json: process.capabilities.ambient[0]: unknown "
                  "capability \"cap_kill\""},
        PatchCase{"OomScoreAdjTooBig", ADD("/process/oomScoreAdj", "1001"),
                  "config.json: process.oomScoreAdj: must be an integer from "
                  "-1000 to 1000"},
        PatchCase{"OomScoreAdjTooSmall", ADD("/process/oomScoreAdj", "-1001"),
                  "config.json: process.oomScoreAdj: must be an integer from "
                  "-1000 to 1000"},
        PatchCase{"OomScoreAdjString", ADD("/process/oomScoreAdj", R"("5")"),
                  "config.json: process.oomScoreAdj: must be an integer from "
                  "-1000 to 1000"},
        // top-level strings and maps
        PatchCase{"HostnameNotString", ADD("/hostname", "42"),
                  "config.json: hostname: must be a string"},
        PatchCase{"AnnotationValueNotString",
                  REPLACE("/annotations/org.example.n", "1"),
                  "config.json: annotations[\"org.example.n\"]: must be a "
                  "string"},
        PatchCase{"AnnotationsNotObject", REPLACE("/annotations", "[]"),
                  "config.json: annotations: must be an object"},
        // hooks
        PatchCase{"HookPathRelative",
                  REPLACE("/hooks/prestart/0/path", R"("true")"),
                  "config.json: hooks.prestart[0].path: must be an absolute "
                  "path"},
        PatchCase{"HookPathMissing", REMOVE("/hooks/poststop/0/path"),
                  "config.json: hooks.poststop[0].path: required"},
        PatchCase{"HookTimeoutZero", ADD("/hooks/poststop/0/timeout", "0"),
                  "config.json: hooks.poststop[0].timeout: must be a positive "
                  "integer"},
        PatchCase{"HookEnvWithoutEquals",
                  ADD("/hooks/prestart/0/env", R"(["X"])"),
                  "config.json: hooks.prestart[0].env[0]: \"X\" is not of the "
                  "form NAME=VALUE"},
        PatchCase{"HooksNotObject", REPLACE("/hooks", "[]"),
                  "config.json: hooks: must be an object"},
        // linux
        PatchCase{"LinuxNotObject", REPLACE("/linux", "true"),
                  "config.json: linux: must be an object"},
        PatchCase{"NamespaceUnknown",
                  REPLACE("/linux/namespaces/0/type", R"("net")"),
                  "config.json: linux.namespaces[0].type: unknown namespace "
                  "type \"net\""},
        PatchCase{"NamespaceDuplicate",
                  REPLACE("/linux/namespaces/1/type", R"("pid")"),
                  "config.json: linux.namespaces[1].type: duplicate namespace "
                  "\"pid\""},
        PatchCase{"NamespacePathRelative",
                  ADD("/linux/namespaces/0/path", R"("proc/1/ns/pid")"),
                  "config.json: linux.namespaces[0].path: must be an absolute "
                  "path"},
        PatchCase{
            "UidMappingSizeMissing",
            ADD("/linux/uidMappings", R"([{"containerID": 0, "hostID": 1}])"),
            "config.json: linux.uidMappings[0].size: required"},
        PatchCase{"MemoryLimitString",
                  ADD("/linux/resources", R"({"memory": {"limit": "1G"}})"),
                  "config.json: linux.resources.memory.limit: must be a 64-bit "
                  "integer"},
        PatchCase{"PidsLimitMissing",
                  ADD("/linux/resources", R"({"pids": {}})"),
                  "config.json: linux.resources.pids.limit: required"},
        PatchCase{"SysctlValueNotString",
                  ADD("/linux/sysctl", R"({"kernel.shmmax": 1})"),
                  "config.json: linux.sysctl[\"kernel.shmmax\"]: must be a "
                  "string"},
        PatchCase{"SeccompDefaultActionUnknown",
                  REPLACE("/linux/seccomp/defaultAction", R"("SCMP_ACT_NOPE")"),
                  "config.json: linux.seccomp.defaultAction: unknown seccomp "
                  "action \"SCMP_ACT_NOPE\""},
        PatchCase{"SeccompNamesEmpty",
                  REPLACE("/linux/seccomp/syscalls/0/names", "[]"),
                  "config.json: linux.seccomp.syscalls[0].names: must be a "
                  "non-empty array of strings"},
        PatchCase{"SeccompOperatorUnknown",
                  REPLACE("/linux/seccomp/syscalls/0/args/0/op", R"("EQ")"),
                  "config.json: linux.seccomp.syscalls[0].args[0].op: unknown "
                  "seccomp operator \"EQ\""},
        PatchCase{"RootfsPropagationUnknown",
                  ADD("/linux/rootfsPropagation", R"("bogus")"),
                  "config.json: linux.rootfsPropagation: unknown propagation "
                  "\"bogus\""},
        PatchCase{
            "MaskedPathRelative",
            ADD("/linux/maskedPaths", R"(["/proc/kcore", "proc/keys"])"),
            "config.json: linux.maskedPaths[1]: must be an absolute path"},
        PatchCase{"DeviceTypeUnknown",
                  REPLACE("/linux/devices/0/type", R"("x")"),
                  "config.json: linux.devices[0].type: unknown device type "
                  "\"x\""},
        PatchCase{"DeviceMajorMissing", REMOVE("/linux/devices/0/major"),
                  "config.json: linux.devices[0].major: required"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace bulwark::oci
