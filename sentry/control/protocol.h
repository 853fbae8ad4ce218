// The control channel between the runtime CLI (`bulwark start|kill|exec|ps|
// pause|resume|events|update`) and a running sentry.
//
// Transport: a SOCK_SEQPACKET unix socket. The runtime creates and binds a
// listening socket `control.sock` in the container's state directory before
// starting the sentry and passes the listening fd to `bulwark boot
// --control-fd=N` (the runtime closes its own copy once the sentry runs, so
// connections are refused once the sentry is gone). The sentry accepts on
// it from a dedicated host thread (created after confinement: capability
// sets are per thread, so an earlier thread would keep them; the fd is the
// only way in). Each connection carries one request and its replies. A
// message is one JSON object (UTF-8, 1..kMaxMessage bytes) optionally with
// host fds in SCM_RIGHTS (at most kMaxFds; more, or a truncated message, is
// an error).
//
// Requests ({"op": ...}) and replies, as implemented (sentry/control/server.cc):
//   ready                        -> {"ok":true} once the sandbox is set up and
//                                   init is loaded (not running); or
//                                   {"ok":false,"error":BOOT ERROR} when boot
//                                   failed (e.g. runc's `exec: "/x": stat /x:
//                                   no such file or directory`); the sentry
//                                   then exits with status 1.
//   start                        -> {"ok":true}        init begins to run
//                                   (second start: error "already started")
//   signal {"signal":N, "all":B, "pid":P}
//                                -> {"ok":true}        P = 0 (or absent):
//                                   init's process; all: every process.
//                                   Sent from outside the sandbox.
//   ps                           -> {"ok":true, "processes":[{"pid":..,"ppid":..,
//                                   "uid":..,"state":"R|S|T|Z","comm":..,"cmdline":[..]}]}
//   pause / resume               -> {"ok":true}        every task stops/continues
//   stats                        -> {"ok":true, "stats":{"pids.current":N,
//                                   "pids.limit":N, "memory.usage":BYTES,
//                                   "cpu.usage.total":NS, "cpu.usage.user":NS,
//                                   "cpu.usage.kernel":NS, "paused":B}}
//   update {"resources":{...}}   -> {"ok":true}        OCI LinuxResources; only
//                                   pids.limit is enforced by the sentry
//   exec {"process":{OCI process object}, "stdio":"fds"|"tty", "preserve_fds":N}
//        + SCM_RIGHTS: stdin, stdout, stderr (or one tty fd when "tty"),
//          then N more that become the process's fds 3.. (N optional, 0)
//                                -> {"ok":true, "pid":SANDBOX_PID}
//                                then, when that process exits, on the same
//                                connection: {"exit":true, "status":WAIT_STATUS}
//        The process has ppid 0 (like runc exec: its parent is outside the
//        namespace) and is reaped by the sentry. Closing the connection
//        early does not kill it.
// Any failure: {"ok":false, "error":"message naming what is wrong"}.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace bulwark::control {

inline constexpr size_t kMaxMessage = 1 << 20;
inline constexpr int kMaxFds = 64;  // stdio + exec --preserve-fds

struct Message {
  std::string json;
  std::vector<UniqueFd> fds;
};

// One message over a SEQPACKET socket. Sending an empty or oversized
// message, or more than kMaxFds fds, is an error. Receiving: EOF is an
// error with errnum ECONNRESET ("connection closed"); a message larger than
// kMaxMessage or carrying too many fds is an error (any fds that did arrive
// are closed). Both retry on EINTR.
Result<void> SendMessage(int sock, const Message& m);
Result<Message> ReceiveMessage(int sock);

// Parses message text as one JSON object without throwing; the error names
// the problem ("bad JSON at byte 12: ..." / "not a JSON object").
Result<nlohmann::json> ParseObject(const std::string& text);

// Sends a JSON value (dumped) with optional fds.
Result<void> SendJson(int sock, const nlohmann::json& v, const std::vector<int>& fds = {});

}  // namespace bulwark::control
