#include "oci/names.h"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/resource.h>

namespace bulwark::oci {
namespace {

TEST(NamesTest, CapabilitiesFollowKernelNumbering) {
  EXPECT_EQ(CapabilityNames().size(), 41u);
  EXPECT_EQ(CapabilityNumber("CAP_CHOWN"), CAP_CHOWN);
  EXPECT_EQ(CapabilityNumber("CAP_NET_BIND_SERVICE"), CAP_NET_BIND_SERVICE);
  EXPECT_EQ(CapabilityNumber("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(CapabilityNumber("CAP_AUDIT_WRITE"), CAP_AUDIT_WRITE);
  EXPECT_EQ(CapabilityNumber("CAP_AUDIT_READ"), CAP_AUDIT_READ);
  EXPECT_EQ(CapabilityNumber("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(CapabilityNumber("CAP_FOO"), std::nullopt);
  EXPECT_EQ(CapabilityNumber("cap_chown"), std::nullopt);
  EXPECT_EQ(CapabilityNumber(""), std::nullopt);
}

TEST(NamesTest, RlimitsFollowKernelNumbering) {
  EXPECT_EQ(RlimitNames().size(), 16u);
  EXPECT_EQ(RlimitResource("RLIMIT_CPU"), RLIMIT_CPU);
  EXPECT_EQ(RlimitResource("RLIMIT_NOFILE"), RLIMIT_NOFILE);
  EXPECT_EQ(RlimitResource("RLIMIT_AS"), RLIMIT_AS);
  EXPECT_EQ(RlimitResource("RLIMIT_MSGQUEUE"), RLIMIT_MSGQUEUE);
  EXPECT_EQ(RlimitResource("RLIMIT_RTTIME"), RLIMIT_RTTIME);
  EXPECT_EQ(RlimitResource("RLIMIT_FOO"), std::nullopt);
}

TEST(NamesTest, Namespaces) {
  EXPECT_EQ(NamespaceCloneFlag("pid"), CLONE_NEWPID);
  EXPECT_EQ(NamespaceCloneFlag("network"), CLONE_NEWNET);
  EXPECT_EQ(NamespaceCloneFlag("mount"), CLONE_NEWNS);
  EXPECT_EQ(NamespaceCloneFlag("ipc"), CLONE_NEWIPC);
  EXPECT_EQ(NamespaceCloneFlag("uts"), CLONE_NEWUTS);
  EXPECT_EQ(NamespaceCloneFlag("user"), CLONE_NEWUSER);
  EXPECT_EQ(NamespaceCloneFlag("cgroup"), CLONE_NEWCGROUP);
  EXPECT_EQ(NamespaceCloneFlag("time"), 0x80);
  EXPECT_FALSE(IsNamespaceType("net"));
  EXPECT_FALSE(IsNamespaceType(""));
}

TEST(NamesTest, SeccompAndPropagation) {
  EXPECT_TRUE(IsSeccompAction("SCMP_ACT_ERRNO"));
  EXPECT_FALSE(IsSeccompAction("SCMP_ACT_BOGUS"));
  EXPECT_TRUE(IsSeccompOperator("SCMP_CMP_MASKED_EQ"));
  EXPECT_FALSE(IsSeccompOperator("SCMP_CMP_XOR"));
  EXPECT_TRUE(IsRootfsPropagation("rslave"));
  EXPECT_FALSE(IsRootfsPropagation("bogus"));
}

}  // namespace
}  // namespace bulwark::oci
