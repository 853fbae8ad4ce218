#include "runtime/state.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/fs.h"

namespace bulwark::runtime {
namespace {

TEST(ContainerId, Valid) {
  for (const char* id : {"a", "abc-123", "A_B.c+d", "x,y", "..a", "a..", ".hidden",
                         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}) {
    EXPECT_TRUE(ValidateContainerId(id)) << id;
  }
}

TEST(ContainerId, Invalid) {
  for (const char* id : {"a/b", "../x", "a b", "a\tb", "é", "a:b", "a*", "a$b", "/abs", "a\nb"}) {
    auto r = ValidateContainerId(id);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().message, std::string("invalid container id \"") + id +
                                     "\": only letters, digits and _ + - . , are allowed");
  }
}

TEST(ContainerId, DotsEmptyAndLong) {
  auto dot = ValidateContainerId(".");
  ASSERT_FALSE(dot);
  EXPECT_EQ(dot.error().message, "invalid container id \".\": must not be \".\" or \"..\"");
  auto dotdot = ValidateContainerId("..");
  ASSERT_FALSE(dotdot);
  EXPECT_EQ(dotdot.error().message, "invalid container id \"..\": must not be \".\" or \"..\"");
  auto empty = ValidateContainerId("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message, "container id cannot be empty");
  EXPECT_TRUE(ValidateContainerId(std::string(255, 'a')));
  EXPECT_FALSE(ValidateContainerId(std::string(256, 'a')));
}

TEST(StateJson, RoundTripAndKeyOrder) {
  State s;
  s.oci_version = "1.0.2-dev";
  s.id = "c1";
  s.pid = 42;
  s.status = Status::kRunning;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = "2026-01-02T03:04:05.000000006Z";
  s.annotations = {{"k", "v"}};
  std::string json = StateToJson(s);
  EXPECT_EQ(json,
            "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"c1\",\"pid\":42,\"status\":\"running\","
            "\"bundle\":\"/b\",\"rootfs\":\"/b/rootfs\",\"created\":"
            "\"2026-01-02T03:04:05.000000006Z\",\"owner\":\"\",\"annotations\":{\"k\":\"v\"}}");
  auto back = StateFromJson(json);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->id, "c1");
  EXPECT_EQ(back->pid, 42);
  EXPECT_EQ(back->status, Status::kRunning);
  EXPECT_EQ(back->annotations.at("k"), "v");
}

TEST(StateJson, NoAnnotationsKey) {
  State s;
  s.id = "c";
  EXPECT_EQ(StateToJson(s).find("annotations"), std::string::npos);
}

TEST(StateJson, Errors) {
  EXPECT_FALSE(StateFromJson("nope"));
  EXPECT_FALSE(StateFromJson("[]"));
  auto bad_status = StateFromJson(
      R"({"ociVersion":"x","id":"a","pid":1,"status":"zombie","bundle":"/","rootfs":"/","created":""})");
  ASSERT_FALSE(bad_status);
  EXPECT_EQ(bad_status.error().message, "state.json: status: unknown value \"zombie\"");
}

TEST(StateJson, CreatedIsRfc3339Nano) {
  std::string t = Rfc3339NanoNow();
  ASSERT_EQ(t.size(), 30u) << t;
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t[19], '.');
  EXPECT_EQ(t.back(), 'Z');
}

class StateRootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bulwark-state-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + tmp_).c_str()); }
  std::string tmp_;
};

TEST_F(StateRootTest, CreateSaveLoadRemove) {
  StateRoot root(tmp_ + "/run/bulwark");
  auto dir = root.Create("c1");
  ASSERT_TRUE(dir) << dir.error().message;
  struct stat st;
  ASSERT_EQ(stat((tmp_ + "/run/bulwark").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  ASSERT_EQ(stat(dir->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0711u);
  EXPECT_EQ(access((dir->path() + "/.lock").c_str(), F_OK), 0);

  State s;
  s.oci_version = "1.0.2-dev";
  s.id = "c1";
  s.status = Status::kCreating;
  s.bundle = "/b";
  s.rootfs = "/b/r";
  s.created = Rfc3339NanoNow();
  ASSERT_TRUE(dir->Save(s));
  ASSERT_EQ(stat((dir->path() + "/state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = dir->Load();
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->status, Status::kCreating);

  auto again = root.Create("c1");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "container \"c1\" already exists");

  std::string path = dir->path();
  ASSERT_TRUE(dir->Remove());
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  // The ID is free again.
  auto fresh = root.Create("c1");
  ASSERT_TRUE(fresh) << fresh.error().message;
  ASSERT_TRUE(fresh->Remove());
}

TEST_F(StateRootTest, InvalidIdCreatesNothing) {
  StateRoot root(tmp_ + "/r");
  auto dir = root.Create("../escape");
  ASSERT_FALSE(dir);
  EXPECT_NE(access((tmp_ + "/r").c_str(), F_OK), 0);
}

TEST_F(StateRootTest, AtomicWriteLeavesNoTemporaries) {
  std::string path = tmp_ + "/pid";
  ASSERT_TRUE(WriteFileAtomic(path, "123", 0644));
  ASSERT_TRUE(WriteFileAtomic(path, "4567", 0644));
  auto text = ReadFile(path);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "4567");  // no trailing newline
  std::string listing;
  FILE* p = popen(("ls -A " + tmp_).c_str(), "r");
  char buf[256];
  while (fgets(buf, sizeof(buf), p)) listing += buf;
  pclose(p);
  EXPECT_EQ(listing, "pid\n");
}

TEST(Paths, Clean) {
  EXPECT_EQ(CleanPath("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(CleanPath("/a/b/../../.."), "/");
  EXPECT_EQ(CleanPath("a/../../b"), "../b");
  EXPECT_EQ(CleanPath(""), ".");
  EXPECT_EQ(JoinPath("/bundle", "rootfs"), "/bundle/rootfs");
  EXPECT_EQ(JoinPath("/bundle", "/abs/x"), "/abs/x");
  EXPECT_EQ(JoinPath("/bundle/", "../r"), "/r");
}

}  // namespace
}  // namespace bulwark::runtime
