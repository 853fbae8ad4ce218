#include "runtime/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <random>
#include <vector>

#include "base/unique_fd.h"

namespace bulwark::runtime {
namespace {

Result<void> WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return HostError("write " + path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string RandomSuffix() {
  static std::mt19937_64 rng(std::random_device{}());
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 8; ++i) s += kChars[rng() % (sizeof(kChars) - 1)];
  return s;
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!fd) return HostError("open " + path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return HostError("stat " + path);
  if (S_ISDIR(st.st_mode)) return MakeError("read " + path + ": Is a directory", EISDIR);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return HostError("read " + path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_bytes) {
      return MakeError("read " + path + ": larger than " + std::to_string(max_bytes) + " bytes",
                       EFBIG);
    }
  }
  return out;
}

Result<void> WriteFileAtomic(const std::string& path, std::string_view data, mode_t mode) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmp = dir + "." + base + ".tmp-" + RandomSuffix();
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return HostError("create " + tmp);
  auto fail = [&tmp](std::unexpected<Error> err) {
    ::unlink(tmp.c_str());
    return err;
  };
  if (auto r = WriteAll(fd.get(), data, tmp); !r) return fail(std::unexpected(r.error()));
  // open() applied the umask; the caller asked for exactly `mode`.
  if (::fchmod(fd.get(), mode) != 0) return fail(HostError("chmod " + tmp));
  if (::close(fd.release()) != 0) return fail(HostError("close " + tmp));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(HostError("rename " + tmp + " to " + path));
  return {};
}

Result<void> MakeDirs(const std::string& path, mode_t mode) {
  std::string clean = CleanPath(path);
  std::vector<std::string> missing;
  std::string cur = clean;
  for (;;) {
    struct stat st;
    if (::stat(cur.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return MakeError("mkdir " + cur + ": Not a directory", ENOTDIR);
      break;
    }
    if (errno != ENOENT) return HostError("stat " + cur);
    missing.push_back(cur);
    size_t slash = cur.rfind('/');
    if (slash == std::string::npos) break;
    cur = slash == 0 ? "/" : cur.substr(0, slash);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), mode) != 0 && errno != EEXIST) return HostError("mkdir " + *it);
    if (::chmod(it->c_str(), mode) != 0) return HostError("chmod " + *it);
  }
  return {};
}

std::string CleanPath(std::string_view path) {
  bool absolute = !path.empty() && path[0] == '/';
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view part = path.substr(i, j - i);
    if (part.empty() || part == ".") {
      // skip
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(part);
    }
    i = j + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '/';
    out += parts[k];
  }
  if (out.empty()) out = ".";
  return out;
}

std::string JoinPath(std::string_view base, std::string_view path) {
  if (!path.empty() && path[0] == '/') return CleanPath(path);
  std::string joined(base);
  joined += '/';
  joined += path;
  return CleanPath(joined);
}

Result<std::string> AbsolutePath(const std::string& path) {
  if (!path.empty() && path[0] == '/') return CleanPath(path);
  char cwd[PATH_MAX];
  if (::getcwd(cwd, sizeof(cwd)) == nullptr) return HostError("getcwd");
  return JoinPath(cwd, path);
}

}  // namespace bulwark::runtime
