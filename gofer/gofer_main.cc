#include "gofer/gofer_main.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "base/log.h"
#include "gofer/fs_util.h"
#include "gofer/seccomp_policy.h"
#include "gofer/server.h"

namespace bulwark::gofer {
namespace {

// What a file server running as root needs to serve files of every owner:
// bypass permission checks, set owners, keep set-id bits on chmod.
constexpr cap_value_t kKeptCaps[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                     CAP_FOWNER, CAP_FSETID};

int Fail(const char* what, int err) {
  fprintf(stderr, "gofer: %s: %s\n", what, strerror(err));
  return 1;
}
int Fail(const char* what) { return Fail(what, errno); }
int Fail(const std::string& what, Errno err) { return Fail(what.c_str(), ToInt(err)); }

bool Kept(cap_value_t cap) {
  for (cap_value_t k : kKeptCaps) {
    if (k == cap) return true;
  }
  return false;
}

SysResult<void> DropCapabilities() {
  for (cap_value_t cap = 0; cap < static_cast<cap_value_t>(cap_max_bits()); ++cap) {
    if (!Kept(cap) && cap_drop_bound(cap) < 0) return Err(HostErrno());
  }
  if (cap_reset_ambient() < 0) return Err(HostErrno());
  cap_t caps = cap_init();
  if (caps == nullptr) return Err(HostErrno());
  constexpr int kCount = sizeof(kKeptCaps) / sizeof(kKeptCaps[0]);
  bool ok = cap_set_flag(caps, CAP_PERMITTED, kCount, kKeptCaps, CAP_SET) == 0 &&
            cap_set_flag(caps, CAP_EFFECTIVE, kCount, kKeptCaps, CAP_SET) == 0 &&
            cap_set_proc(caps) == 0;
  int err = errno;
  cap_free(caps);
  if (!ok) return Err(FromInt(err));
  return {};
}

// A bind-mount source. A directory is cloned as a detached mount tree (with
// its submounts, read-only when asked), which keeps it intact when the old
// root is detached below; a file is kept as (parent, name).
SysResult<AttachPoint> OpenMountSource(const std::string& source, bool read_only) {
  struct stat st;
  if (::stat(source.c_str(), &st) < 0) return Err(HostErrno());
  if (!S_ISDIR(st.st_mode)) return OpenAttachPoint(source.c_str(), read_only);
  UniqueFd tree(static_cast<int>(::open_tree(AT_FDCWD, source.c_str(),
                                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)));
  if (!tree) {
    if (errno != ENOSYS) return Err(HostErrno());
    return OpenAttachPoint(source.c_str(), read_only);
  }
  if (read_only) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
      return Err(HostErrno());
    }
  }
  AttachPoint ap;
  ap.fd = std::move(tree);
  ap.read_only = read_only;
  return ap;
}

// Makes `root` the root of this mount namespace and detaches the old one.
int PivotInto(const std::string& root, bool read_only) {
  if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
    return Fail(("bind-mount " + root).c_str());
  }
  if (::chdir(root.c_str()) < 0) return Fail(("chdir " + root).c_str());
  // With new_root == put_old the old root ends up stacked on "." and can be
  // lazily unmounted from there, without a directory for it in the image.
  if (::syscall(SYS_pivot_root, ".", ".") < 0) return Fail("pivot_root");
  if (::umount2(".", MNT_DETACH) < 0) return Fail("detach old root");
  if (::chdir("/") < 0) return Fail("chdir /");
  if (read_only) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
      if (errno != ENOSYS) return Fail("remount / read-only");
      if (::mount(nullptr, "/", nullptr, MS_RDONLY | MS_BIND | MS_REMOUNT, nullptr) < 0) {
        return Fail("remount / read-only");
      }
    }
  }
  return 0;
}

bool ParseFd(std::string_view s, int* fd) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *fd);
  return ec == std::errc() && end == s.data() + s.size() && *fd >= 0;
}

}  // namespace

Result<GoferOptions> ParseGoferArgs(int argc, char** argv) {
  GoferOptions opts;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg.starts_with("--sock-fd=")) {
      if (!ParseFd(arg.substr(10), &opts.sock_fd)) {
        return MakeError("invalid --sock-fd: " + std::string(arg.substr(10)));
      }
    } else if (arg.starts_with("--root=")) {
      opts.root = arg.substr(7);
    } else if (arg.starts_with("--seccomp=")) {
      auto mode = seccomp::ParseMode(std::string(arg.substr(10)));
      if (!mode) return MakeError("invalid --seccomp: " + mode.error().message);
      opts.seccomp = *mode;
    } else if (arg == "--root-readonly") {
      opts.root_read_only = true;
    } else if (arg.starts_with("--mount=")) {
      GoferOptions::Mount m{std::string(arg.substr(8)), false};
      if (m.source.ends_with(":ro")) {
        m.read_only = true;
        m.source.resize(m.source.size() - 3);
      } else if (m.source.ends_with(":rw")) {
        m.source.resize(m.source.size() - 3);
      }
      if (m.source.empty()) return MakeError("empty --mount source");
      opts.mounts.push_back(std::move(m));
    } else {
      return MakeError("unknown argument: " + std::string(arg));
    }
  }
  if (opts.sock_fd < 0) return MakeError("missing --sock-fd");
  if (opts.root.empty()) return MakeError("missing --root");
  return opts;
}

int GoferMain(int argc, char** argv) {
  log::SetComponent("gofer");
  auto parsed = ParseGoferArgs(argc, argv);
  if (!parsed) {
    fprintf(stderr, "gofer: %s\n", parsed.error().message.c_str());
    return 1;
  }
  const GoferOptions& opts = *parsed;
  struct stat sock_st;
  if (::fstat(opts.sock_fd, &sock_st) < 0) return Fail("--sock-fd");
  if (!S_ISSOCK(sock_st.st_mode)) return Fail("--sock-fd", ENOTSOCK);
  UniqueFd sock(opts.sock_fd);

  if (::unshare(CLONE_NEWNS) < 0) return Fail("unshare(CLONE_NEWNS)");
  // Nothing done in this namespace may propagate back to the host.
  if (::mount(nullptr, "/", nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
    return Fail("make / a recursive slave");
  }
  // Host paths are only reachable before the pivot.
  std::vector<AttachPoint> attach_points(1);
  for (const GoferOptions::Mount& m : opts.mounts) {
    auto ap = OpenMountSource(m.source, m.read_only);
    if (!ap) return Fail("open mount source " + m.source, ap.error());
    attach_points.push_back(std::move(*ap));
  }
  if (int status = PivotInto(opts.root, opts.root_read_only); status != 0) return status;
  auto root = OpenAttachPoint("/", opts.root_read_only);
  if (!root) return Fail("open /", root.error());
  attach_points[0] = std::move(*root);

  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return Fail("PR_SET_NO_NEW_PRIVS");
  if (auto dropped = DropCapabilities(); !dropped) {
    return Fail("drop capabilities", dropped.error());
  }
  // No parent-death signal: after `create` the runtime exits and the gofer
  // must outlive it. The gofer ends when its socket reaches EOF, i.e. when
  // the sentry (and the runtime, before the sentry has started) are gone.
  // Every fid holds an fd: allow as many as the hard limit does (best effort).
  rlimit nofile;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  // Last step before serving: from here on the gofer can make only the host
  // syscalls in GoferPolicy() (`bulwark debug filters`).
  if (auto installed = seccomp::Install(GoferPolicy(), opts.seccomp); !installed) {
    return Fail(("install seccomp filter: " + installed.error().message).c_str(),
                installed.error().errnum ? installed.error().errnum : EINVAL);
  }

  Server server(std::move(attach_points), std::move(sock));
  if (auto served = server.Serve(); !served) return Fail("serve", served.error());
  return 0;
}

}  // namespace bulwark::gofer
