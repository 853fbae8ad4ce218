#include "sentry/fsimpl/dev/devfs.h"

#include <sys/sysmacros.h>

#include "sentry/kernel/credentials.h"

namespace bulwark::fsimpl::dev {

SysResult<std::shared_ptr<vfs::Inode>> CreateDevFs(const DevOptions& options) {
  memfs::MemFsOptions fs_options;
  fs_options.root_mode = 0755;
  fs_options.open_special = DeviceOpener(options);
  std::shared_ptr<vfs::Inode> root = memfs::CreateMemFs(fs_options);

  const kernel::Credentials root_creds;
  struct Node {
    const char* name;
    unsigned major, minor;
  };
  static constexpr Node kNodes[] = {
      {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
      {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
  };
  for (const Node& n : kNodes)
    TRY(root->Mknod(n.name, S_IFCHR | 0666, makedev(n.major, n.minor), root_creds));
  if (options.pts) TRY(root->Mknod("ptmx", S_IFCHR | 0666, makedev(5, 2), root_creds));

  struct Link {
    const char* name;
    const char* target;
  };
  static constexpr Link kLinks[] = {
      {"fd", "/proc/self/fd"},
      {"stdin", "/proc/self/fd/0"},
      {"stdout", "/proc/self/fd/1"},
      {"stderr", "/proc/self/fd/2"},
  };
  for (const Link& l : kLinks) TRY(root->Symlink(l.name, l.target, root_creds));

  TRY(root->Mkdir("shm", 01777, root_creds));
  return root;
}

}  // namespace bulwark::fsimpl::dev
