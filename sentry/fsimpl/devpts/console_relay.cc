// The console relay (console_relay.h).

#include "sentry/fsimpl/devpts/console_relay.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "base/log.h"
#include "sentry/fsimpl/devpts/pty.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/ops.h"

namespace bulwark::fsimpl::devpts {

namespace {

constexpr size_t kChunk = 4096;

// How often an idle relay checks the host terminal's size.
constexpr int kResizePollMs = 250;

class Relay {
 public:
  Relay(kernel::Kernel& k, UniqueFd host, UniqueFd wake, std::shared_ptr<vfs::FileDescription> master,
        std::shared_ptr<PtyPair> pair, const ConsoleOptions& opts, const termios& saved)
      : k_(k),
        host_(std::move(host)),
        wake_(std::move(wake)),
        master_(std::move(master)),
        pair_(std::move(pair)),
        sid_(opts.sid),
        end_with_replicas_(opts.end_with_replicas),
        saved_(saved),
        host_ws_(pair_->ws) {}

  // Every byte the pty's replica produced has reached the host (or the
  // console ended). Precondition: kernel lock held.
  bool Drained() const { return ended_ || (!writing_ && pair_->to_master.empty()); }
  pid_t sid() const { return sid_; }
  std::condition_variable& drained_cv() { return drained_cv_; }

  // Precondition: kernel lock held.
  void Start(const std::shared_ptr<Relay>& self) {
    entry_.set_callback([fd = wake_.get()](uint32_t) {
      uint64_t one = 1;
      // An eventfd write only fails when the counter would overflow.
      (void)!write(fd, &one, sizeof one);
    });
    pair_->master_queue.AddEntry(&entry_);
    std::thread([self] { self->Run(); }).detach();
  }

  // Takes the host terminal's size when it changed since last seen (a size
  // the application set on its own pty stays until the host's changes).
  // Precondition: kernel lock held.
  void Resize() {
    if (ended_) return;
    winsize ws{};
    if (ioctl(host_.get(), TIOCGWINSZ, &ws) != 0 || memcmp(&ws, &host_ws_, sizeof ws) == 0) return;
    host_ws_ = ws;
    pair_->Resize(ws);
  }

  // Precondition: kernel lock held.
  void Restore() {
    if (saved_) tcsetattr(host_.get(), TCSANOW, &*saved_);
    saved_.reset();
  }

 private:
  void Run();
  // Writes all of `buf` to the host; false when the host side is gone.
  bool WriteHost(const uint8_t* buf, size_t n);
  // Ends the console. `hung_up`: the host side is gone (its mode is not
  // restored). Precondition: kernel lock held.
  void End(bool hung_up);

  kernel::Kernel& k_;
  UniqueFd host_;
  UniqueFd wake_;  // eventfd: the master's wait queue was notified
  // Guarded by the kernel lock from here on.
  std::shared_ptr<vfs::FileDescription> master_;
  std::shared_ptr<PtyPair> pair_;
  kernel::WaitQueue::Entry entry_;
  const pid_t sid_;
  const bool end_with_replicas_;
  std::optional<termios> saved_;
  winsize host_ws_;  // the host terminal's size last seen
  bool writing_ = false;  // output taken from the pty, not yet on the host
  bool ended_ = false;
  std::condition_variable drained_cv_;  // with the kernel lock
};

// Every live console. Guarded by the kernel lock.
std::vector<std::shared_ptr<Relay>>& Consoles() {
  static auto* v = new std::vector<std::shared_ptr<Relay>>;
  return *v;
}

void Relay::Run() {
  std::vector<uint8_t> in;  // read from the host, not yet taken by the pty
  uint8_t out[kChunk];
  uint8_t buf[kChunk];
  for (;;) {
    size_t nout, room;
    {
      std::lock_guard<std::mutex> lock(k_.mu);
      if (!in.empty()) {
        size_t n = pair_->WriteInput(in);
        in.erase(in.begin(), in.begin() + static_cast<ptrdiff_t>(n));
      }
      room = in.empty() ? std::min(kChunk, pair_->InputRoom()) : 0;
      nout = pair_->ReadOutput(out, sizeof out);
      writing_ = nout > 0;
      if (nout == 0) {
        drained_cv_.notify_all();
        if (end_with_replicas_ && pair_->ReplicaClosed()) return End(false);
      }
    }
    if (nout > 0) {
      if (!WriteHost(out, nout)) {
        std::lock_guard<std::mutex> lock(k_.mu);
        return End(true);
      }
      continue;
    }
    pollfd p[2] = {{host_.get(), static_cast<short>(room > 0 ? POLLIN : 0), 0},
                   {wake_.get(), POLLIN, 0}};
    // A resize the sentry gets no SIGWINCH for (an exec'd process's host
    // terminal is not the sentry's controlling terminal) is seen with the
    // next input or within kResizePollMs.
    int ready = poll(p, 2, kResizePollMs);
    if (ready == 0) {
      std::lock_guard<std::mutex> lock(k_.mu);
      Resize();
      continue;
    }
    if (ready < 0) {
      if (errno == EINTR) continue;
      LOG_WARN("console: poll: %s", strerror(errno));
      std::lock_guard<std::mutex> lock(k_.mu);
      return End(true);
    }
    if (p[1].revents & POLLIN) {
      uint64_t v;
      (void)!read(wake_.get(), &v, sizeof v);
    }
    if (p[0].revents & POLLIN) {
      ssize_t n;
      do n = read(host_.get(), buf, room);
      while (n < 0 && errno == EINTR);
      if (n > 0) {
        in.assign(buf, buf + n);
        std::lock_guard<std::mutex> lock(k_.mu);
        Resize();
        continue;
      }
      if (n < 0 && errno == EAGAIN) continue;
      // EOF or EIO: the host master is gone.
      std::lock_guard<std::mutex> lock(k_.mu);
      return End(true);
    }
    if (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
      std::lock_guard<std::mutex> lock(k_.mu);
      return End(true);
    }
  }
}

bool Relay::WriteHost(const uint8_t* buf, size_t n) {
  while (n > 0) {
    ssize_t w = write(host_.get(), buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      // Someone outside made the description non-blocking.
      pollfd p{host_.get(), POLLOUT, 0};
      if (poll(&p, 1, -1) < 0 && errno != EINTR) return false;
      if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return false;
      continue;
    }
    if (w <= 0) return false;
    buf += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void Relay::End(bool hung_up) {
  LOG_DEBUG("console of session %d: %s", sid_,
            hung_up ? "the host terminal hung up" : "every replica is closed");
  if (!hung_up) Restore();
  saved_.reset();
  ended_ = true;
  entry_.Detach();
  // The last reference to the master: pty_close, a hangup of the pty.
  master_.reset();
  pair_.reset();
  writing_ = false;
  drained_cv_.notify_all();
  auto& v = Consoles();
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it->get() == this) {
      // `this` stays alive: Run's caller holds a reference.
      v.erase(it);
      break;
    }
  }
}

}  // namespace

SysResult<void> StartRelay(kernel::Kernel& k, std::shared_ptr<vfs::FileDescription> master,
                           UniqueFd& host, const ConsoleOptions& opts) {
  std::shared_ptr<PtyPair> pair = PairOf(*master);
  if (!pair) return Err(Errno::kENOTTY);
  termios saved;
  if (tcgetattr(host.get(), &saved) != 0) return Err(HostErrno());
  UniqueFd wake(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake) return Err(HostErrno());
  termios raw = saved;
  cfmakeraw(&raw);
  if (tcsetattr(host.get(), TCSANOW, &raw) != 0) return Err(HostErrno());
  winsize ws{};
  if (ioctl(host.get(), TIOCGWINSZ, &ws) == 0) pair->ws = ws;
  tty::SetControllingTty(*pair, opts.sid, opts.pgid);
  LOG_DEBUG("console: session %d on /dev/pts/%u (%ux%u)", opts.sid, pair->index, ws.ws_col,
            ws.ws_row);
  auto relay = std::make_shared<Relay>(k, std::move(host), std::move(wake), std::move(master),
                                       std::move(pair), opts, saved);
  Consoles().push_back(relay);
  relay->Start(relay);
  return {};
}

SysResult<std::shared_ptr<vfs::FileDescription>> StartConsole(const vfs::ResolveContext& ctx,
                                                              UniqueFd& host,
                                                              const ConsoleOptions& opts) {
  kernel::Task& t = *ctx.task;
  // Kernel-internal: no permission check on /dev/ptmx; the pair's owner is
  // still the task's (OpenMaster takes t.creds()).
  vfs::ResolveContext c = ctx;
  c.creds = nullptr;
  auto master = TRY(vfs::OpenAt(c, "/dev/ptmx", O_RDWR | O_NOCTTY, 0));
  std::shared_ptr<PtyPair> pair = PairOf(*master);
  if (!pair) return Err(Errno::kENOTTY);  // /dev/ptmx is not the sandbox's ptmx
  pair->locked = false;                   // unlockpt()
  auto replica = TRY(OpenReplica(t, pair, pair->fs.NodePath(pair->index), O_RDWR));
  TRY(StartRelay(t.kernel(), std::move(master), host, opts));
  return replica;
}

bool ResizeConsoles() {
  for (const auto& r : Consoles()) r->Resize();
  return !Consoles().empty();
}

void WaitConsoleOutput(std::unique_lock<std::mutex>& lock, pid_t sid,
                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::shared_ptr<Relay>> relays;
  for (const auto& r : Consoles())
    if (sid == 0 || r->sid() == sid) relays.push_back(r);
  for (const auto& r : relays) {
    if (!r->drained_cv().wait_until(lock, deadline, [&] { return r->Drained(); }))
      LOG_WARN("console of session %d: output not written to the host in time", r->sid());
  }
}

void RestoreConsoles() {
  for (const auto& r : Consoles()) r->Restore();
}

}  // namespace bulwark::fsimpl::devpts
