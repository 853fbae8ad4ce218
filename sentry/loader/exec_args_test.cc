#include "sentry/loader/exec_args.h"

#include <elf.h>
#include <sys/resource.h>

#include <cstring>

#include <gtest/gtest.h>

namespace bulwark::loader {
namespace {

uint64_t Word(const StackImage& img, uint64_t addr) {
  uint64_t v;
  memcpy(&v, img.bytes.data() + (addr - img.base), sizeof(v));
  return v;
}

std::string Str(const StackImage& img, uint64_t addr) {
  return std::string(reinterpret_cast<const char*>(img.bytes.data() + (addr - img.base)));
}

TEST(BuildStack, LinuxLayout) {
  StackInputs in;
  in.argv = {"prog", "-x", ""};
  in.envp = {"A=1", "PATH=/bin"};
  in.execfn = "/bin/prog";
  for (int i = 0; i < 16; ++i) in.random[i] = i;
  in.auxv = {{AT_PAGESZ, 4096}, {AT_RANDOM, 0}, {AT_EXECFN, 0}, {AT_PLATFORM, 0}};
  const uint64_t top = 0x7fff00000000;
  StackImage img = BuildStack(in, top);

  EXPECT_EQ(img.rsp % 16, 0u);
  EXPECT_EQ(img.base, img.rsp);
  EXPECT_EQ(img.base + img.bytes.size(), top);
  EXPECT_EQ(Word(img, top - 8), 0u);

  uint64_t sp = img.rsp;
  ASSERT_EQ(Word(img, sp), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(Str(img, Word(img, sp + 8 * (1 + i))), in.argv[i]);
  EXPECT_EQ(Word(img, sp + 8 * 4), 0u);
  for (size_t i = 0; i < 2; ++i) EXPECT_EQ(Str(img, Word(img, sp + 8 * (5 + i))), in.envp[i]);
  EXPECT_EQ(Word(img, sp + 8 * 7), 0u);

  // Strings are contiguous: argv, envp, execfn, 8 zero bytes, top.
  EXPECT_EQ(img.arg_start, Word(img, sp + 8));
  EXPECT_EQ(img.arg_end, img.arg_start + 5 + 3 + 1);
  EXPECT_EQ(img.env_start, img.arg_end);
  EXPECT_EQ(img.env_end, img.env_start + 4 + 10);
  EXPECT_EQ(Str(img, img.env_end), "/bin/prog");
  EXPECT_EQ(img.env_end + 10 + 8, top);

  uint64_t auxv = sp + 8 * 8;
  ASSERT_EQ(img.auxv.size(), 10u);
  for (size_t i = 0; i < img.auxv.size(); ++i) EXPECT_EQ(Word(img, auxv + 8 * i), img.auxv[i]);
  EXPECT_EQ(img.auxv[0], uint64_t{AT_PAGESZ});
  EXPECT_EQ(img.auxv[8], uint64_t{AT_NULL});
  uint64_t random = img.auxv[3], execfn = img.auxv[5], platform = img.auxv[7];
  EXPECT_EQ(execfn, img.env_end);
  EXPECT_EQ(Str(img, platform), "x86_64");
  EXPECT_EQ(platform, (img.arg_start & ~uint64_t{15}) - 7);
  EXPECT_EQ(random, platform - 16);
  EXPECT_EQ(memcmp(img.bytes.data() + (random - img.base), in.random.data(), 16), 0);
  // rsp is the lowest 16-byte boundary that leaves room for the vectors.
  EXPECT_LE(auxv + 8 * img.auxv.size(), random);
  EXPECT_GT(auxv + 8 * img.auxv.size() + 16, random);
}

TEST(BuildStack, AlignmentForAnyArgc) {
  for (int n = 1; n < 6; ++n) {
    StackInputs in;
    in.argv.assign(n, "a");
    in.execfn = "/x";
    StackImage img = BuildStack(in, 0x10000000);
    EXPECT_EQ(img.rsp % 16, 0u);
    EXPECT_EQ(Word(img, img.rsp), static_cast<uint64_t>(n));
  }
}

TEST(ArgLimits, PerStringLimit) {
  std::string big(kMaxArgStrlen - 1, 'x');
  EXPECT_TRUE(CheckArgLimits({big}, {}, "/p", kDefaultStackLimit).has_value());
  big.push_back('x');
  EXPECT_EQ(CheckArgLimits({big}, {}, "/p", kDefaultStackLimit).error(), Errno::kE2BIG);
  EXPECT_EQ(CheckArgLimits({"a"}, {big}, "/p", kDefaultStackLimit).error(), Errno::kE2BIG);
}

TEST(ArgLimits, QuarterOfTheStackLimit) {
  // 8 MiB stack: 2 MiB of strings and pointers.
  std::vector<std::string> env(20, std::string(100000, 'e'));
  EXPECT_TRUE(CheckArgLimits({"a"}, env, "/p", kDefaultStackLimit).has_value());
  env.resize(21, std::string(100000, 'e'));
  EXPECT_EQ(CheckArgLimits({"a"}, env, "/p", kDefaultStackLimit).error(), Errno::kE2BIG);
  // A bigger stack raises the limit, up to 3/4 of _STK_LIM (6 MiB).
  EXPECT_TRUE(CheckArgLimits({"a"}, env, "/p", 16 << 20).has_value());
  env.resize(63, std::string(100000, 'e'));
  EXPECT_EQ(CheckArgLimits({"a"}, env, "/p", RLIM_INFINITY).error(), Errno::kE2BIG);
  // A tiny stack still allows ARG_MAX (128 KiB).
  EXPECT_TRUE(CheckArgLimits({std::string(100000, 'a')}, {}, "/p", 4096).has_value());
  EXPECT_EQ(CheckArgLimits({std::string(131070, 'a')}, {}, "/p", 4096).error(), Errno::kE2BIG);
}

TEST(ArgLimits, PointersCount) {
  std::vector<std::string> many(16384, "");
  EXPECT_EQ(CheckArgLimits(many, {}, "/p", 4096).error(), Errno::kE2BIG);
}

}  // namespace
}  // namespace bulwark::loader
