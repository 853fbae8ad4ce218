#include <dirent.h>
#include <linux/capability.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <sstream>

#include "sentry/fsimpl/host/host_file.h"
#include "sentry/fsimpl/memfs/fs_test_util.h"
#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/fsimpl/proc/format.h"
#include "sentry/fsimpl/proc/procfs.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::fsimpl::proc {
namespace {

// --- Pure formatting ---

TEST(ProcFormat, Maps) {
  std::map<uint64_t, mm::Vma> vmas;
  mm::Vma text;
  text.start = 0x562bef896000;
  text.end = 0x562bef898000;
  text.prot = PROT_READ | PROT_EXEC;
  text.name = "/usr/bin/cat";
  text.dev = makedev(0xfe, 0);
  text.ino = 247134;
  text.file_offset = 0x2000;
  vmas[text.start] = text;
  mm::Vma anon;
  anon.start = 0x7f0cb6e27000;
  anon.end = 0x7f0cb6f5a000;
  anon.prot = PROT_READ | PROT_WRITE;
  vmas[anon.start] = anon;
  mm::Vma stack = anon;
  stack.start = 0x7ffdd1c93000;
  stack.end = 0x7ffdd1cb4000;
  stack.name = "[stack]";
  vmas[stack.start] = stack;
  mm::Vma low;
  low.start = 0x400000;
  low.end = 0x401000;
  low.prot = PROT_READ;
  low.shared = true;
  vmas[low.start] = low;
  // As Linux prints them (the name column is 73).
  EXPECT_EQ(FormatMaps(vmas),
            "00400000-00401000 r--s 00000000 00:00 0 \n"
            "562bef896000-562bef898000 r-xp 00002000 fe:00 247134                     "
            "/usr/bin/cat\n"
            "7f0cb6e27000-7f0cb6f5a000 rw-p 00000000 00:00 0 \n"
            "7ffdd1c93000-7ffdd1cb4000 rw-p 00000000 00:00 0                          "
            "[stack]\n");
}

TEST(ProcFormat, MapsWithTheVdso) {
  std::map<uint64_t, mm::Vma> vmas;
  mm::Vma stack;
  stack.start = 0x7fefffedf000;
  stack.end = 0x7feffff00000;
  stack.prot = PROT_READ | PROT_WRITE;
  stack.name = "[stack]";
  vmas[stack.start] = stack;
  const platform::SpecialMapping vdso[] = {
      {0x7ff000001000, 0x7ff000005000, PROT_READ, "[vvar]"},
      {0x7ff000005000, 0x7ff000007000, PROT_READ, "[vvar_vclock]"},
      {0x7ff000007000, 0x7ff000009000, PROT_READ | PROT_EXEC, "[vdso]"}};
  // As Linux 6.18 prints them.
  EXPECT_EQ(FormatMaps(vmas, vdso),
            "7fefffedf000-7feffff00000 rw-p 00000000 00:00 0                          "
            "[stack]\n"
            "7ff000001000-7ff000005000 r--p 00000000 00:00 0                          "
            "[vvar]\n"
            "7ff000005000-7ff000007000 r--p 00000000 00:00 0                          "
            "[vvar_vclock]\n"
            "7ff000007000-7ff000009000 r-xp 00000000 00:00 0                          "
            "[vdso]\n");
}

TEST(ProcFormat, Stat) {
  StatFields f;
  f.pid = 42;
  f.comm = "a b) c";
  f.state = 'S';
  f.ppid = 1;
  f.signal = 0xffffffffffffffff;
  std::string s = FormatStat(f);
  EXPECT_TRUE(s.starts_with("42 (a b) c) S 1 0 0 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 0 "))
      << s;
  ASSERT_EQ(s.back(), '\n');
  // 52 fields after the comm's spaces are taken out.
  std::string rest = s.substr(s.rfind(')') + 2);
  std::istringstream in(rest);
  std::vector<std::string> fields;
  for (std::string w; in >> w;) fields.push_back(w);
  EXPECT_EQ(fields.size(), 50u);
  EXPECT_EQ(fields[31 - 3], "2147483647");  // signal: the first 31 only
}

TEST(ProcFormat, Status) {
  StatusFields f;
  f.name = "we\\ird\n";
  f.tgid = f.pid = 7;
  f.ppid = 1;
  f.groups = {1, 2};
  f.mem.has_mm = true;
  f.mem.vm_size = 3060;
  f.ncpus = 2;
  f.cap_eff = 0x1fffeffffff;
  std::string s = FormatStatus(f);
  EXPECT_TRUE(s.starts_with("Name:\twe\\\\ird\\n\nUmask:\t0022\nState:\tR (running)\nTgid:\t7\n"))
      << s;
  EXPECT_NE(s.find("\nGroups:\t1 2 \n"), std::string::npos);
  EXPECT_NE(s.find("\nVmSize:\t    3060 kB\n"), std::string::npos);
  EXPECT_NE(s.find("\nCapEff:\t000001fffeffffff\n"), std::string::npos);
  EXPECT_NE(s.find("\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n"), std::string::npos);
  f.mem.has_mm = false;
  f.groups.clear();
  s = FormatStatus(f);
  EXPECT_EQ(s.find("VmSize"), std::string::npos);
  EXPECT_NE(s.find("\nGroups:\t \n"), std::string::npos);
}

TEST(ProcFormat, Limits) {
  std::array<kernel::Rlimit, RLIM_NLIMITS> rl{};
  rl[RLIMIT_STACK] = {8388608, RLIM_INFINITY};
  rl[RLIMIT_NICE] = {0, 0};
  std::string s = FormatLimits(rl);
  EXPECT_TRUE(s.starts_with(
      "Limit                     Soft Limit           Hard Limit           Units     \n"
      "Max cpu time              unlimited            unlimited            seconds   \n"));
  EXPECT_NE(s.find("\nMax stack size            8388608              unlimited            "
                   "bytes     \n"),
            std::string::npos);
  EXPECT_NE(s.find("\nMax nice priority         0                    0                    \n"),
            std::string::npos);
}

TEST(ProcFormat, Mounts) {
  MountLine l;
  l.id = 22;
  l.parent_id = 27;
  l.dev = makedev(0, 21);
  l.mount_point = "/my proc";
  l.options = "rw,relatime";
  l.fs_type = "proc";
  l.source = "proc";
  l.super_options = "rw";
  EXPECT_EQ(FormatMounts({l}), "proc /my\\040proc proc rw,relatime 0 0\n");
  EXPECT_EQ(FormatMountinfo({l}), "22 27 0:21 / /my\\040proc rw,relatime - proc proc rw\n");
  EXPECT_EQ(EscapeMountField("a\tb\\c\n"), "a\\011b\\134c\\012");
}

TEST(ProcFormat, Cpus) {
  EXPECT_EQ(CpuMask(1), "1");
  EXPECT_EQ(CpuMask(2), "3");
  EXPECT_EQ(CpuMask(4), "f");
  EXPECT_EQ(CpuMask(32), "ffffffff");
  EXPECT_EQ(CpuMask(33), "1,ffffffff");
  EXPECT_EQ(CpuList(1), "0");
  EXPECT_EQ(CpuList(8), "0-7");
}

TEST(ProcFormat, Meminfo) {
  std::string s = FormatMeminfo(uint64_t{24684092} * 1024, uint64_t{1000} * 1024);
  EXPECT_TRUE(s.starts_with("MemTotal:       24684092 kB\nMemFree:        24683092 kB\n")) << s;
  EXPECT_NE(s.find("\nHugePages_Total:       0\n"), std::string::npos);
  EXPECT_NE(s.find("\nHugepagesize:       2048 kB\n"), std::string::npos);
}

// --- procfs over a kernel ---

class ProcFsTest : public testing::FsTest {
 protected:
  void SetUp() override {
    testing::FsTest::SetUp();
    Register();
    root_ = CreateProcFs(*kernel_, "processor\t: 0\n", ProcOptions{.mem_total = 1 << 30});
    kernel_->mounts().SetRoot(std::make_shared<vfs::Mount>(
        std::make_shared<vfs::Dentry>("/", nullptr, root_), "proc", "proc", 0));
    task().fs().root = task().fs().cwd = kernel_->mounts().RootPath();
    pid_ = std::to_string(task().tgid());
  }

  std::shared_ptr<vfs::Inode> Walk(const std::string& path) {
    std::shared_ptr<vfs::Inode> cur = root_;
    size_t pos = 0;
    while (pos < path.size()) {
      size_t slash = path.find('/', pos);
      if (slash == std::string::npos) slash = path.size();
      auto next = cur->Lookup(path.substr(pos, slash - pos));
      if (!next) return nullptr;
      cur = *next;
      pos = slash + 1;
    }
    return cur;
  }
  SysResult<std::shared_ptr<vfs::FileDescription>> OpenPath(const std::string& path,
                                                            int flags = O_RDONLY) {
    auto inode = Walk(path);
    if (!inode) return Err(Errno::kENOENT);
    return inode->Open(task(), vfs::Path{}, flags);
  }
  std::string Cat(const std::string& path) {
    auto f = OpenPath(path);
    if (!f) return std::string("<") + ErrnoName(f.error()) + ">";
    auto s = Slurp(**f);
    return s ? *s : std::string("<") + ErrnoName(s.error()) + ">";
  }
  std::vector<std::string> Names(const std::string& path) {
    std::vector<vfs::DirEntry> entries = *Walk(path)->ReadDir();
    std::vector<std::string> names;
    for (const auto& e : entries) names.push_back(e.name);
    return names;
  }

  std::shared_ptr<vfs::Inode> root_;
  std::string pid_;
};

TEST_F(ProcFsTest, RootListsPidsAndFiles) {
  auto names = Names("");
  for (const char* n : {"self", "thread-self", "meminfo", "cpuinfo", "sys", "mounts", "version"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_NE(std::find(names.begin(), names.end(), pid_), names.end());
  EXPECT_EQ(root_->Lookup("99999").error(), Errno::kENOENT);
  EXPECT_EQ(root_->Lookup("0" + pid_).error(), Errno::kENOENT);
  EXPECT_EQ(root_->GetStat()->mode, S_IFDIR | 0555u);
}

TEST_F(ProcFsTest, Self) {
  auto self = *root_->Lookup("self");
  EXPECT_TRUE(self->IsSymlink());
  EXPECT_EQ(*self->ReadlinkAs(task()), pid_);
  EXPECT_FALSE(self->FollowMagicLink(task()).has_value());
  EXPECT_EQ(self->Readlink().error(), Errno::kENOENT);
  auto thread_self = *root_->Lookup("thread-self");
  EXPECT_EQ(*thread_self->ReadlinkAs(task()), pid_ + "/task/" + pid_);
  EXPECT_EQ(*(*root_->Lookup("mounts"))->Readlink(), "self/mounts");
}

TEST_F(ProcFsTest, ResolvesThroughTheVfs) {
  vfs::ResolveContext ctx;
  ctx.root = ctx.start = kernel_->mounts().RootPath();
  ctx.task = &task();
  ctx.mounts = &kernel_->mounts();
  vfs::Path status = *vfs::Resolve(ctx, "/self/status", vfs::kFollow);
  EXPECT_EQ(status.dentry->name(), "status");
  EXPECT_EQ(status.dentry->parent()->name(), pid_);
  EXPECT_TRUE(vfs::Resolve(ctx, "/thread-self/comm", vfs::kFollow | vfs::kNoMagicLinks));
  EXPECT_EQ(vfs::Resolve(ctx, "/self/cwd", vfs::kFollow | vfs::kNoMagicLinks).error(),
            Errno::kELOOP);
  vfs::Path cwd = *vfs::Resolve(ctx, "/self/cwd/self/root", vfs::kFollow);
  EXPECT_EQ(cwd, kernel_->mounts().RootPath());
}

TEST_F(ProcFsTest, PidFiles) {
  std::string status = Cat(pid_ + "/status");
  EXPECT_TRUE(status.starts_with("Name:\ttest\nUmask:\t0022\nState:\tR (running)\nTgid:\t" + pid_))
      << status;
  std::string stat = Cat(pid_ + "/stat");
  EXPECT_TRUE(stat.starts_with(pid_ + " (test) R 0 ")) << stat;
  EXPECT_EQ(Cat(pid_ + "/comm"), "test\n");
  EXPECT_EQ(Cat(pid_ + "/maps"),
            "20000000-20004000 rw-p 00000000 00:00 0 \n");
  EXPECT_EQ(Cat(pid_ + "/statm"), "4 0 0 0 0 4 0\n");
  EXPECT_EQ(Cat(pid_ + "/task/" + pid_ + "/comm"), "test\n");
  EXPECT_EQ(Names(pid_ + "/task"), std::vector<std::string>{pid_});
  EXPECT_TRUE(Cat(pid_ + "/limits").starts_with("Limit "));
  EXPECT_EQ(Cat(pid_ + "/mounts"), "proc / proc rw,relatime 0 0\n");
  EXPECT_EQ(Walk(pid_ + "/task/" + pid_ + "/task"), nullptr);
  // Entries of a thread and of its process are different files.
  EXPECT_NE(Walk(pid_ + "/stat")->GetStat()->ino,
            Walk(pid_ + "/task/" + pid_ + "/stat")->GetStat()->ino);
}

TEST_F(ProcFsTest, Cmdline) {
  const char args[] = "ls\0-l\0";
  const char env[] = "A=1\0";
  ASSERT_TRUE(task().CopyOutBytes(kUserBuf, args, sizeof(args) - 1));
  ASSERT_TRUE(task().CopyOutBytes(kUserBuf + 100, env, sizeof(env) - 1));
  task().mm().arg_start = kUserBuf;
  task().mm().arg_end = kUserBuf + sizeof(args) - 1;
  task().mm().env_start = kUserBuf + 100;
  task().mm().env_end = kUserBuf + 100 + sizeof(env) - 1;
  EXPECT_EQ(Cat(pid_ + "/cmdline"), std::string(args, sizeof(args) - 1));
  EXPECT_EQ(Cat(pid_ + "/environ"), std::string(env, sizeof(env) - 1));
  // setproctitle(): the final NUL overwritten.
  ASSERT_TRUE(task().CopyOutBytes(kUserBuf, "my title", 8));
  EXPECT_EQ(Cat(pid_ + "/cmdline"), "my title");
}

TEST_F(ProcFsTest, Writes) {
  auto version = *OpenPath("version", O_WRONLY);
  EXPECT_EQ(Write(*version, task(), "x", 0).error(), Errno::kEIO);
  auto stat = *OpenPath(pid_ + "/stat", O_WRONLY);
  EXPECT_EQ(Write(*stat, task(), "x", 0).error(), Errno::kEINVAL);
  auto comm = *OpenPath(pid_ + "/comm", O_WRONLY);
  EXPECT_EQ(*Write(*comm, task(), "a-very-long-name-indeed\n", 0), 24u);
  EXPECT_EQ(task().comm, "a-very-long-nam");
  auto oom = *OpenPath(pid_ + "/oom_score_adj", O_WRONLY);
  EXPECT_EQ(*Write(*oom, task(), "-500\n", 0), 5u);
  EXPECT_EQ(Write(*oom, task(), "2000", 0).error(), Errno::kEINVAL);
  EXPECT_EQ(Cat(pid_ + "/oom_score_adj"), "-500\n");
  auto host = *OpenPath("sys/kernel/hostname", O_WRONLY);
  EXPECT_EQ(Write(*host, task(), "box\n", 0).error(), Errno::kEPERM);
  task().creds().cap_effective = uint64_t{1} << CAP_SYS_ADMIN;
  EXPECT_EQ(*Write(*host, task(), "box\n", 0), 4u);
  EXPECT_EQ(Cat("sys/kernel/hostname"), "box\n");
  auto osrelease = *OpenPath("sys/kernel/osrelease", O_WRONLY);
  EXPECT_EQ(Write(*osrelease, task(), "x", 0).error(), Errno::kEACCES);
}

TEST_F(ProcFsTest, SystemFiles) {
  EXPECT_EQ(Cat("cpuinfo"), "processor\t: 0\n");
  EXPECT_TRUE(Cat("meminfo").starts_with("MemTotal:        1048576 kB\n"));
  EXPECT_EQ(Cat("sys/kernel/osrelease"), std::string(kernel::kUnameRelease) + "\n");
  EXPECT_EQ(Cat("sys/kernel/cap_last_cap"), std::to_string(CAP_LAST_CAP) + "\n");
  EXPECT_EQ(Cat("sys/kernel/random/boot_id"), Cat("sys/kernel/random/boot_id"));
  EXPECT_NE(Cat("sys/kernel/random/uuid"), Cat("sys/kernel/random/uuid"));
  EXPECT_TRUE(Cat("version").starts_with("Linux version 6.1.0-bulwark "));
  EXPECT_TRUE(Cat("stat").starts_with("cpu  "));
  EXPECT_TRUE(Cat("loadavg").starts_with("0.00 0.00 0.00 1/1 " + pid_));
  EXPECT_NE(Cat("filesystems").find("nodev\ttmpfs\n"), std::string::npos);
  // seq_file semantics: no SEEK_END.
  auto f = *OpenPath("version");
  EXPECT_EQ(f->Seek(task(), 0, SEEK_END).error(), Errno::kEINVAL);
  EXPECT_EQ(Walk("version")->GetStat()->size, 0u);
}

TEST_F(ProcFsTest, FdLinks) {
  memfs::MemFsOptions mo;
  auto tmp = memfs::CreateMemFs(mo);
  kernel::Credentials creds;
  auto file = *tmp->Create("data", 0644, creds);
  auto mount = std::make_shared<vfs::Mount>(std::make_shared<vfs::Dentry>("/", nullptr, tmp),
                                            "tmpfs", "tmpfs", 0);
  kernel_->mounts().Attach(mount, kernel_->mounts().RootPath());
  vfs::Path path{mount, *mount->root()->Child("data")};
  auto desc = *file->Open(task(), path, O_RDWR);
  int fd = *task().fds().Install(desc, true, 1024);

  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  UniqueFd keep(fds[1]);
  auto pipe = *host::ImportHostFile(UniqueFd(fds[0]), nullptr);
  int pfd = *task().fds().Install(pipe, false, 1024);

  auto names = Names(pid_ + "/fd");
  EXPECT_EQ(names, (std::vector<std::string>{std::to_string(fd), std::to_string(pfd)}));
  auto link = Walk(pid_ + "/fd/" + std::to_string(fd));
  EXPECT_EQ(*link->Readlink(), "/data");
  EXPECT_EQ(link->GetStat()->mode, S_IFLNK | 0700u);
  vfs::Path target = **link->FollowMagicLink(task());
  EXPECT_EQ(target, path);
  EXPECT_EQ(Walk(pid_ + "/fd/" + std::to_string(pfd))->GetStat()->mode, S_IFLNK | 0500u);
  EXPECT_TRUE((*Walk(pid_ + "/fd/" + std::to_string(pfd))->Readlink()).starts_with("pipe:["));

  // A pipe from outside opens again through its link.
  vfs::Path reopened = **Walk(pid_ + "/fd/" + std::to_string(pfd))->FollowMagicLink(task());
  auto again = *reopened.ino().Open(task(), reopened, O_RDONLY);
  ASSERT_EQ(write(keep.get(), "hi", 2), 2);
  EXPECT_EQ(*Read(*again, task(), 10, 0), "hi");

  std::string info = Cat(pid_ + "/fdinfo/" + std::to_string(fd));
  EXPECT_TRUE(info.starts_with("pos:\t0\nflags:\t02100002\nmnt_id:\t" +
                               std::to_string(mount->id()) + "\nino:\t"))
      << info;
  EXPECT_EQ(Walk(pid_ + "/fd/77"), nullptr);
  EXPECT_EQ(Walk(pid_ + "/fd/0" + std::to_string(fd)), nullptr);
  (void)task().fds().Remove(fd);
  EXPECT_EQ(link->Readlink().error(), Errno::kENOENT);
}

TEST_F(ProcFsTest, GoneProcess) {
  auto dir = Walk(pid_);
  auto status = Walk(pid_ + "/status");
  kernel_->RemoveThreadGroup(task().tgid());
  EXPECT_EQ(dir->GetStat().error(), Errno::kENOENT);
  EXPECT_EQ(status->Open(task(), vfs::Path{}, O_RDONLY).error(), Errno::kENOENT);
  EXPECT_EQ(dir->ReadDir().error(), Errno::kENOENT);
}

}  // namespace
}  // namespace bulwark::fsimpl::proc
