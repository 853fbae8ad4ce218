#include "sentry/fsimpl/devpts/line_discipline.h"

#include <signal.h>
#include <termios.h>

#include <algorithm>
#include <cctype>

namespace bulwark::fsimpl::devpts {

// The c_cc indices and flag bits of <termios.h> are the kernel's on x86-64.
static_assert(VINTR == 0 && VEOF == 4 && VMIN == 6 && VLNEXT == 15 && VEOL2 == 16);

KernelTermios DefaultTermios() {
  KernelTermios t{};
  t.c_iflag = ICRNL | IXON;
  t.c_oflag = OPOST | ONLCR;
  t.c_cflag = B38400 | CS8 | CREAD;
  t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
  // INIT_C_CC (include/linux/tty.h).
  static constexpr uint8_t kCc[17] = {003, 034, 0177, 025, 004, 0, 1, 0, 021,
                                      023, 032, 0,   022, 017, 027, 026, 0};
  std::copy(std::begin(kCc), std::end(kCc), t.c_cc);
  return t;
}

bool LineDiscipline::Canonical() const { return termios_.c_lflag & ICANON; }

size_t LineDiscipline::Buffered() const {
  size_t n = edit_.size() + raw_.size();
  for (const Line& l : lines_) n += l.data.size();
  return n;
}

void LineDiscipline::SetTermios(const KernelTermios& t) {
  bool was_canon = Canonical();
  termios_ = t;
  if (was_canon && !Canonical()) {
    for (const Line& l : lines_) raw_.insert(raw_.end(), l.data.begin(), l.data.end());
    raw_.insert(raw_.end(), edit_.begin(), edit_.end());
    lines_.clear();
    edit_.clear();
  } else if (!was_canon && Canonical() && !raw_.empty()) {
    // n_tty_set_termios: data already received is pushed, i.e. readable as
    // a line of its own.
    lines_.push_back(Line{std::string(raw_.begin(), raw_.end())});
    raw_.clear();
  }
  lnext_ = false;
}

void LineDiscipline::Echo(uint8_t c, std::string* echo) {
  if ((termios_.c_lflag & ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n') {
    echo->push_back('^');
    echo->push_back(static_cast<char>(c ^ 0x40));
  } else {
    echo->push_back(static_cast<char>(c));
  }
}

// Visual erase of the last character of the line being edited (ECHOE).
void LineDiscipline::EraseOne(std::string* echo) {
  uint8_t c = edit_.back();
  edit_.pop_back();
  if (!(termios_.c_lflag & ECHO)) return;
  if (!(termios_.c_lflag & ECHOE)) {
    Echo(Cc(VERASE), echo);
    return;
  }
  int width = ((termios_.c_lflag & ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t') ? 2 : 1;
  for (int i = 0; i < width; ++i) echo->append("\b \b");
}

void LineDiscipline::Commit(std::string* echo) {
  lines_.push_back(Line{std::move(edit_)});
  edit_.clear();
}

size_t LineDiscipline::Receive(std::span<const uint8_t> in, std::string* echo,
                               std::vector<int>* signals, bool* flushed) {
  const uint32_t iflag = termios_.c_iflag, lflag = termios_.c_lflag;
  size_t consumed = 0;
  for (uint8_t c : in) {
    size_t used = Buffered();
    // A full buffer waits for a reader, except in canonical mode without
    // a complete line, where only newline-like characters still fit and
    // others are dropped (n_tty_receive_char: else nobody could ever read).
    if (!Canonical() ? used >= kInputBufSize : (used >= kInputBufSize - 1 && !lines_.empty()))
      break;
    ++consumed;
    if (iflag & ISTRIP) c &= 0x7f;
    bool literal = lnext_;
    lnext_ = false;
    if (!literal) {
      if (c == '\r') {
        if (iflag & IGNCR) continue;
        if (iflag & ICRNL) c = '\n';
      } else if (c == '\n' && (iflag & INLCR)) {
        c = '\r';
      }
      if (lflag & ISIG) {
        int sig = IsCc(c, VINTR) ? SIGINT : IsCc(c, VQUIT) ? SIGQUIT : IsCc(c, VSUSP) ? SIGTSTP : 0;
        if (sig) {
          // isig(): flush unless NOFLSH, echo, then signal the foreground
          // group.
          if (!(lflag & NOFLSH)) {
            Flush();
            echo->clear();  // output not yet sent is flushed too
            *flushed = true;
          }
          if (lflag & ECHO) Echo(c, echo);
          signals->push_back(sig);
          continue;
        }
      }
      // Deliberate difference: VSTART/VSTOP are consumed but do not stop
      // output.
      if ((iflag & IXON) && (IsCc(c, VSTART) || IsCc(c, VSTOP))) continue;
    }
    if (!Canonical()) {
      raw_.push_back(c);
      if (lflag & ECHO) Echo(c, echo);
      else if (c == '\n' && (lflag & ECHONL)) echo->push_back('\n');
      continue;
    }
    if (!literal) {
      bool iexten = lflag & IEXTEN;
      if (IsCc(c, VERASE)) {
        if (!edit_.empty()) EraseOne(echo);
        continue;
      }
      if (iexten && IsCc(c, VWERASE)) {
        while (!edit_.empty() && isspace(static_cast<uint8_t>(edit_.back()))) EraseOne(echo);
        while (!edit_.empty() && (isalnum(static_cast<uint8_t>(edit_.back())) || edit_.back() == '_'))
          EraseOne(echo);
        continue;
      }
      if (IsCc(c, VKILL)) {
        if (edit_.empty()) continue;
        if (!(lflag & ECHO)) {
          edit_.clear();
        } else if (!(lflag & ECHOK) || !(lflag & ECHOKE) || !(lflag & ECHOE)) {
          edit_.clear();
          Echo(c, echo);
          if (lflag & ECHOK) echo->push_back('\n');
        } else {
          while (!edit_.empty()) EraseOne(echo);
        }
        continue;
      }
      if (iexten && IsCc(c, VLNEXT)) {
        lnext_ = true;
        if ((lflag & ECHO) && (lflag & ECHOCTL)) echo->append("^\b");
        continue;
      }
      if (iexten && IsCc(c, VREPRINT)) {
        if (lflag & ECHO) {
          Echo(c, echo);
          echo->push_back('\n');
          for (uint8_t e : edit_) Echo(e, echo);
        }
        continue;
      }
      if (c == '\n') {
        edit_.push_back('\n');
        if (lflag & (ECHO | ECHONL)) echo->push_back('\n');
        Commit(echo);
        continue;
      }
      if (IsCc(c, VEOF)) {
        Commit(echo);
        continue;
      }
      if (IsCc(c, VEOL) || (iexten && IsCc(c, VEOL2))) {
        edit_.push_back(static_cast<char>(c));
        if (lflag & ECHO) Echo(c, echo);
        Commit(echo);
        continue;
      }
    }
    // An ordinary character; dropped when only the delimiter would fit.
    if (used >= kInputBufSize - 1) continue;
    edit_.push_back(static_cast<char>(c));
    if (lflag & ECHO) Echo(c, echo);
  }
  return consumed;
}

size_t LineDiscipline::Readable() const {
  if (!Canonical()) return raw_.size();
  size_t n = 0;
  for (const Line& l : lines_) n += l.data.size();
  return n;
}

bool LineDiscipline::CanRead() const { return Canonical() ? !lines_.empty() : !raw_.empty(); }

size_t LineDiscipline::Read(uint8_t* dst, size_t len) {
  if (!Canonical()) {
    size_t n = std::min(len, raw_.size());
    std::copy_n(raw_.begin(), n, dst);
    raw_.erase(raw_.begin(), raw_.begin() + static_cast<ptrdiff_t>(n));
    return n;
  }
  if (lines_.empty()) return 0;
  Line& l = lines_.front();
  size_t n = std::min(len, l.data.size());
  std::copy_n(l.data.begin(), n, dst);
  l.data.erase(0, n);
  if (l.data.empty()) lines_.pop_front();
  return n;
}

void LineDiscipline::Flush() {
  lines_.clear();
  edit_.clear();
  raw_.clear();
  lnext_ = false;
}

size_t LineDiscipline::ProcessOutput(std::span<const uint8_t> in, std::string* out, size_t room) {
  const uint32_t oflag = termios_.c_oflag;
  size_t consumed = 0;
  size_t start = out->size();
  auto left = [&] { return room - (out->size() - start); };
  for (uint8_t c : in) {
    if (left() == 0) break;
    if (!(oflag & OPOST)) {
      out->push_back(static_cast<char>(c));
      ++consumed;
      continue;
    }
    switch (c) {
      case '\n':
        if (oflag & ONLRET) column_ = 0;
        if (oflag & ONLCR) {
          if (left() < 2) return consumed;
          column_ = 0;
          out->append("\r\n");
          ++consumed;
          continue;
        }
        break;
      case '\r':
        if ((oflag & ONOCR) && column_ == 0) {
          ++consumed;
          continue;
        }
        if (oflag & OCRNL) {
          c = '\n';
          if (oflag & ONLRET) column_ = 0;
          break;
        }
        column_ = 0;
        break;
      case '\t': {
        unsigned spaces = 8 - (column_ & 7);
        if ((oflag & TABDLY) == XTABS) {
          if (left() < spaces) return consumed;
          column_ += spaces;
          out->append(spaces, ' ');
          ++consumed;
          continue;
        }
        column_ += spaces;
        break;
      }
      case '\b':
        if (column_ > 0) --column_;
        break;
      default:
        if (!iscntrl(c)) {
          if (oflag & OLCUC) c = static_cast<uint8_t>(toupper(c));
          // UTF-8 continuation bytes take no column (is_continuation, IUTF8).
          if (!((termios_.c_iflag & IUTF8) && (c & 0xc0) == 0x80)) ++column_;
        }
        break;
    }
    out->push_back(static_cast<char>(c));
    ++consumed;
  }
  return consumed;
}

}  // namespace bulwark::fsimpl::devpts
