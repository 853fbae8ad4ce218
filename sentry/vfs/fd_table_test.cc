#include "sentry/kernel/fd_table.h"

#include <fcntl.h>
#include <gtest/gtest.h>

namespace bulwark::kernel {
namespace {

std::shared_ptr<vfs::FileDescription> File() {
  return std::make_shared<vfs::FileDescription>(vfs::Path{}, O_RDONLY);
}

TEST(FdTableTest, InstallLowestFree) {
  FdTable t;
  EXPECT_EQ(*t.Install(File(), false, 10), 0);
  EXPECT_EQ(*t.Install(File(), false, 10), 1);
  EXPECT_EQ(*t.Install(File(), true, 10, 5), 5);
  ASSERT_TRUE(t.Remove(0));
  EXPECT_EQ(*t.Install(File(), false, 10), 0);
  EXPECT_EQ(*t.Install(File(), false, 10), 2);
  EXPECT_TRUE(t.GetEntry(5)->cloexec);
  EXPECT_EQ(t.Remove(9).error(), Errno::kEBADF);
  EXPECT_EQ(t.Get(9).error(), Errno::kEBADF);
}

TEST(FdTableTest, Limits) {
  FdTable t;
  EXPECT_EQ(*t.Install(File(), false, 2), 0);
  EXPECT_EQ(*t.Install(File(), false, 2), 1);
  EXPECT_EQ(t.Install(File(), false, 2).error(), Errno::kEMFILE);
  EXPECT_EQ(t.Install(File(), false, 10, 10).error(), Errno::kEMFILE);
  EXPECT_EQ(t.InstallAt(2, File(), false, 2).error(), Errno::kEBADF);
  EXPECT_EQ(t.InstallAt(-1, File(), false, 2).error(), Errno::kEBADF);
}

TEST(FdTableTest, InstallAtReplacesAndReleases) {
  FdTable t;
  auto old = File();
  std::weak_ptr<vfs::FileDescription> weak = old;
  ASSERT_TRUE(t.InstallAt(3, std::move(old), true, 10));
  ASSERT_TRUE(t.InstallAt(3, File(), false, 10));
  EXPECT_TRUE(weak.expired());
  EXPECT_FALSE(t.GetEntry(3)->cloexec);
}

TEST(FdTableTest, CloseRangeAndCloseOnExec) {
  FdTable t;
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(t.InstallAt(i, File(), i % 2 == 0, 100));
  t.CloseRange(6, ~0u, false);
  EXPECT_EQ(t.size(), 6u);
  t.CloseRange(0, 1, true);
  EXPECT_TRUE(t.GetEntry(1)->cloexec);
  t.CloseOnExec();
  // Left: 3 and 5 (odd, never marked).
  EXPECT_EQ(t.size(), 2u);
  EXPECT_NE(t.GetEntry(3), nullptr);
  EXPECT_NE(t.GetEntry(5), nullptr);
  auto copy = t.Fork();
  ASSERT_TRUE(copy->Remove(3));
  EXPECT_NE(t.GetEntry(3), nullptr);
}

}  // namespace
}  // namespace bulwark::kernel
