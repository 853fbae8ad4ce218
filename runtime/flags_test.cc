#include "runtime/flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bulwark::runtime {
namespace {

using Args = std::vector<std::string>;

TEST(GlobalFlags, Defaults) {
  auto parsed = ParseGlobalFlags(Args{"run", "id"});
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->flags.root, "/run/bulwark");
  EXPECT_EQ(parsed->flags.platform, "ptrace");
  EXPECT_EQ(parsed->flags.network, "none");
  EXPECT_EQ(parsed->flags.overlay, OverlayMode::kTmpfs);
  EXPECT_EQ(parsed->flags.log_format, LogFormat::kText);
  EXPECT_FALSE(parsed->flags.strace);
  EXPECT_FALSE(parsed->flags.debug);
  EXPECT_TRUE(parsed->flags.debug_log.empty());
  EXPECT_EQ(parsed->rest, (Args{"run", "id"}));
}

TEST(GlobalFlags, SeparateAndEqualsForms) {
  auto parsed = ParseGlobalFlags(Args{"--root", "/tmp/r", "--platform=kvm", "--network", "none",
                                      "--strace", "--debug-log=/tmp/d.log", "--overlay", "none",
                                      "--log", "/tmp/l.json", "--log-format=json", "--debug",
                                      "--systemd-cgroup", "run", "--bundle", "b", "id"});
  ASSERT_TRUE(parsed) << parsed.error().message;
  const GlobalFlags& f = parsed->flags;
  EXPECT_EQ(f.root, "/tmp/r");
  EXPECT_EQ(f.platform, "kvm");
  EXPECT_TRUE(f.strace);
  EXPECT_EQ(f.debug_log, "/tmp/d.log");
  EXPECT_EQ(f.overlay, OverlayMode::kNone);
  EXPECT_EQ(f.log, "/tmp/l.json");
  EXPECT_EQ(f.log_format, LogFormat::kJson);
  EXPECT_TRUE(f.debug);
  EXPECT_TRUE(f.systemd_cgroup);
  // Parsing stops at the subcommand; its flags are left for it.
  EXPECT_EQ(parsed->rest, (Args{"run", "--bundle", "b", "id"}));
}

TEST(GlobalFlags, SingleDashLongNamesAsGoFlagAccepts) {
  auto parsed = ParseGlobalFlags(Args{"-root", "/x", "-debug", "state", "id"});
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->flags.root, "/x");
  EXPECT_TRUE(parsed->flags.debug);
}

TEST(GlobalFlags, BoolValues) {
  auto parsed = ParseGlobalFlags(Args{"--strace=false", "--debug=true", "run"});
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->flags.strace);
  EXPECT_TRUE(parsed->flags.debug);
  auto bad = ParseGlobalFlags(Args{"--strace=maybe", "run"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "invalid value \"maybe\" for --strace: expected true or false");
}

TEST(GlobalFlags, HelpAndVersion) {
  auto v = ParseGlobalFlags(Args{"--version"});
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->flags.version);
  auto v2 = ParseGlobalFlags(Args{"-v"});
  ASSERT_TRUE(v2);
  EXPECT_TRUE(v2->flags.version);
  auto h = ParseGlobalFlags(Args{"-h"});
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->flags.help);
}

TEST(GlobalFlags, UnknownFlag) {
  auto parsed = ParseGlobalFlags(Args{"--foo", "run"});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "unknown flag --foo");
  auto with_value = ParseGlobalFlags(Args{"--foo=bar", "run"});
  ASSERT_FALSE(with_value);
  EXPECT_EQ(with_value.error().message, "unknown flag --foo");
  auto triple = ParseGlobalFlags(Args{"---root", "x"});
  ASSERT_FALSE(triple);
  EXPECT_EQ(triple.error().message, "unknown flag ---root");
}

TEST(GlobalFlags, MissingValue) {
  auto parsed = ParseGlobalFlags(Args{"--root"});
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message, "flag --root needs a value");
}

TEST(GlobalFlags, RejectedValues) {
  auto net = ParseGlobalFlags(Args{"--network=bridge", "run"});
  ASSERT_FALSE(net);
  EXPECT_EQ(net.error().message, "--network=bridge: must be none or host");
  auto host = ParseGlobalFlags(Args{"--network=host", "run"});
  ASSERT_TRUE(host);
  EXPECT_EQ(host->flags.network, "host");
  auto overlay = ParseGlobalFlags(Args{"--overlay", "disk", "run"});
  ASSERT_FALSE(overlay);
  EXPECT_EQ(overlay.error().message, "--overlay=disk: expected tmpfs or none");
  auto format = ParseGlobalFlags(Args{"--log-format=xml", "run"});
  ASSERT_FALSE(format);
  EXPECT_EQ(format.error().message, "--log-format=xml: expected text or json");
  auto root = ParseGlobalFlags(Args{"--root=", "run"});
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().message, "--root: must not be empty");
}

TEST(GlobalFlags, DoubleDashEndsFlags) {
  auto parsed = ParseGlobalFlags(Args{"--debug", "--", "--strace"});
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->flags.strace);
  EXPECT_EQ(parsed->rest, (Args{"--strace"}));
}

TEST(FlagSet, InterspersedPositionals) {
  std::string bundle, pid_file;
  bool detach = false;
  FlagSet set;
  set.String("bundle", &bundle, "", 'b');
  set.String("pid-file", &pid_file, "");
  set.Bool("detach", &detach, "", 'd');
  auto pos = set.Parse(Args{"id1", "-b", "/b", "--pid-file=/p", "-d"},
                       FlagSet::Mode::kInterspersed);
  ASSERT_TRUE(pos) << pos.error().message;
  EXPECT_EQ(*pos, (Args{"id1"}));
  EXPECT_EQ(bundle, "/b");
  EXPECT_EQ(pid_file, "/p");
  EXPECT_TRUE(detach);
}

TEST(FlagSet, StopAtPositionalKeepsTheRest) {
  bool detach = false;
  FlagSet set;
  set.Bool("detach", &detach, "", 'd');
  auto pos = set.Parse(Args{"-d", "id", "sh", "-c", "--detach"},
                       FlagSet::Mode::kStopAtPositional);
  ASSERT_TRUE(pos);
  EXPECT_TRUE(detach);
  EXPECT_EQ(*pos, (Args{"id", "sh", "-c", "--detach"}));
}

TEST(FlagSet, LoneDashIsPositional) {
  FlagSet set;
  auto pos = set.Parse(Args{"-"}, FlagSet::Mode::kInterspersed);
  ASSERT_TRUE(pos);
  EXPECT_EQ(*pos, (Args{"-"}));
}

TEST(FlagSet, ValueMayStartWithDash) {
  std::string v;
  FlagSet set;
  set.String("pid-file", &v, "");
  auto pos = set.Parse(Args{"--pid-file", "-weird"}, FlagSet::Mode::kInterspersed);
  ASSERT_TRUE(pos);
  EXPECT_EQ(v, "-weird");
}

TEST(FlagSet, CustomSetterError) {
  FlagSet set;
  set.Custom("n", "N", [](std::string_view) -> Result<void> { return MakeError("bad n"); }, "");
  auto pos = set.Parse(Args{"--n=3"}, FlagSet::Mode::kInterspersed);
  ASSERT_FALSE(pos);
  EXPECT_EQ(pos.error().message, "bad n");
}

TEST(FlagSet, HelpListsEveryFlag) {
  std::string s;
  bool b = false;
  FlagSet set;
  set.String("bundle", &s, "bundle directory", 'b', "DIR");
  set.Bool("detach", &b, "detach");
  std::string help = set.Help();
  EXPECT_NE(help.find("--bundle, -b DIR"), std::string::npos) << help;
  EXPECT_NE(help.find("--detach"), std::string::npos) << help;
}

}  // namespace
}  // namespace bulwark::runtime
