// main() for the fuzz targets in the default (g++) build: runs
// LLVMFuzzerTestOneInput once on every file named, or found in a directory
// named, on the command line (the checked-in corpora and regression
// inputs), so that they stay tests without clang.
//
// As tests/fuzz/run.sh's -malloc_limit_mb does, it fails any single
// allocation over kMallocLimit: one input making the code under test
// allocate what a hostile size asks for is a bug (see
// regressions/fuzz_syscall_args/sendmsg-huge-controllen).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

constexpr size_t kMallocLimit = size_t{512} << 20;  // run.sh: -malloc_limit_mb=512

void* Allocate(size_t n) {
  if (n > kMallocLimit) {
    std::fprintf(stderr, "replay: one allocation of %zu bytes, over the %zu MiB limit\n", n,
                 kMallocLimit >> 20);
    std::abort();
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

}  // namespace

// The default operator delete frees with free(), so only new is replaced.
void* operator new(size_t n) { return Allocate(n); }
void* operator new[](size_t n) { return Allocate(n); }

namespace {

bool RunFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t n = 0;
  bool ok = true;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        if (!e.is_regular_file()) continue;
        ok = RunFile(e.path()) && ok;
        ++n;
      }
    } else if (std::filesystem::exists(arg)) {
      ok = RunFile(arg) && ok;
      ++n;
    }
  }
  std::printf("replay: %zu inputs\n", n);
  return ok && n > 0 ? 0 : 1;
}
