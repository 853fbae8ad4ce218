#include "sentry/mm/mm.h"

#include <gtest/gtest.h>

#include <cstring>

#include "platform/fake/fake_platform.h"

namespace bulwark::mm {
namespace {

class MmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = MemoryFile::Create(uint64_t{1} << 32);
    ASSERT_TRUE(mf.has_value());
    mf_ = std::move(*mf);
    mm_ = std::make_unique<MemoryManager>(*mf_, platform_);
  }
  uint64_t MapAnon(uint64_t len, int prot = PROT_READ | PROT_WRITE, uint64_t addr = 0) {
    MapRequest r;
    r.addr = addr;
    r.len = len;
    r.prot = prot;
    r.fixed = addr != 0;
    auto a = mm_->Map(r);
    EXPECT_TRUE(a.has_value());
    return a.value_or(0);
  }
  platform::FakePlatform platform_;
  std::unique_ptr<MemoryFile> mf_;
  std::unique_ptr<MemoryManager> mm_;
};

TEST_F(MmTest, MapCopyRoundTrip) {
  uint64_t a = MapAnon(3 * kPageSize);
  const char msg[] = "hello across pages";
  ASSERT_TRUE(mm_->CopyOut(a + kPageSize - 5, msg, sizeof(msg)).has_value());
  char buf[sizeof(msg)];
  ASSERT_TRUE(mm_->CopyIn(a + kPageSize - 5, buf, sizeof(buf)).has_value());
  EXPECT_STREQ(buf, msg);
  auto s = mm_->CopyInString(a + kPageSize - 5, 100);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, msg);
}

TEST_F(MmTest, FreshMemoryIsZero) {
  uint64_t a = MapAnon(kPageSize);
  uint64_t v = 1;
  ASSERT_TRUE(mm_->CopyIn(a + 64, &v, sizeof(v)).has_value());
  EXPECT_EQ(v, 0u);
}

TEST_F(MmTest, UnmappedAndProtectedAccessFaults) {
  uint64_t a = MapAnon(2 * kPageSize);
  char c = 'x';
  EXPECT_EQ(mm_->CopyOut(a + 2 * kPageSize, &c, 1).error(), Errno::kEFAULT);
  ASSERT_TRUE(mm_->Protect(a, kPageSize, PROT_READ).has_value());
  EXPECT_EQ(mm_->CopyOut(a, &c, 1).error(), Errno::kEFAULT);
  EXPECT_TRUE(mm_->CopyOut(a + kPageSize, &c, 1).has_value());
  EXPECT_EQ(mm_->vmas().size(), 2u);  // split by mprotect
  ASSERT_TRUE(mm_->Protect(a, kPageSize, PROT_NONE).has_value());
  EXPECT_EQ(mm_->CopyIn(a, &c, 1).error(), Errno::kEFAULT);
  // A range with a hole is ENOMEM for mprotect.
  EXPECT_EQ(mm_->Protect(a, 3 * kPageSize, PROT_READ).error(), Errno::kENOMEM);
}

TEST_F(MmTest, UnmapMiddleSplitsAndZeroes) {
  uint64_t a = MapAnon(3 * kPageSize);
  uint64_t v = 42;
  ASSERT_TRUE(mm_->CopyOut(a + kPageSize, &v, sizeof(v)).has_value());
  ASSERT_TRUE(mm_->Unmap(a + kPageSize, kPageSize).has_value());
  EXPECT_EQ(mm_->vmas().size(), 2u);
  EXPECT_EQ(mm_->CopyIn(a + kPageSize, &v, sizeof(v)).error(), Errno::kEFAULT);
  MapAnon(kPageSize, PROT_READ | PROT_WRITE, a + kPageSize);
  ASSERT_TRUE(mm_->CopyIn(a + kPageSize, &v, sizeof(v)).has_value());
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(mm_->Unmap(a + 1, kPageSize).error(), Errno::kEINVAL);
}

TEST_F(MmTest, ForkCopiesPrivateMemory) {
  uint64_t a = MapAnon(16 * kPageSize);
  uint64_t v = 7;
  ASSERT_TRUE(mm_->CopyOut(a + 5 * kPageSize, &v, sizeof(v)).has_value());
  auto child = mm_->Fork();
  uint64_t w = 0;
  ASSERT_TRUE(child->CopyIn(a + 5 * kPageSize, &w, sizeof(w)).has_value());
  EXPECT_EQ(w, 7u);
  w = 9;
  ASSERT_TRUE(child->CopyOut(a + 5 * kPageSize, &w, sizeof(w)).has_value());
  ASSERT_TRUE(mm_->CopyIn(a + 5 * kPageSize, &v, sizeof(v)).has_value());
  EXPECT_EQ(v, 7u);  // the parent's copy is untouched
}

TEST_F(MmTest, ForkSharesSharedMemory) {
  MapRequest r;
  r.len = kPageSize;
  r.prot = PROT_READ | PROT_WRITE;
  r.shared = true;
  uint64_t a = *mm_->Map(r);
  auto child = mm_->Fork();
  uint64_t v = 11;
  ASSERT_TRUE(child->CopyOut(a, &v, sizeof(v)).has_value());
  uint64_t w = 0;
  ASSERT_TRUE(mm_->CopyIn(a, &w, sizeof(w)).has_value());
  EXPECT_EQ(w, 11u);
}

TEST_F(MmTest, BrkGrowsAndShrinks) {
  mm_->SetBrkBase(0x600000);
  EXPECT_EQ(mm_->Brk(0), 0x600000u);
  EXPECT_EQ(mm_->Brk(0x600000 + 3 * kPageSize + 10), 0x600000 + 3 * kPageSize + 10);
  uint64_t v = 5;
  EXPECT_TRUE(mm_->CopyOut(0x600000 + 3 * kPageSize, &v, sizeof(v)).has_value());
  EXPECT_EQ(mm_->Brk(0x600000 + kPageSize), 0x600000 + kPageSize);
  EXPECT_EQ(mm_->CopyOut(0x600000 + 3 * kPageSize, &v, sizeof(v)).error(), Errno::kEFAULT);
  EXPECT_EQ(mm_->Brk(0x500000), 0x600000 + kPageSize);  // below the base: unchanged
}

TEST_F(MmTest, RemapMovesContents) {
  uint64_t a = MapAnon(kPageSize);
  MapAnon(kPageSize, PROT_READ, a + kPageSize);  // blocks growth in place
  uint64_t v = 99;
  ASSERT_TRUE(mm_->CopyOut(a, &v, sizeof(v)).has_value());
  EXPECT_EQ(mm_->Remap(a, kPageSize, 4 * kPageSize, 0, 0).error(), Errno::kENOMEM);
  auto b = mm_->Remap(a, kPageSize, 4 * kPageSize, MREMAP_MAYMOVE, 0);
  ASSERT_TRUE(b.has_value());
  EXPECT_NE(*b, a);
  uint64_t w = 0;
  ASSERT_TRUE(mm_->CopyIn(*b, &w, sizeof(w)).has_value());
  EXPECT_EQ(w, 99u);
  EXPECT_EQ(mm_->CopyIn(a, &w, sizeof(w)).error(), Errno::kEFAULT);
}

TEST_F(MmTest, ActivateMirrorsVmasIntoPlatform) {
  uint64_t a = MapAnon(2 * kPageSize);
  auto as = mm_->Activate();
  ASSERT_TRUE(as.has_value());
  auto* fake = static_cast<platform::FakeAddressSpace*>(*as);
  auto ops = fake->ops();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, platform::FakeAddressSpace::Op::Kind::kMapFile);
  EXPECT_EQ(ops[0].addr, a);
  EXPECT_EQ(ops[0].len, 2 * kPageSize);
  fake->ClearOps();
  ASSERT_TRUE(mm_->Unmap(a, kPageSize).has_value());
  ops = fake->ops();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].kind, platform::FakeAddressSpace::Op::Kind::kUnmap);
}

TEST_F(MmTest, TranslateStopsAtHole) {
  uint64_t a = MapAnon(kPageSize);
  auto iov = mm_->Translate(a + kPageSize - 10, 100, true);
  ASSERT_TRUE(iov.has_value());
  ASSERT_EQ(iov->size(), 1u);
  EXPECT_EQ((*iov)[0].iov_len, 10u);
  EXPECT_EQ(mm_->Translate(a + kPageSize, 10, false).error(), Errno::kEFAULT);
}

TEST_F(MmTest, FixedNoReplaceRefusesOverlap) {
  uint64_t a = MapAnon(kPageSize);
  MapRequest r;
  r.addr = a;
  r.len = kPageSize;
  r.prot = PROT_READ;
  r.fixed_noreplace = true;
  EXPECT_EQ(mm_->Map(r).error(), Errno::kEEXIST);
}


// A page cache stand-in: a file of `size` bytes whose pages are the range.
class FakeFilePages : public Backing {
 public:
  FakeFilePages(MemoryFile& mf, uint64_t off, uint64_t len, uint64_t size)
      : Backing(mf, off, len), size(size) {}
  uint64_t FileSize() const override { return size; }
  uint64_t size;
};

class FilePagesTest : public MmTest {
 protected:
  void SetUp() override {
    MmTest::SetUp();
    uint64_t off = mf_->Allocate(4 * kPageSize).value();
    file_ = std::make_shared<FakeFilePages>(*mf_, off, 4 * kPageSize, 2 * kPageSize + 10);
    std::memset(mf_->At(off), 'f', 2 * kPageSize + 10);
  }
  // A private read-only mapping of the file's pages (as sys_mmap makes).
  uint64_t MapFilePages(uint64_t len) {
    MapRequest r;
    r.len = len;
    r.prot = PROT_READ;
    r.name = "/f";
    r.backing = file_;
    auto a = mm_->Map(r);
    EXPECT_TRUE(a.has_value());
    return a.value_or(0);
  }
  char FileByte(uint64_t off) { return static_cast<char>(*mf_->At(file_->offset() + off)); }
  std::shared_ptr<FakeFilePages> file_;
};

TEST_F(FilePagesTest, ForkSharesFilePagesInsteadOfCopying) {
  uint64_t a = MapFilePages(2 * kPageSize);
  auto child = mm_->Fork();
  const Vma* v = child->FindVma(a);
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->file_pages);
  EXPECT_EQ(v->backing, file_);  // the same pages, not a copy
  // A write to the file shows in both (never-written private pages).
  *mf_->At(file_->offset() + 5) = 'W';
  char c = 0;
  ASSERT_TRUE(child->CopyIn(a + 5, &c, 1).has_value());
  EXPECT_EQ(c, 'W');
  ASSERT_TRUE(mm_->CopyIn(a + 5, &c, 1).has_value());
  EXPECT_EQ(c, 'W');
}

TEST_F(FilePagesTest, MprotectWriteCopiesFirst) {
  uint64_t a = MapFilePages(2 * kPageSize);
  ASSERT_TRUE(mm_->Protect(a, 2 * kPageSize, PROT_READ | PROT_WRITE).has_value());
  const Vma* v = mm_->FindVma(a);
  ASSERT_NE(v, nullptr);
  EXPECT_FALSE(v->file_pages);
  EXPECT_NE(v->backing, file_);
  char c = 'p';
  ASSERT_TRUE(mm_->CopyOut(a + 1, &c, 1).has_value());
  EXPECT_EQ(FileByte(1), 'f');  // the file is untouched
  ASSERT_TRUE(mm_->CopyIn(a + kPageSize, &c, 1).has_value());
  EXPECT_EQ(c, 'f');            // the copy has the file's bytes
}

TEST_F(FilePagesTest, UnmapAndWriteForceLeaveTheFileAlone) {
  uint64_t a = MapFilePages(2 * kPageSize);
  ASSERT_TRUE(mm_->WriteForce(a, "x", 1).has_value());
  EXPECT_EQ(FileByte(0), 'f');
  uint64_t b = MapFilePages(2 * kPageSize);
  ASSERT_TRUE(mm_->Unmap(b, 2 * kPageSize).has_value());
  EXPECT_EQ(FileByte(kPageSize), 'f');  // not decommitted
}

TEST_F(FilePagesTest, PagesPastEndOfFileAreSigbus) {
  uint64_t a = MapFilePages(4 * kPageSize);
  EXPECT_FALSE(mm_->FaultIsSigbus(a + 2 * kPageSize + 100));  // last, partial page
  EXPECT_TRUE(mm_->FaultIsSigbus(a + 3 * kPageSize));
  file_->size = 4 * kPageSize;
  EXPECT_FALSE(mm_->FaultIsSigbus(a + 3 * kPageSize));
  // A private copy keeps the size it was mapped with.
  MapRequest r;
  r.len = 2 * kPageSize;
  r.prot = PROT_READ;
  r.name = "/g";
  r.file_size = 10;
  uint64_t b = mm_->Map(r).value();
  EXPECT_FALSE(mm_->FaultIsSigbus(b));
  EXPECT_TRUE(mm_->FaultIsSigbus(b + kPageSize));
}

}  // namespace
}  // namespace bulwark::mm
