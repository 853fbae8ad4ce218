// What `create`, `run`, `start` and `delete` share: creating a container
// (state directory, control socket, cgroups, pty, sandbox, hooks, pid
// file), letting it start, and destroying it.
#pragma once

#include <signal.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "oci/spec.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/flags.h"
#include "runtime/sandbox.h"
#include "runtime/state.h"

namespace bulwark::runtime::cli {

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  int preserve_fds = 0;
  // `run` without --detach: the sandbox dies with the runtime, and a
  // terminal without --console-socket is the runtime's own stdio.
  bool foreground = false;
  std::optional<sigset_t> child_sigmask;
};

struct Container {
  // `run -t` without --console-socket: the user's terminal as it was, put
  // back last (after the sandbox below is gone).
  std::optional<SavedTerminal> saved_terminal;
  ContainerDir dir;  // locked
  State state;
  oci::Hooks hooks;
  std::optional<Sandbox> sandbox;  // set by Create; the children, until released
};

// Creates the container: returns once init is loaded and waits for start
// (status "created"), the pty master has gone to the console socket and the
// pid file is written. On any failure nothing is left behind.
Result<Container> CreateContainer(const GlobalFlags& flags, const CreateOptions& options);

// created -> running: startContainer hooks, the control "start", state,
// poststart hooks (which only warn). runc's wording for other states.
Result<void> StartContainer(Container& c);

// Loads an existing container (locked) with its status as of now.
Result<Container> OpenContainer(const GlobalFlags& flags, const std::string& id);

// Kills whatever is left of the sandbox (sentry, gofer), removes its
// cgroups, runs poststop hooks (warnings only) and removes the state
// directory.
Result<void> DestroyContainer(Container& c);

// The container's id as the last positional argument, with the usage error
// otherwise.
Result<std::string> OneId(std::string_view command, std::string_view usage,
                          const std::vector<std::string>& positional);

// For `run`: the platform must be built in.
Result<void> CheckPlatform(const std::string& name);

// --preserve-fds N (create, run, exec): the count, and the runtime's fds
// 3..3+N-1 it names, each checked to be open. At most kMaxPreservedFds (the
// sandbox's spawn and control messages carry a bounded number of fds).
inline constexpr int kMaxPreservedFds = 48;
Result<std::vector<int>> PreservedFds(const std::string& count_text);

// Sends `sig` to a host process that must still be the one started at
// `start_time`, through a pidfd. Returns the pidfd (invalid if the
// process is already gone).
Result<UniqueFd> SignalHostProcess(int pid, unsigned long long start_time, int sig);

// The name to give the control client for a state directory: the
// directory itself, or "/proc/self/fd/N" (an O_PATH fd kept open for the
// rest of the process) when "<dir>/control.sock" would not fit in
// sun_path's 108 bytes.
std::string ControlDir(const std::string& state_dir);

// Waits until the process behind `pidfd` has exited, at most `timeout`.
bool WaitPidfd(int pidfd, std::chrono::milliseconds timeout);

}  // namespace bulwark::runtime::cli
