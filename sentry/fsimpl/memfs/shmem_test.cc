// fallocate, holes (SEEK_DATA/SEEK_HOLE), shared memory-file backing,
// memfd seals and O_TMPFILE of memfs files.
#include "sentry/fsimpl/memfs/shmem.h"

#include <linux/falloc.h>

#include <cstring>

#include "sentry/fsimpl/memfs/fs_test_util.h"
#include "sentry/fsimpl/memfs/inode.h"

namespace bulwark::fsimpl::memfs {
namespace {

using namespace std::string_literals;

class ShmemTest : public testing::FsTest {
 protected:
  std::shared_ptr<vfs::FileDescription> NewFile(MemFsOptions opts = {}) {
    root_ = CreateMemFs(opts);
    kernel::Credentials c;
    auto inode = *root_->Create("f", 0644, c);
    return *inode->Open(task(), vfs::Path{}, O_RDWR);
  }
  uint64_t Seek(vfs::FileDescription& f, int64_t off, int whence) {
    auto r = f.Seek(task(), off, whence);
    return r ? *r : ~0ull;
  }
  std::shared_ptr<vfs::Inode> root_;
};

constexpr uint64_t kPage = 4096;

TEST_F(ShmemTest, HolesAreSkippedBySeekData) {
  auto f = NewFile();
  ASSERT_TRUE(Write(*f, task(), "x", 3 * kPage));
  EXPECT_EQ(f->GetStat()->size, 3 * kPage + 1);
  EXPECT_EQ(Seek(*f, 0, SEEK_DATA), 3 * kPage);
  EXPECT_EQ(Seek(*f, 0, SEEK_HOLE), 0u);
  EXPECT_EQ(Seek(*f, 3 * kPage, SEEK_HOLE), 3 * kPage + 1);  // the end
  EXPECT_EQ(f->Seek(task(), 3 * kPage + 1, SEEK_DATA).error(), Errno::kENXIO);
  EXPECT_EQ(*Read(*f, task(), 4, 100), std::string(4, '\0'));
}

TEST_F(ShmemTest, FallocateModes) {
  auto f = NewFile();
  ASSERT_TRUE(Fallocate(task(), *f, 0, 0, 2 * kPage));
  EXPECT_EQ(f->GetStat()->size, 2 * kPage);
  EXPECT_EQ(f->GetStat()->blocks, 2 * kPage / 512);
  ASSERT_TRUE(Fallocate(task(), *f, FALLOC_FL_KEEP_SIZE, 0, 4 * kPage));
  EXPECT_EQ(f->GetStat()->size, 2 * kPage);
  EXPECT_EQ(f->GetStat()->blocks, 4 * kPage / 512);
  ASSERT_TRUE(Write(*f, task(), std::string(2 * kPage, 'a'), 0));
  ASSERT_TRUE(Fallocate(task(), *f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, kPage));
  EXPECT_EQ(*Read(*f, task(), 12, 0), "aaaaaaaaaa\0\0"s);
  EXPECT_EQ(*Read(*f, task(), 2, kPage + 9), "\0a"s);
  EXPECT_EQ(f->GetStat()->size, 2 * kPage);
}

TEST_F(ShmemTest, FallocateOverSizeLimitIsENOSPC) {
  MemFsOptions opts;
  opts.size_limit = 2 * kPage;
  auto f = NewFile(opts);
  EXPECT_EQ(Fallocate(task(), *f, 0, 0, 3 * kPage).error(), Errno::kENOSPC);
  EXPECT_EQ(f->GetStat()->size, 0u);
  EXPECT_TRUE(Fallocate(task(), *f, 0, 0, 2 * kPage));
}

TEST_F(ShmemTest, SharedBackingSharesPagesWithFileIo) {
  auto f = NewFile();
  ASSERT_TRUE(Write(*f, task(), "before", 0));
  mm::MemoryFile& mf = task().kernel().memory_file();
  auto backing = SharedBackingOf(task(), *f, mf, kPage);
  ASSERT_TRUE(backing);
  uint8_t* mem = mf.At((*backing)->offset());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(mem), 6), "before");
  std::memcpy(mem, "AFTER!", 6);  // as a MAP_SHARED mapping would
  EXPECT_EQ(*Read(*f, task(), 6, 0), "AFTER!");
  ASSERT_TRUE(Write(*f, task(), "zz", 1));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(mem), 6), "AzzER!");
  // Growing and shrinking keep working on the backing.
  vfs::SetStatRequest req;
  req.mask = vfs::SetStatRequest::kSize;
  req.size = 2;
  ASSERT_TRUE(f->SetStat(req));
  EXPECT_EQ(mem[2], 0);
  EXPECT_EQ(*SharedBackingOf(task(), *f, mf, kPage), *backing);  // same range
}

TEST_F(ShmemTest, MemfdSeals) {
  auto f = CreateMemfd(task(), "x", /*allow_sealing=*/true);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)->AnonName(), "/memfd:x (deleted)");
  EXPECT_EQ(*GetSeals(**f), 0);
  ASSERT_TRUE(Write(**f, task(), "abc", 0));
  ASSERT_TRUE(AddSeals(**f, F_SEAL_SHRINK | F_SEAL_WRITE));
  EXPECT_EQ(Write(**f, task(), "d", 3).error(), Errno::kEPERM);
  vfs::SetStatRequest req;
  req.mask = vfs::SetStatRequest::kSize;
  req.size = 1;
  EXPECT_EQ((*f)->SetStat(req).error(), Errno::kEPERM);
  req.size = 10;
  EXPECT_TRUE((*f)->SetStat(req));  // growing is not sealed
  ASSERT_TRUE(AddSeals(**f, F_SEAL_SEAL));
  EXPECT_EQ(AddSeals(**f, F_SEAL_GROW).error(), Errno::kEPERM);

  auto plain = CreateMemfd(task(), "y", /*allow_sealing=*/false);
  EXPECT_EQ(*GetSeals(**plain), F_SEAL_SEAL);
  EXPECT_EQ(AddSeals(**plain, F_SEAL_WRITE).error(), Errno::kEPERM);
}

TEST_F(ShmemTest, TmpfileIsUnnamedUntilLinked) {
  root_ = CreateMemFs({});
  auto mount = std::make_shared<vfs::Mount>(std::make_shared<vfs::Dentry>("/", nullptr, root_),
                                            "tmpfs", "tmpfs", 0);
  vfs::Path dir{mount, mount->root()};
  auto f = OpenTmpfile(task(), dir, 0600, O_RDWR);
  ASSERT_TRUE(f);
  EXPECT_EQ((*f)->GetStat()->nlink, 0u);
  EXPECT_TRUE((*f)->path().dentry->dead());
  EXPECT_TRUE(root_->ReadDir()->empty());
  ASSERT_TRUE(root_->Link("named", (*f)->path().dentry->inode()));
  EXPECT_EQ((*f)->GetStat()->nlink, 1u);

  auto excl = OpenTmpfile(task(), dir, 0600, O_RDWR | O_EXCL);
  ASSERT_TRUE(excl);
  EXPECT_EQ(root_->Link("no", (*excl)->path().dentry->inode()).error(), Errno::kENOENT);
}

}  // namespace
}  // namespace bulwark::fsimpl::memfs
