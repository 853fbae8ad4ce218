// `bulwark debug filters` (the ptrace platform is not linked into this
// test, so the stub part says so).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/cli/cli.h"

namespace bulwark::runtime::cli {
namespace {

int RunBulwark(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return Main(static_cast<int>(args.size()), argv.data());
}

TEST(DebugFilters, PrintsEveryFilterWithCounts) {
  ::testing::internal::CaptureStdout();
  int rc = RunBulwark({"bulwark", "debug", "filters"});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(rc, 0);
  EXPECT_NE(out.find("# sentry: "), std::string::npos) << out;
  EXPECT_NE(out.find("# gofer: "), std::string::npos) << out;
  EXPECT_NE(out.find("# stub: "), std::string::npos) << out;
  EXPECT_NE(out.find("ptrace         "), std::string::npos) << out;
}

TEST(DebugFilters, UnknownTopic) {
  EXPECT_EQ(RunBulwark({"bulwark", "debug", "nothing"}), kExitError);
}

}  // namespace
}  // namespace bulwark::runtime::cli
