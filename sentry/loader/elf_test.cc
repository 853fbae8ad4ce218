#include "sentry/loader/elf.h"

#include <sys/mman.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace bulwark::loader {
namespace {

std::vector<uint8_t> ReadHostFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

ReadAt ReaderOf(const std::vector<uint8_t>& file) {
  return [&file](uint64_t off, std::span<uint8_t> dst) -> SysResult<size_t> {
    if (off >= file.size()) return 0;
    size_t n = std::min<uint64_t>(dst.size(), file.size() - off);
    memcpy(dst.data(), file.data() + off, n);
    return n;
  };
}

SysResult<ElfInfo> Parse(const std::vector<uint8_t>& file) {
  std::span<const uint8_t> head(file.data(), std::min<size_t>(file.size(), 256));
  return ParseElf(head, file.size(), ReaderOf(file));
}

// A small valid PIE: PT_PHDR, PT_INTERP, two PT_LOADs, PT_GNU_STACK.
struct TestElf {
  Elf64_Ehdr eh{};
  std::vector<Elf64_Phdr> ph;
  std::string interp = "/lib/ld.so";
  size_t file_size = 0x3000;

  TestElf() {
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_DYN;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_entry = 0x1100;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    ph.push_back({PT_PHDR, PF_R, 0x40, 0x40, 0x40, 5 * 56, 5 * 56, 8});
    ph.push_back({PT_INTERP, PF_R, 0x200, 0x200, 0x200, 11, 11, 1});
    ph.push_back({PT_LOAD, PF_R | PF_X, 0, 0, 0, 0x1800, 0x1800, 0x1000});
    ph.push_back({PT_LOAD, PF_R | PF_W, 0x2000, 0x2000, 0x2000, 0x800, 0x3000, 0x1000});
    ph.push_back({PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 0, 16});
  }

  std::vector<uint8_t> Bytes() {
    eh.e_phnum = ph.size();
    std::vector<uint8_t> f(file_size, 0xcc);
    memcpy(f.data(), &eh, std::min(sizeof(eh), f.size()));
    size_t table = ph.size() * sizeof(Elf64_Phdr);
    if (eh.e_phoff <= f.size() && table <= f.size() - eh.e_phoff) memcpy(f.data() + eh.e_phoff, ph.data(), table);
    if (0x200 + interp.size() + 1 <= f.size())
      memcpy(f.data() + 0x200, interp.c_str(), interp.size() + 1);
    return f;
  }
  Elf64_Phdr& Load(int i) { return ph[2 + i]; }
};

Errno ErrorOf(TestElf& e) {
  auto r = Parse(e.Bytes());
  return r ? Errno{} : r.error();
}

TEST(ParseElf, SyntheticValid) {
  TestElf e;
  auto info = Parse(e.Bytes());
  ASSERT_TRUE(info.has_value()) << ErrnoName(info.error());
  EXPECT_EQ(info->type, ET_DYN);
  EXPECT_EQ(info->entry, 0x1100u);
  EXPECT_EQ(info->phnum, 5);
  EXPECT_EQ(info->phdr_vaddr, 0x40u);
  ASSERT_EQ(info->segments.size(), 2u);
  EXPECT_EQ(info->segments[0].prot, PROT_READ | PROT_EXEC);
  EXPECT_EQ(info->segments[1].prot, PROT_READ | PROT_WRITE);
  EXPECT_EQ(info->segments[1].memsz, 0x3000u);
  EXPECT_EQ(info->interp, "/lib/ld.so");
  EXPECT_FALSE(info->exec_stack);
  EXPECT_EQ(info->SpanStart(), 0u);
  EXPECT_EQ(info->SpanEnd(), 0x5000u);
}

TEST(ParseElf, HostStaticBusybox) {
  auto file = ReadHostFile("/bin/busybox");
  if (file.empty()) GTEST_SKIP() << "no /bin/busybox";
  auto info = Parse(file);
  ASSERT_TRUE(info.has_value()) << ErrnoName(info.error());
  EXPECT_FALSE(info->interp.has_value());
  EXPECT_FALSE(info->exec_stack);
  EXPECT_GE(info->segments.size(), 2u);
  for (size_t i = 1; i < info->segments.size(); ++i)
    EXPECT_GE(info->segments[i].vaddr, info->segments[i - 1].vaddr + info->segments[i - 1].memsz);
}

TEST(ParseElf, HostDynamicLs) {
  auto file = ReadHostFile("/bin/ls");
  if (file.empty()) GTEST_SKIP() << "no /bin/ls";
  auto info = Parse(file);
  ASSERT_TRUE(info.has_value()) << ErrnoName(info.error());
  EXPECT_EQ(info->type, ET_DYN);
  EXPECT_EQ(info->interp, "/lib64/ld-linux-x86-64.so.2");
  EXPECT_EQ(info->phdr_vaddr, 0x40u);
}

TEST(ParseElf, FirstPtInterpWins) {
  TestElf e;
  e.ph.insert(e.ph.begin() + 2, Elf64_Phdr{PT_INTERP, PF_R, 0x100, 0, 0, 1, 1, 1});
  auto info = Parse(e.Bytes());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->interp, "/lib/ld.so");
}

TEST(ParseElf, ExecStackAndNoInterp) {
  TestElf e;
  e.ph.erase(e.ph.begin() + 1);  // PT_INTERP
  e.ph.back().p_flags |= PF_X;
  auto info = Parse(e.Bytes());
  ASSERT_TRUE(info.has_value());
  EXPECT_FALSE(info->interp.has_value());
  EXPECT_TRUE(info->exec_stack);
}

TEST(ParseElf, SegmentsMaySharePages) {
  TestElf e;
  e.Load(1).p_vaddr = e.Load(1).p_paddr = 0x1800;
  e.Load(1).p_offset = 0x1800;
  EXPECT_TRUE(Parse(e.Bytes()).has_value());
}

TEST(ParseElf, PhdrsOutsideLoadsUseFirstSegment) {
  TestElf e;
  e.Load(0).p_offset = e.Load(0).p_vaddr = 0x1000;
  e.Load(0).p_filesz = e.Load(0).p_memsz = 0x800;
  auto info = Parse(e.Bytes());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->phdr_vaddr, 0x40u);
}

TEST(ParseElf, TruncatedAtEveryHeaderBoundary) {
  TestElf e;
  auto full = e.Bytes();
  size_t table_end = sizeof(Elf64_Ehdr) + e.ph.size() * sizeof(Elf64_Phdr);
  for (size_t len : {size_t{0}, size_t{3}, size_t{4}, size_t{16}, size_t{63}, size_t{64},
                     size_t{64 + 56}, table_end - 1}) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + len);
    auto r = Parse(cut);
    ASSERT_FALSE(r.has_value()) << len;
    EXPECT_EQ(r.error(), Errno::kENOEXEC) << len;
  }
  // Cut inside PT_INTERP's string: the read comes up short.
  std::vector<uint8_t> cut(full.begin(), full.begin() + 0x205);
  auto r = Parse(cut);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errno::kEIO);
}

TEST(ParseElf, EveryByteOfTheHeaderMutated) {
  // No crash whatever a header byte is; the result is a value or an errno.
  TestElf e;
  auto base = e.Bytes();
  size_t table_end = sizeof(Elf64_Ehdr) + e.ph.size() * sizeof(Elf64_Phdr);
  for (size_t i = 0; i < table_end; ++i) {
    for (uint8_t v : {uint8_t{0}, uint8_t{0x7f}, uint8_t{0xff}}) {
      auto f = base;
      f[i] = v;
      auto r = Parse(f);
      if (!r) {
        EXPECT_NE(r.error(), Errno{});
      }
    }
  }
}

struct Case {
  const char* name;
  void (*mutate)(TestElf&);
  Errno want;
};

const Case kCases[] = {
    {"bad magic", [](TestElf& e) { e.eh.e_ident[1] = 'F'; }, Errno::kENOEXEC},
    {"class32", [](TestElf& e) { e.eh.e_ident[EI_CLASS] = ELFCLASS32; }, Errno::kENOEXEC},
    {"big endian", [](TestElf& e) { e.eh.e_ident[EI_DATA] = ELFDATA2MSB; }, Errno::kENOEXEC},
    {"machine i386", [](TestElf& e) { e.eh.e_machine = EM_386; }, Errno::kENOEXEC},
    {"machine aarch64", [](TestElf& e) { e.eh.e_machine = EM_AARCH64; }, Errno::kENOEXEC},
    {"ET_REL", [](TestElf& e) { e.eh.e_type = ET_REL; }, Errno::kENOEXEC},
    {"ET_CORE", [](TestElf& e) { e.eh.e_type = ET_CORE; }, Errno::kENOEXEC},
    {"phentsize", [](TestElf& e) { e.eh.e_phentsize = 32; }, Errno::kENOEXEC},
    {"no phdrs", [](TestElf& e) { e.ph.clear(); }, Errno::kENOEXEC},
    {"phnum huge",
     [](TestElf& e) {
       e.ph.resize(1171, Elf64_Phdr{PT_NULL, 0, 0, 0, 0, 0, 0, 0});
       e.file_size = 0x20000;
     },
     Errno::kENOEXEC},
    {"phoff beyond file", [](TestElf& e) { e.eh.e_phoff = 0x10000; }, Errno::kENOEXEC},
    {"phoff overflow", [](TestElf& e) { e.eh.e_phoff = ~uint64_t{0} - 8; }, Errno::kENOEXEC},
    {"table past eof", [](TestElf& e) { e.eh.e_phoff = 0x3000 - 100; }, Errno::kENOEXEC},
    {"no PT_LOAD",
     [](TestElf& e) { e.ph.erase(e.ph.begin() + 2, e.ph.begin() + 4); }, Errno::kENOEXEC},
    {"filesz > memsz", [](TestElf& e) { e.Load(1).p_filesz = 0x4000; }, Errno::kEINVAL},
    {"overlapping loads", [](TestElf& e) { e.Load(1).p_vaddr = 0x1000; e.Load(1).p_offset = 0x1000; },
     Errno::kENOEXEC},
    {"unsorted loads", [](TestElf& e) { std::swap(e.Load(0), e.Load(1)); }, Errno::kENOEXEC},
    {"vaddr overflow",
     [](TestElf& e) { e.Load(1).p_vaddr = ~uint64_t{0} - 0xfff; e.Load(1).p_offset = 0; },
     Errno::kEINVAL},
    {"memsz past task size",
     [](TestElf& e) { e.Load(1).p_vaddr = kTaskSize - 0x1000; e.Load(1).p_offset = 0; },
     Errno::kEINVAL},
    {"offset misaligned with vaddr", [](TestElf& e) { e.Load(1).p_offset = 0x2010; },
     Errno::kEINVAL},
    {"file bytes past eof", [](TestElf& e) { e.Load(1).p_filesz = e.Load(1).p_memsz; },
     Errno::kENOEXEC},
    {"interp not NUL-terminated", [](TestElf& e) { e.ph[1].p_filesz = 10; }, Errno::kENOEXEC},
    {"interp too long", [](TestElf& e) { e.ph[1].p_filesz = 4097; }, Errno::kENOEXEC},
    {"interp too short", [](TestElf& e) { e.ph[1].p_filesz = 1; }, Errno::kENOEXEC},
    {"interp past eof", [](TestElf& e) { e.ph[1].p_offset = 0x2ffa; }, Errno::kEIO},
    {"interp offset overflow", [](TestElf& e) { e.ph[1].p_offset = ~uint64_t{0} - 4; },
     Errno::kEIO},
};

TEST(ParseElf, MalformedHeaders) {
  for (const Case& c : kCases) {
    TestElf e;
    c.mutate(e);
    EXPECT_EQ(ErrorOf(e), c.want) << c.name << ": got " << ErrnoName(ErrorOf(e));
  }
}

TEST(ParseElf, PhdrTableLimit) {
  TestElf e;
  e.file_size = 0x20000;
  e.ph.resize(kMaxPhdrBytes / sizeof(Elf64_Phdr), Elf64_Phdr{PT_NULL, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_TRUE(Parse(e.Bytes()).has_value());
}

TEST(ParseElf, ReaderErrorsPassThrough) {
  TestElf e;
  auto f = e.Bytes();
  ReadAt failing = [](uint64_t, std::span<uint8_t>) -> SysResult<size_t> {
    return Err(Errno::kEIO);
  };
  auto r = ParseElf(std::span<const uint8_t>(f.data(), 256), f.size(), failing);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errno::kEIO);
}

}  // namespace
}  // namespace bulwark::loader
