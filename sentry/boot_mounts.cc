// The sandbox's mount tree, built from the OCI spec at boot.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <set>

#include "base/log.h"
#include "gofer/client.h"
#include "sentry/boot_internal.h"
#include "sentry/fsimpl/dev/devfs.h"
#include "sentry/fsimpl/devpts/devpts.h"
#include "sentry/fsimpl/gofer/gofer_fs.h"
#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/fsimpl/pipe.h"
#include "sentry/fsimpl/proc/procfs.h"
#include "sentry/vfs/resolve.h"

namespace bulwark::sentry {

namespace {

using vfs::Path;

struct MountOptions {
  int flags = 0;
  std::string data;  // fs-specific options, comma-separated
};

// Splits OCI mount options into MS_* flags and filesystem data.
MountOptions ParseOptions(const std::vector<std::string>& options) {
  static const std::map<std::string, std::pair<int, bool>> kFlags = {
      {"ro", {MS_RDONLY, true}},      {"rw", {MS_RDONLY, false}},
      {"nosuid", {MS_NOSUID, true}},  {"suid", {MS_NOSUID, false}},
      {"nodev", {MS_NODEV, true}},    {"dev", {MS_NODEV, false}},
      {"noexec", {MS_NOEXEC, true}},  {"exec", {MS_NOEXEC, false}},
      {"noatime", {MS_NOATIME, true}}, {"relatime", {MS_RELATIME, true}},
      {"strictatime", {MS_STRICTATIME, true}}, {"nodiratime", {MS_NODIRATIME, true}},
      {"sync", {MS_SYNCHRONOUS, true}}, {"async", {MS_SYNCHRONOUS, false}},
  };
  // Propagation and bind options have no meaning inside the sandbox.
  static const std::set<std::string> kIgnored = {
      "bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave",
      "unbindable", "runbindable", "defaults", "tmpcopyup", "rro", "rrw"};
  MountOptions m;
  for (const std::string& o : options) {
    auto it = kFlags.find(o);
    if (it != kFlags.end()) {
      if (it->second.second)
        m.flags |= it->second.first;
      else
        m.flags &= ~it->second.first;
    } else if (!kIgnored.count(o)) {
      if (!m.data.empty()) m.data += ',';
      m.data += o;
    }
  }
  if (std::find(options.begin(), options.end(), "rro") != options.end()) m.flags |= MS_RDONLY;
  return m;
}

kernel::Credentials RootCreds() {
  kernel::Credentials c;
  c.cap_effective = c.cap_permitted = ~uint64_t{0};
  return c;
}

// Walks to `dest` from the root, creating missing directories (or, for a
// file bind mount, an empty file as the last component) in whatever
// filesystem holds them. Mountpoints are created even on a read-only root,
// as runc and gVisor do before the root becomes read-only.
Result<Path> MakeMountpoint(kernel::Kernel& k, const std::string& dest, bool file) {
  vfs::ResolveContext ctx;
  ctx.root = ctx.start = k.mounts().RootPath();
  ctx.mounts = &k.mounts();
  Path cur = ctx.root;
  kernel::Credentials creds = RootCreds();
  std::vector<std::string> parts;
  for (size_t i = 0; i < dest.size();) {
    size_t j = dest.find('/', i);
    if (j == std::string::npos) j = dest.size();
    std::string part = dest.substr(i, j - i);
    if (!part.empty() && part != ".") parts.push_back(part);
    i = j + 1;
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& name = parts[i];
    if (name == "..") return MakeError("mount destination " + dest + ": must not contain ..");
    auto next = vfs::LookupChild(ctx, cur, name, vfs::kFollow);
    if (!next && next.error() == Errno::kENOENT) {
      bool last = i + 1 == parts.size();
      SysResult<std::shared_ptr<vfs::Inode>> made =
          last && file ? cur.ino().Create(name, S_IFREG | 0644, creds)
                       : cur.ino().Mkdir(name, 0755, creds);
      if (!made)
        return MakeError("mount destination " + dest + ": create " + name + ": " +
                         ErrnoName(made.error()));
      cur.dentry->AddChild(name, *made);
      next = vfs::LookupChild(ctx, cur, name, vfs::kFollow);
    }
    if (!next)
      return MakeError("mount destination " + dest + ": " + ErrnoName(next.error()));
    cur = *next;
  }
  return cur;
}

Result<void> Attach(kernel::Kernel& k, const std::string& dest, std::shared_ptr<vfs::Inode> root,
                    const std::string& type, const std::string& source, int flags,
                    std::shared_ptr<vfs::Mount>* mounted = nullptr) {
  bool file = !root->IsDir();
  Path where = TRY(MakeMountpoint(k, dest, file));
  if (where.ino().IsDir() != root->IsDir())
    return MakeError("mount " + dest + ": source and destination must both be directories or both files");
  auto m = std::make_shared<vfs::Mount>(std::make_shared<vfs::Dentry>("/", nullptr, root), type,
                                        source, flags);
  if (mounted) *mounted = m;
  k.mounts().Attach(std::move(m), where);
  return {};
}

}  // namespace

Result<void> SetUpMounts(kernel::Kernel& k, const oci::Spec& spec, const BootOptions& opts,
                         const HostInfo& host,
                         std::shared_ptr<fsimpl::host::Notifier> notifier) {
  fsimpl::dev::DevOptions dev_opts;
  // /dev/tty is the caller's controlling pty, else the terminal the
  // container's stdio is on, if any.
  for (int fd = 0; fd <= 2 && !dev_opts.tty; ++fd) {
    if (!isatty(fd)) continue;
    auto tty = fsimpl::host::HostFd::Import(UniqueFd(fcntl(fd, F_DUPFD_CLOEXEC, 3)), notifier);
    if (tty) dev_opts.tty = *tty;
  }
  dev_opts.open_fifo = fsimpl::OpenFifoAt;
  // One devpts instance for the sandbox (newinstance semantics), made
  // before any opener so that ptmx and mknod'ed pty nodes reach it.
  for (const oci::Mount& m : spec.mounts) {
    if (m.type != "devpts" || dev_opts.pts) continue;
    auto po = fsimpl::devpts::ParseDevPtsOptions(ParseOptions(m.options).data);
    if (!po) return MakeError(m.destination + ": devpts options: " + ErrnoName(po.error()));
    dev_opts.pts = fsimpl::devpts::NewDevPts(*po);
  }
  auto opener = fsimpl::dev::DeviceOpener(dev_opts);

  // The root: attach point 0 of the gofer, under an overlay unless the
  // writes should reach the image.
  int root_flags = spec.root.readonly ? MS_RDONLY : 0;
  // The sandbox's memory: the host's, or the memory limit if lower. tmpfs
  // mounts default to half of it (tmpfs(5)), and so does the overlay's
  // upper layer, which is in memory too (deliberate difference from runc,
  // whose upper layer is on disk: writes fail with ENOSPC instead of the
  // sandbox being OOM-killed).
  uint64_t memory = host.total_memory;
  if (auto l = spec.linux.resources.memory.limit; l && *l > 0 && static_cast<uint64_t>(*l) < memory)
    memory = static_cast<uint64_t>(*l);
  bool overlay = opts.overlay == "tmpfs";
  auto lower = fsimpl::goferfs::CreateGoferFs(k.gofer_client, 0, overlay || spec.root.readonly, opener);
  if (!lower) return MakeError(std::string("root filesystem: ") + ErrnoName(lower.error()));
  std::shared_ptr<vfs::Inode> root = *lower;
  if (overlay) {
    fsimpl::memfs::MemFsOptions mo;
    mo.open_special = opener;
    mo.size_limit = memory / 2 / 4096 * 4096;
    auto o = fsimpl::memfs::CreateOverlayRoot(*lower, mo);
    if (!o) return MakeError(std::string("root overlay: ") + ErrnoName(o.error()));
    root = *o;
  }
  k.mounts().SetRoot(std::make_shared<vfs::Mount>(
      std::make_shared<vfs::Dentry>("/", nullptr, root), overlay ? "overlay" : "9p", "rootfs",
      root_flags));

  bool have_dev = false;
  uint32_t bind_index = 0;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const oci::Mount& m = spec.mounts[i];
    std::string where = "mounts[" + std::to_string(i) + "] (" + m.destination + ")";
    MountOptions mo = ParseOptions(m.options);
    if (m.IsBind()) {
      ++bind_index;  // attach points follow oci::GoferMounts order
      bool ro = (mo.flags & MS_RDONLY) != 0;
      auto fs = fsimpl::goferfs::CreateGoferFs(k.gofer_client, bind_index, ro, opener);
      if (!fs) return MakeError(where + ": bind " + m.source + ": " + ErrnoName(fs.error()));
      TRY(Attach(k, m.destination, *fs, "9p", m.source, mo.flags));
    } else if (m.type == "proc") {
      TRY(Attach(k, m.destination, fsimpl::proc::CreateProcFs(k, host.cpuinfo, fsimpl::proc::ProcOptions{host.total_memory}),
                 "proc", "proc", mo.flags));
    } else if (m.type == "tmpfs" && m.destination == "/dev") {
      auto dev = fsimpl::dev::CreateDevFs(dev_opts);
      if (!dev) return MakeError(where + ": devfs: " + ErrnoName(dev.error()));
      TRY(Attach(k, m.destination, *dev, "tmpfs", m.source.empty() ? "tmpfs" : m.source, mo.flags));
      have_dev = true;
    } else if (m.type == "tmpfs") {
      auto to = fsimpl::memfs::ParseTmpfsOptions(mo.data, memory);
      if (!to) return MakeError(where + ": tmpfs options \"" + mo.data + "\": " + ErrnoName(to.error()));
      to->open_special = opener;
      TRY(Attach(k, m.destination, fsimpl::memfs::CreateMemFs(*to), "tmpfs",
                 m.source.empty() ? "tmpfs" : m.source, mo.flags));
    } else if (m.type == "devpts") {
      std::shared_ptr<vfs::Mount> mounted;
      TRY(Attach(k, m.destination, fsimpl::devpts::DevPtsRoot(*dev_opts.pts), "devpts",
                 m.source.empty() ? "devpts" : m.source, mo.flags, &mounted));
      fsimpl::devpts::SetDevPtsMount(*dev_opts.pts, mounted);
    } else if (m.type == "sysfs" || m.type == "mqueue" || m.type == "cgroup" ||
               m.type == "cgroup2") {
      // TODO(#3): sysfs/cgroupfs/mqueue contents. An empty
      // read-only directory keeps the path present, as a masked mount would.
      LOG_INFO("mount %s: %s is not implemented yet; mounting an empty directory",
               m.destination.c_str(), m.type.c_str());
      fsimpl::memfs::MemFsOptions eo;
      eo.root_mode = 0555;
      TRY(Attach(k, m.destination, fsimpl::memfs::CreateMemFs(eo), m.type, m.type,
                 mo.flags | MS_RDONLY));
    } else {
      return MakeError(where + ": unsupported filesystem type \"" + m.type + "\"");
    }
  }
  if (!have_dev) {
    auto dev = fsimpl::dev::CreateDevFs(dev_opts);
    if (!dev) return MakeError(std::string("devfs: ") + ErrnoName(dev.error()));
    TRY(Attach(k, "/dev", *dev, "tmpfs", "tmpfs", MS_NOSUID));
  }
  return {};
}

}  // namespace bulwark::sentry
