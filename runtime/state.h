// Container state on the host: `<root>/<id>/state.json`, guarded by an
// flock on `<root>/<id>/.lock`.
//
// Lifecycle (OCI runtime-spec "Lifecycle"): creating -> created -> running
// -> stopped. `run` goes creating -> running and removes the directory when
// the container exits; `create`/`start`/`delete` (issue 3) walk the same
// states through the same files.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bulwark::runtime {

// runc's checks: `^[\w+-\.]+$` (the `+-\.` range also admits ','), and
// neither "." nor "..". The error names the ID.
Result<void> ValidateContainerId(std::string_view id);

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
std::string_view StatusName(Status status);
std::optional<Status> StatusFromName(std::string_view name);

struct State {
  std::string oci_version;
  std::string id;
  int pid = 0;  // the sentry's host pid; 0 when there is none
  Status status = Status::kCreating;
  std::string bundle;   // absolute
  std::string rootfs;   // absolute
  std::string created;  // RFC 3339, nanoseconds, UTC
  std::map<std::string, std::string> annotations;

  // The rest is not part of the OCI state; the runtime keeps it in
  // state.json (under "bulwark") for later commands.
  // /proc/PID/stat starttime of the sentry and gofer: a recycled pid never
  // passes for the container's process (runc checks the same way).
  unsigned long long pid_start = 0;
  int gofer_pid = 0;
  unsigned long long gofer_start = 0;
  bool paused = false;
  // cgroup directories created for this container (removed on delete).
  std::vector<std::string> cgroups;          // joined
  std::vector<std::string> cgroups_created;  // made by create (removed by delete)
  // The spec's "hooks" object as JSON ("" when none): poststart and
  // poststop run after create has returned, from a bundle that may be gone.
  std::string hooks_json;
  std::string owner;  // "" like runc's `state`; list fills in the user name
};

// The `state` JSON (runc's key order; annotations only when present).
std::string StateToJson(const State& state);
// What state.json holds: StateToJson's fields plus the runtime's own.
std::string StateToDiskJson(const State& state);
Result<State> StateFromJson(std::string_view text);

// Whether `pid` is alive (not a zombie) and started at `start_time`
// (0: do not check the start time).
bool ProcessAlive(int pid, unsigned long long start_time);
// Field 22 of /proc/PID/stat (clock ticks since boot).
Result<unsigned long long> ProcessStartTime(int pid);

// The status as of now, runc-style: the stored status, except that a
// container whose sentry is gone (or a zombie) is stopped, and a paused one
// is paused. The pid reads 0 once the container has stopped.
State CurrentState(State stored);

// "2026-11-23T21:40:35.360196611Z"
std::string Rfc3339NanoNow();

// One container's directory, locked for as long as this object lives.
class ContainerDir {
 public:
  ContainerDir() = default;
  ContainerDir(ContainerDir&&) = default;
  ContainerDir& operator=(ContainerDir&&) = default;

  const std::string& path() const { return path_; }
  const std::string& id() const { return id_; }

  Result<void> Save(const State& state) const;
  Result<State> Load() const;
  // Removes the directory and everything in it, then drops the lock.
  Result<void> Remove();
  // Drops the lock early (the directory stays).
  void Unlock() { lock_.reset(); }

 private:
  friend class StateRoot;
  ContainerDir(std::string id, std::string path, UniqueFd lock)
      : id_(std::move(id)), path_(std::move(path)), lock_(std::move(lock)) {}

  std::string id_;
  std::string path_;
  UniqueFd lock_;
};

// The --root directory.
class StateRoot {
 public:
  explicit StateRoot(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }

  // Creates the root (0711) if needed, then `<root>/<id>` (0711) and takes
  // its lock. Fails with `container "ID" already exists` if it exists.
  Result<ContainerDir> Create(std::string_view id) const;
  // Locks an existing container's directory (waiting for other commands on
  // it). Fails with `container "ID" does not exist` (the words Podman and
  // containerd match) if there is none.
  Result<ContainerDir> Open(std::string_view id) const;
  // Reads a container's state without locking (state.json is replaced by
  // rename, so it is always whole).
  Result<State> Read(std::string_view id) const;
  // The ids of every container under the root, sorted.
  Result<std::vector<std::string>> List() const;
  std::string DirOf(std::string_view id) const { return path_ + "/" + std::string(id); }

 private:
  std::string path_;
};

}  // namespace bulwark::runtime
