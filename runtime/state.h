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
};

// The `state` JSON (runc's key order; annotations only when present).
std::string StateToJson(const State& state);
Result<State> StateFromJson(std::string_view text);

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

 private:
  std::string path_;
};

}  // namespace bulwark::runtime
