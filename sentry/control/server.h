// The sentry's control server: answers the runtime's requests
// (sentry/control/protocol.h) on the listening socket given by
// `bulwark boot --control-fd=N`.
//
// Threads: one accept thread, and one thread per connection (an exec
// connection lives until its process exits). They block every signal, take
// the kernel lock to act, and never keep the sentry alive: the sentry exits
// (_exit) when init exits, ending them.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "sentry/control/protocol.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"

namespace bulwark::fsimpl::host {
class Notifier;
}
namespace bulwark::oci {
struct Process;
}

namespace bulwark::control {

class Server {
 public:
  // Creates a process for exec (sentry::CreateProcess with the given
  // stdio); injected so that the server does not depend on boot code and
  // tests can substitute it. Precondition: kernel lock held.
  //   fds: 3 stdio fds, or 1 tty fd when `terminal`.
  using ProcessFactory = std::function<Result<std::unique_ptr<kernel::Task>>(
      const oci::Process& p, std::vector<UniqueFd> fds, bool terminal)>;

  Server(kernel::Kernel& k, UniqueFd listen_fd, ProcessFactory factory);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Starts the accept thread (detached). The Server must outlive it: the
  // sentry never destroys it.
  void Run();

  // --- Boot progress (BootMain). Preconditions: kernel lock held. ---
  // Init is created and loaded; `ready` now succeeds and `start` starts it.
  void BootDone(std::unique_ptr<kernel::Task> init);
  // Boot failed with `message`: `ready` reports it. Returns true once a
  // `ready` request has received it, or false after `timeout_ms` (the caller
  // then prints it itself). Releases the lock while waiting.
  bool BootFailed(std::unique_lock<std::mutex>& lock, const std::string& message, int timeout_ms);
  // Blocks until init has been started (by `start`, or by a signal before
  // start). Precondition: kernel lock held by `lock`.
  void WaitForStart(std::unique_lock<std::mutex>& lock);

  // Handles one request (the text of a message and its fds) on connection
  // `conn`, sending the reply (and for exec, later the exit report).
  // Exposed for tests; `conn` may be a socketpair end.
  void Handle(int conn, std::string request, std::vector<UniqueFd> fds);

 private:
  enum class BootState { kBooting, kReady, kFailed };

  void AcceptLoop();
  // Each returns the reply; guarded by the kernel lock.
  nlohmann::json OpReady(std::unique_lock<std::mutex>& lock);
  nlohmann::json OpStart();
  nlohmann::json OpSignal(const nlohmann::json& req);
  nlohmann::json OpPs();
  nlohmann::json OpPause(bool pause);
  nlohmann::json OpStats();
  nlohmann::json OpUpdate(const nlohmann::json& req);
  // Exec sends its own replies (the pid, then the exit status).
  void OpExec(int conn, std::unique_lock<std::mutex>& lock, const nlohmann::json& req,
              std::vector<UniqueFd> fds);
  void StartInitLocked();

  kernel::Kernel& k_;
  UniqueFd listen_;
  ProcessFactory factory_;
  // Guarded by the kernel lock.
  BootState boot_ = BootState::kBooting;
  std::string boot_error_;
  bool boot_error_delivered_ = false;
  std::unique_ptr<kernel::Task> init_;  // until started
  bool started_ = false;
  nlohmann::json resources_;
  // CPU time of exec'd processes the server reaped (ns).
  uint64_t reaped_utime_ns_ = 0, reaped_stime_ns_ = 0;
  std::condition_variable cv_;  // on the kernel lock: boot and start changes
};

}  // namespace bulwark::control
