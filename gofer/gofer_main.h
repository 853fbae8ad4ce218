// Entry point of the gofer process (`bulwark gofer`).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "base/seccomp.h"

namespace bulwark::gofer {

struct GoferOptions {
  struct Mount {
    std::string source;
    bool read_only = false;
  };
  int sock_fd = -1;
  std::string root;
  bool root_read_only = false;
  std::vector<Mount> mounts;  // attach points 1, 2, ... in order
  seccomp::Mode seccomp = seccomp::Mode::kEnforce;  // --seccomp=enforce|log|off
};

// Parses `gofer --sock-fd=N --root=PATH [--root-readonly] [--mount=SRC[:ro]]...
// [--seccomp=MODE]`
// (argv[0] is the subcommand name). A mount source ending in ":ro" is read
// only; a trailing ":rw" is accepted and stripped too.
Result<GoferOptions> ParseGoferArgs(int argc, char** argv);

// `bulwark gofer --sock-fd=N --root=PATH [--root-readonly] [--mount=SRC[:ro]]...`
//
// Enters a new mount namespace whose root is PATH (pivot_root), keeps the
// mount sources open as attach points 1..n (each a directory tree or a
// single file), drops to the few capabilities a file server needs, and
// serves the peer of socket N until it closes. Dies with its parent.
//
// Preconditions: runs as root in a process of its own (it changes the
// process's mount namespace, root and capabilities), with no other threads.
// Returns 0 when the peer closed the socket, or 1 after printing one line
// "gofer: <what>: <error>" to stderr.
int GoferMain(int argc, char** argv);

}  // namespace bulwark::gofer
