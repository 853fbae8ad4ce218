// LoadExecutable and MapElf into a real MemoryManager on platform/fake, with
// host binaries served by an in-memory file description.
#include "sentry/loader/loader.h"

#include <elf.h>
#include <sys/personality.h>
#include <sys/mman.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include <gtest/gtest.h>

#include "platform/fake/fake_platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/loader/image.h"
#include "sentry/loader/script.h"

namespace bulwark::loader {
namespace {

std::vector<uint8_t> ReadHostFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

class BytesFile : public vfs::FileDescription {
 public:
  explicit BytesFile(std::vector<uint8_t> data) : FileDescription({}, O_RDONLY), data_(std::move(data)) {}
  SysResult<size_t> Read(kernel::Task&, vfs::IoVecs dst, uint64_t off) override {
    size_t done = 0;
    for (const iovec& v : dst) {
      if (off + done >= data_.size()) break;
      size_t n = std::min<uint64_t>(v.iov_len, data_.size() - off - done);
      memcpy(v.iov_base, data_.data() + off + done, n);
      done += n;
    }
    return done;
  }
  SysResult<vfs::Stat> GetStat() override {
    vfs::Stat st;
    st.mode = S_IFREG | 0755;
    st.size = data_.size();
    st.ino = 42;
    return st;
  }

 private:
  std::vector<uint8_t> data_;
};

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto mf = mm::MemoryFile::Create(uint64_t{1} << 36);
    ASSERT_TRUE(mf.has_value());
    auto p = std::make_unique<platform::FakePlatform>((*mf)->fd());
    kernel_ = std::make_unique<kernel::Kernel>(kernel::KernelOptions{}, std::move(*mf),
                                               std::move(p));
    tg_ = std::make_shared<kernel::ThreadGroup>(1);
    tg_->rlimits[RLIMIT_STACK].cur = 8 << 20;
    task_ = std::make_unique<kernel::Task>(*kernel_, 1, tg_);
    task_->creds().ruid = 1000;
    task_->creds().egid = 7;
    mm_ = std::make_unique<mm::MemoryManager>(kernel_->memory_file(), kernel_->platform());
  }

  // Files served to the loader by path; host files are read on demand.
  OpenFn Opener() {
    return [this](const std::string& path) -> SysResult<std::shared_ptr<vfs::FileDescription>> {
      ++opens_;
      auto it = files_.find(path);
      if (it != files_.end()) return std::make_shared<BytesFile>(it->second);
      auto data = ReadHostFile(path);
      if (data.empty()) return Err(Errno::kENOENT);
      return std::make_shared<BytesFile>(std::move(data));
    };
  }
  void AddScript(const std::string& path, const std::string& text) {
    files_[path] = std::vector<uint8_t>(text.begin(), text.end());
  }

  SysResult<LoadedImage> Load(const std::string& path, std::vector<std::string> argv,
                              std::vector<std::string> envp = {}) {
    std::lock_guard<std::mutex> lock(kernel_->mu);
    return LoadExecutable(*task_, *mm_, path, std::move(argv), std::move(envp), Opener());
  }

  uint64_t Word(uint64_t addr) {
    uint64_t v = 0;
    EXPECT_TRUE(mm_->CopyIn(addr, &v, 8).has_value()) << std::hex << addr;
    return v;
  }
  std::string Str(uint64_t addr) { return *mm_->CopyInString(addr, 4096); }
  std::vector<std::string> Argv(const LoadedImage& img) {
    std::vector<std::string> out;
    uint64_t argc = Word(img.rsp);
    for (uint64_t i = 0; i < argc; ++i) out.push_back(Str(Word(img.rsp + 8 * (i + 1))));
    return out;
  }
  uint64_t Aux(uint64_t type) {
    for (size_t i = 0; i + 1 < mm_->auxv.size(); i += 2)
      if (mm_->auxv[i] == type) return mm_->auxv[i + 1];
    ADD_FAILURE() << "no auxv entry " << type;
    return 0;
  }
  // The segments of the file at `path` are in memory at `bias`, bss zeroed.
  void ExpectImage(const std::string& path, uint64_t bias) {
    auto file = ReadHostFile(path);
    Elf64_Ehdr eh;
    memcpy(&eh, file.data(), sizeof(eh));
    for (int i = 0; i < eh.e_phnum; ++i) {
      Elf64_Phdr ph;
      memcpy(&ph, file.data() + eh.e_phoff + i * sizeof(ph), sizeof(ph));
      if (ph.p_type != PT_LOAD) continue;
      const mm::Vma* v = mm_->FindVma(ph.p_vaddr + bias);
      ASSERT_NE(v, nullptr);
      int want = ((ph.p_flags & PF_R) ? PROT_READ : 0) | ((ph.p_flags & PF_W) ? PROT_WRITE : 0) |
                 ((ph.p_flags & PF_X) ? PROT_EXEC : 0);
      EXPECT_EQ(v->prot & want, want);
      // CopyIn needs PROT_READ, which every segment here has.
      std::vector<uint8_t> mem(ph.p_filesz);
      ASSERT_TRUE(mm_->CopyIn(ph.p_vaddr + bias, mem.data(), mem.size()).has_value());
      EXPECT_EQ(memcmp(mem.data(), file.data() + ph.p_offset, ph.p_filesz), 0) << path;
      uint64_t bss_end = mm::PageUp(ph.p_vaddr + ph.p_memsz);
      std::vector<uint8_t> bss(bss_end - (ph.p_vaddr + ph.p_filesz));
      ASSERT_TRUE(mm_->CopyIn(ph.p_vaddr + ph.p_filesz + bias, bss.data(), bss.size()));
      EXPECT_EQ(std::count(bss.begin(), bss.end(), 0), static_cast<long>(bss.size()));
    }
  }

  std::unique_ptr<kernel::Kernel> kernel_;
  std::shared_ptr<kernel::ThreadGroup> tg_;
  std::unique_ptr<kernel::Task> task_;
  std::unique_ptr<mm::MemoryManager> mm_;
  std::map<std::string, std::vector<uint8_t>> files_;
  int opens_ = 0;
};

TEST_F(LoaderTest, StaticBusybox) {
  if (ReadHostFile("/bin/busybox").empty()) GTEST_SKIP();
  auto img = Load("/bin/busybox", {"busybox", "echo", "hi"}, {"HOME=/"});
  ASSERT_TRUE(img.has_value()) << ErrnoName(img.error());
  ExpectImage("/bin/busybox", 0);
  EXPECT_EQ(img->entry, Aux(AT_ENTRY));
  EXPECT_EQ(Aux(AT_BASE), 0u);
  EXPECT_EQ(Aux(AT_UID), 1000u);
  EXPECT_EQ(Aux(AT_EGID), 7u);
  EXPECT_EQ(Aux(AT_PAGESZ), 4096u);
  EXPECT_EQ(Str(Aux(AT_EXECFN)), "/bin/busybox");
  EXPECT_EQ(Str(Aux(AT_PLATFORM)), "x86_64");
  EXPECT_EQ(img->rsp % 16, 0u);
  EXPECT_EQ(img->rsp, mm_->start_stack);
  EXPECT_EQ(Argv(*img), (std::vector<std::string>{"busybox", "echo", "hi"}));
  EXPECT_EQ(Str(Word(img->rsp + 8 * 5)), "HOME=/");
  EXPECT_EQ(Str(mm_->arg_start), "busybox");
  EXPECT_EQ(Str(mm_->env_start), "HOME=/");
  const mm::Vma* stack = mm_->FindVma(img->rsp);
  ASSERT_NE(stack, nullptr);
  EXPECT_EQ(stack->name, "[stack]");
  EXPECT_EQ(stack->prot, PROT_READ | PROT_WRITE);
  EXPECT_EQ(stack->end - stack->start, 8u << 20);
  EXPECT_GT(stack->start, mm_->mmap_base);
}

TEST_F(LoaderTest, DynamicLsWithInterpreter) {
  if (ReadHostFile("/bin/ls").empty()) GTEST_SKIP();
  // Without randomization (setarch -R) the PIE goes to ELF_ET_DYN_BASE.
  task_->personality = ADDR_NO_RANDOMIZE;
  auto img = Load("/bin/ls", {"ls"});
  ASSERT_TRUE(img.has_value()) << ErrnoName(img.error());
  uint64_t bias = Aux(AT_PHDR) - 0x40;
  EXPECT_EQ(bias, 0x555555554000u);
  ExpectImage("/bin/ls", bias);
  uint64_t base = Aux(AT_BASE);
  EXPECT_NE(base, 0u);
  EXPECT_LT(base, mm_->mmap_base);
  ExpectImage("/lib64/ld-linux-x86-64.so.2", base);
  Elf64_Ehdr ld;
  memcpy(&ld, ReadHostFile("/lib64/ld-linux-x86-64.so.2").data(), sizeof(ld));
  EXPECT_EQ(img->entry, base + ld.e_entry);
  EXPECT_NE(img->entry, Aux(AT_ENTRY));
  EXPECT_EQ(Aux(AT_PHNUM), 13u);
  EXPECT_EQ(Aux(AT_PHENT), 56u);
}

// With randomization the PIE lands page-aligned within 1 TiB above
// ELF_ET_DYN_BASE, and the stack below the unrandomized top.
TEST_F(LoaderTest, RandomizedPieAndStack) {
  if (ReadHostFile("/bin/ls").empty()) GTEST_SKIP();
  auto img = Load("/bin/ls", {"ls"});
  ASSERT_TRUE(img.has_value()) << ErrnoName(img.error());
  uint64_t bias = Aux(AT_PHDR) - 0x40;
  EXPECT_GE(bias, 0x555555554000u);
  EXPECT_LT(bias, 0x555555554000u + (uint64_t{1} << 40));
  EXPECT_EQ(bias % 4096, 0u);
  ExpectImage("/bin/ls", bias);
  EXPECT_GT(mm_->start_stack, mm_->mmap_base);
}

TEST_F(LoaderTest, EmptyArgvGetsEmptyArgZero) {
  if (ReadHostFile("/bin/busybox").empty()) GTEST_SKIP();
  auto img = Load("/bin/busybox", {});
  ASSERT_TRUE(img.has_value());
  EXPECT_EQ(Argv(*img), (std::vector<std::string>{""}));
}

TEST_F(LoaderTest, ScriptRewritesArgv) {
  if (ReadHostFile("/bin/busybox").empty()) GTEST_SKIP();
  AddScript("/s", "#!/bin/busybox  sh -e \necho\n");
  auto img = Load("/s", {"ignored", "a", "b"});
  ASSERT_TRUE(img.has_value()) << ErrnoName(img.error());
  EXPECT_EQ(Argv(*img), (std::vector<std::string>{"/bin/busybox", "sh -e", "/s", "a", "b"}));
  EXPECT_EQ(Str(Aux(AT_EXECFN)), "/s");
}

TEST_F(LoaderTest, ScriptRecursionLimit) {
  if (ReadHostFile("/bin/busybox").empty()) GTEST_SKIP();
  AddScript("/s0", "#!/bin/busybox sh\n");
  for (int i = 1; i <= kMaxInterpreterDepth + 1; ++i)
    AddScript("/s" + std::to_string(i), "#!/s" + std::to_string(i - 1) + "\n");
  std::string deepest_ok = "/s" + std::to_string(kMaxInterpreterDepth - 1);
  auto ok = Load(deepest_ok, {"x"});
  ASSERT_TRUE(ok.has_value()) << ErrnoName(ok.error());
  auto argv = Argv(*ok);
  EXPECT_EQ(argv.front(), "/bin/busybox");
  EXPECT_EQ(argv.back(), deepest_ok);
  auto r = Load("/s" + std::to_string(kMaxInterpreterDepth), {"x"});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Errno::kELOOP);
}

TEST_F(LoaderTest, Errors) {
  AddScript("/text", "hello\n");
  AddScript("/noname", "#!\n");
  AddScript("/missing", "#!/nonexistent\n");
  AddScript("/empty", "");
  AddScript("/bare", "#!");
  for (auto [path, want] : std::vector<std::pair<std::string, Errno>>{
           {"/text", Errno::kENOEXEC},
           {"/noname", Errno::kENOEXEC},
           {"/missing", Errno::kENOENT},
           {"/empty", Errno::kENOEXEC},
           {"/bare", Errno::kEACCES},
           {"/nonexistent", Errno::kENOENT}}) {
    auto r = Load(path, {"x"});
    ASSERT_FALSE(r.has_value()) << path;
    EXPECT_EQ(r.error(), want) << path;
  }
  int opens = opens_;
  auto r = Load("/text", {std::string(kMaxArgStrlen, 'a')});
  EXPECT_EQ(r.error(), Errno::kE2BIG);
  EXPECT_EQ(opens_, opens);  // E2BIG before opening anything
}

TEST_F(LoaderTest, BadInterpreter) {
  auto ls = ReadHostFile("/bin/ls");
  if (ls.empty()) GTEST_SKIP();
  files_["/lib64/ld-linux-x86-64.so.2"] = std::vector<uint8_t>(ls.size(), 0);
  EXPECT_EQ(Load("/bin/ls", {"ls"}).error(), Errno::kELIBBAD);
  auto rel = ls;
  rel[16] = ET_REL;
  files_["/lib64/ld-linux-x86-64.so.2"] = rel;
  EXPECT_EQ(Load("/bin/ls", {"ls"}).error(), Errno::kEINVAL);
  auto noload = ls;
  noload[56] = 0;  // e_phnum = 0 (low byte; /bin/ls has 13)
  files_["/lib64/ld-linux-x86-64.so.2"] = noload;
  EXPECT_EQ(Load("/bin/ls", {"ls"}).error(), Errno::kELIBBAD);
}

TEST(Layout, Choose) {
  Layout l = ChooseLayout(0x7ff000000000, 8 << 20);
  EXPECT_EQ(l.stack_top, 0x7feffff00000u);
  EXPECT_EQ(l.stack_size, 8u << 20);
  EXPECT_EQ(l.mmap_base, l.stack_top - (128u << 20));
  Layout inf = ChooseLayout(0x7ffffffff000, RLIM_INFINITY);
  EXPECT_EQ(inf.stack_size, 1u << 30);
  EXPECT_EQ(inf.mmap_base, inf.stack_top - (1u << 30) - (1u << 20));
  EXPECT_EQ(ChooseLayout(0x7ffffffff000, 4096).stack_size, 256u << 10);
}

// AT_SYSINFO_EHDR comes first (ARCH_DLINFO), and only when the platform
// maps a vDSO.
TEST_F(LoaderTest, VdsoInAuxvOnlyWithAPlatformVdso) {
  if (ReadHostFile("/bin/busybox").empty()) GTEST_SKIP();
  ASSERT_TRUE(Load("/bin/busybox", {"busybox"}).has_value());
  for (size_t i = 0; i + 1 < mm_->auxv.size(); i += 2)
    EXPECT_NE(mm_->auxv[i], uint64_t{AT_SYSINFO_EHDR});
  static_cast<platform::FakePlatform&>(kernel_->platform())
      .SetVdso(0x7ff000007000, {{0x7ff000001000, 0x7ff000007000, PROT_READ, "[vvar]"},
                                {0x7ff000007000, 0x7ff000009000, PROT_READ | PROT_EXEC, "[vdso]"}});
  mm_ = std::make_unique<mm::MemoryManager>(kernel_->memory_file(), kernel_->platform());
  ASSERT_TRUE(Load("/bin/busybox", {"busybox"}).has_value());
  ASSERT_GE(mm_->auxv.size(), 2u);
  EXPECT_EQ(mm_->auxv[0], uint64_t{AT_SYSINFO_EHDR});
  EXPECT_EQ(mm_->auxv[1], 0x7ff000007000u);
}

}  // namespace
}  // namespace bulwark::loader
