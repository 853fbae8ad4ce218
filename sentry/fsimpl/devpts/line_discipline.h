// The line discipline of a pseudo-terminal replica (N_TTY): input
// processing and line editing, echo, signal characters and output
// processing, after termios(3) and Linux drivers/tty/n_tty.c.
//
// Pure logic: no Task, no blocking, no locking of its own (its owner holds
// the kernel lock), so it is testable alone.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "sentry/fsimpl/tty/job_control.h"

namespace bulwark::fsimpl::devpts {

using tty::KernelTermios;

inline constexpr size_t kInputBufSize = 4096;  // N_TTY_BUF_SIZE

// The termios a new replica starts with (tty_std_termios without HUPCL, as
// pty.c sets it up): ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD,
// ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN and INIT_C_CC.
KernelTermios DefaultTermios();

class LineDiscipline {
 public:
  LineDiscipline() : termios_(DefaultTermios()) {}

  const KernelTermios& termios() const { return termios_; }
  // TCSETS. Leaving canonical mode makes every buffered byte readable;
  // entering it makes them the line being edited (n_tty_set_termios).
  void SetTermios(const KernelTermios& t);

  // Input: bytes written to the master. Processes bytes of `in` until the
  // buffer is full; returns how many were consumed. Echoes are appended to
  // `echo` (raw; the caller passes them through ProcessOutput); signals
  // (ISIG) to `signals`; `flushed` is set when a signal character flushed
  // the queues (the caller also drops its pending output).
  size_t Receive(std::span<const uint8_t> in, std::string* echo, std::vector<int>* signals,
                 bool* flushed);

  // Bytes a read can take now: in canonical mode those of the complete
  // lines, else every buffered byte. An empty line ended by VEOF counts as
  // readable (CanRead), though it has no bytes.
  size_t Readable() const;
  bool CanRead() const;
  // Moves up to `len` bytes into `dst`: in canonical mode at most one line
  // (a VEOF ending it is consumed, not returned). Returns the count.
  size_t Read(uint8_t* dst, size_t len);
  // TCFLSH of the input side.
  void Flush();
  bool Empty() const { return lines_.empty() && edit_.empty() && raw_.empty(); }

  // Output processing (OPOST, ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS) of
  // `in` into `out`, at most `room` bytes added; returns how many bytes of
  // `in` were consumed (a byte that expands is taken whole or not at all).
  size_t ProcessOutput(std::span<const uint8_t> in, std::string* out, size_t room);

 private:
  struct Line {
    std::string data;  // with its delimiter, except VEOF
  };
  bool Canonical() const;
  size_t Buffered() const;
  uint8_t Cc(int i) const { return termios_.c_cc[i]; }
  bool IsCc(uint8_t c, int i) const { return Cc(i) != 0 && c == Cc(i); }
  void Echo(uint8_t c, std::string* echo);  // ECHOCTL-aware
  void EraseOne(std::string* echo);
  void Commit(std::string* echo);

  KernelTermios termios_;
  std::deque<Line> lines_;  // complete lines (canonical mode)
  std::string edit_;        // the line being edited (canonical mode)
  std::deque<uint8_t> raw_; // non-canonical input
  bool lnext_ = false;      // VLNEXT seen: the next byte is literal
  unsigned column_ = 0;     // output column, for tabs and ONOCR
};

}  // namespace bulwark::fsimpl::devpts
