// devpts internals: the instance, a master/replica pair and its two ends.
// Everything here is guarded by the kernel lock.
#pragma once

#include <sys/ioctl.h>

#include <deque>
#include <map>
#include <memory>
#include <span>

#include "sentry/fsimpl/devpts/devpts.h"
#include "sentry/fsimpl/devpts/line_discipline.h"
#include "sentry/fsimpl/tty/job_control.h"
#include "sentry/kernel/wait_queue.h"

namespace bulwark::kernel {
class Kernel;
}

namespace bulwark::fsimpl::devpts {

// Bytes written to the master and not yet taken by the line discipline
// (Linux's flip buffers; with the 4 KiB line buffer a master write blocks
// after about 16 KiB, as on Linux).
inline constexpr size_t kPendingInputCap = 12288;
// Replica output the master has not read yet.
inline constexpr size_t kMasterBufCap = 4096;
// Replica N is the device (kPtyMajor + N / 256, N % 256): 136..143 are
// Unix98 pty replicas (Documentation/admin-guide/devices.txt).
inline constexpr unsigned kPtyMajor = 136;

class PtyPair;

class DevPts {
 public:
  explicit DevPts(const DevPtsOptions& options);

  const DevPtsOptions options;
  const uint64_t dev;
  const timespec created;
  std::weak_ptr<vfs::Mount> mount;
  std::shared_ptr<vfs::Inode> root, ptmx;
  // Pairs by index, for as long as either end is open; an index is free
  // again only when the whole pair is gone (devpts_kill_index at release).
  std::map<unsigned, std::weak_ptr<PtyPair>> pairs;
  // One inode per index ever used, so that a cached dentry of /dev/pts/N
  // reaches whichever pair has index N now.
  std::map<unsigned, std::shared_ptr<vfs::Inode>> nodes;

  // The pair with `index` whose master is still open (its node exists).
  std::shared_ptr<PtyPair> Live(unsigned index) const;
  // The path of /dev/pts/N in the mounted instance; invalid if unmounted.
  vfs::Path NodePath(unsigned index);
};

// A pseudo-terminal: the line discipline between the ends, the replica's
// termios and window size (shared with the master, as Linux's
// tty_pair_get_tty redirects the master's requests), and its job control.
class PtyPair : public tty::JobControl, public std::enable_shared_from_this<PtyPair> {
 public:
  PtyPair(kernel::Kernel& k, DevPts& fs, unsigned index, const kernel::Credentials& creds);

  kernel::Kernel& kernel;
  DevPts& fs;
  const unsigned index;
  bool locked = true;  // TIOCSPTLCK; a new pair starts locked
  LineDiscipline ld;
  winsize ws{};
  std::deque<uint8_t> pending_input;  // master writes not yet in `ld`
  std::deque<uint8_t> to_master;      // replica output for the master
  int replicas = 0;                   // open replica descriptions
  bool replica_opened = false;        // ever (before that: no POLLHUP)
  bool master_open = true;            // false: hung up
  bool packet = false;                // TIOCPKT
  uint8_t packet_status = 0;          // TIOCPKT_FLUSHREAD, ...
  timespec last_input{};              // CLOCK_MONOTONIC, for VTIME
  kernel::WaitQueue master_queue, replica_queue;
  // The replica node's attributes.
  uint32_t mode;
  uid_t uid;
  gid_t gid;
  timespec atime, mtime, ctime;

  // Moves pending input into the line discipline as far as it fits,
  // queueing echoes and sending the signal characters' signals.
  void Pump();
  // Wakes both ends' waiters.
  void NotifyAll();
  // The master is gone: the replica reads 0, writes EIO.
  bool HungUp() const { return !master_open; }
  // Every replica closed after one was opened: the master reads EIO.
  bool ReplicaClosed() const { return replica_opened && replicas == 0; }
  // Packet-mode status for the master (ORed in).
  void SetPacketStatus(uint8_t bits);

  // The master's side without a description (also used by the console
  // relay, console_relay.h): input room, a write of input (up to the room;
  // returns the count taken), a read of replica output (returns the count;
  // no packet-mode header).
  size_t InputRoom() const;
  size_t WriteInput(std::span<const uint8_t> in);
  size_t ReadOutput(uint8_t* dst, size_t len);
  // tty_do_resize(): a new size sends SIGWINCH to the foreground group.
  void Resize(const winsize& v);

  // /dev/tty of a session whose controlling terminal this is.
  SysResult<std::shared_ptr<vfs::FileDescription>> Reopen(kernel::Task& t, const vfs::Path& path,
                                                          int flags) override;
};

// The pair behind a master or replica description, else nullptr.
std::shared_ptr<PtyPair> PairOf(const vfs::FileDescription& f);

// Opens the replica of `pair` (EIO when locked or hung up).
SysResult<std::shared_ptr<vfs::FileDescription>> OpenReplica(kernel::Task& t,
                                                             std::shared_ptr<PtyPair> pair,
                                                             const vfs::Path& path, int flags);
// Allocates a pair and opens its master (ptmx_open).
SysResult<std::shared_ptr<vfs::FileDescription>> OpenMaster(kernel::Task& t, DevPts& fs,
                                                            const vfs::Path& path, int flags);

// The ioctls both ends share (termios, window size, job control, queues).
// nullopt for requests that are not shared.
std::optional<SysResult<uint64_t>> CommonIoctl(kernel::Task& t, PtyPair& pair, bool master,
                                               uint32_t cmd, uint64_t arg);

}  // namespace bulwark::fsimpl::devpts
