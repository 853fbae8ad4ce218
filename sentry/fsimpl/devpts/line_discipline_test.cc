#include "sentry/fsimpl/devpts/line_discipline.h"

#include <signal.h>
#include <termios.h>

#include <gtest/gtest.h>

namespace bulwark::fsimpl::devpts {
namespace {

struct Fed {
  size_t consumed;
  std::string echo;
  std::vector<int> signals;
  bool flushed = false;
};

Fed Feed(LineDiscipline& ld, std::string_view in) {
  Fed f;
  f.consumed = ld.Receive({reinterpret_cast<const uint8_t*>(in.data()), in.size()}, &f.echo,
                          &f.signals, &f.flushed);
  return f;
}

std::string ReadAll(LineDiscipline& ld) {
  std::string out(8192, '\0');
  size_t n = ld.Read(reinterpret_cast<uint8_t*>(out.data()), out.size());
  out.resize(n);
  return out;
}

std::string Output(LineDiscipline& ld, std::string_view in, size_t room = 1024) {
  std::string out;
  ld.ProcessOutput({reinterpret_cast<const uint8_t*>(in.data()), in.size()}, &out, room);
  return out;
}

TEST(LineDisciplineTest, CanonicalLinesWithEditing) {
  LineDiscipline ld;
  Fed f = Feed(ld, "abc\x7f" "d");
  EXPECT_FALSE(ld.CanRead());
  EXPECT_EQ(f.echo, "abc\b \bd");
  Feed(ld, "\r");  // ICRNL
  EXPECT_TRUE(ld.CanRead());
  EXPECT_EQ(ld.Readable(), 4u);
  EXPECT_EQ(ReadAll(ld), "abd\n");
  Feed(ld, "foo bar\x17" "baz\n");
  EXPECT_EQ(ReadAll(ld), "foo baz\n");
  Feed(ld, "gone\x15kept\x04");
  EXPECT_EQ(ReadAll(ld), "kept");
  Feed(ld, "\x04");
  EXPECT_TRUE(ld.CanRead());
  EXPECT_EQ(ReadAll(ld), "");
  EXPECT_FALSE(ld.CanRead());
}

TEST(LineDisciplineTest, ReadsOneLineAtATime) {
  LineDiscipline ld;
  Feed(ld, "one\ntwo\n");
  EXPECT_EQ(ReadAll(ld), "one\n");
  EXPECT_EQ(ReadAll(ld), "two\n");
}

TEST(LineDisciplineTest, SignalCharacters) {
  LineDiscipline ld;
  Fed f = Feed(ld, "ab\x03x\x1c\x1a");
  EXPECT_EQ(f.signals, (std::vector<int>{SIGINT, SIGQUIT, SIGTSTP}));
  EXPECT_TRUE(f.flushed);
  EXPECT_EQ(f.echo, "^Z");  // each flush also dropped the echoes before it
  Feed(ld, "\n");
  EXPECT_EQ(ReadAll(ld), "\n");  // the flushes dropped "ab" and "x"
}

TEST(LineDisciplineTest, EchoControlAndLiteralNext) {
  LineDiscipline ld;
  Fed f = Feed(ld, "\x16\x03\n");
  EXPECT_TRUE(f.signals.empty());
  EXPECT_EQ(f.echo, "^\b^C\n");
  EXPECT_EQ(ReadAll(ld), "\x03\n");
}

TEST(LineDisciplineTest, RawModeAndSwitching) {
  LineDiscipline ld;
  Feed(ld, "partial");
  KernelTermios t = ld.termios();
  t.c_lflag &= ~(ICANON | ECHO);
  ld.SetTermios(t);
  EXPECT_EQ(ld.Readable(), 7u);
  Fed f = Feed(ld, "\x7f");
  EXPECT_TRUE(f.echo.empty());
  EXPECT_EQ(ReadAll(ld), "partial\x7f");
}

TEST(LineDisciplineTest, FullBufferStopsRawInput) {
  LineDiscipline ld;
  KernelTermios t = ld.termios();
  t.c_lflag &= ~(ICANON | ECHO);
  ld.SetTermios(t);
  std::string big(kInputBufSize + 100, 'x');
  EXPECT_EQ(Feed(ld, big).consumed, kInputBufSize);
}

TEST(LineDisciplineTest, FullCanonicalLineKeepsRoomForNewline) {
  LineDiscipline ld;
  KernelTermios t = ld.termios();
  t.c_lflag &= ~ECHO;
  ld.SetTermios(t);
  std::string big(kInputBufSize + 100, 'x');
  EXPECT_EQ(Feed(ld, big).consumed, big.size());  // excess dropped
  Feed(ld, "\n");
  EXPECT_EQ(ld.Readable(), kInputBufSize);
}

TEST(LineDisciplineTest, OutputProcessing) {
  LineDiscipline ld;
  EXPECT_EQ(Output(ld, "a\nb"), "a\r\nb");
  std::string out;
  const uint8_t nl[] = {'\n'};
  EXPECT_EQ(ld.ProcessOutput(nl, &out, 1), 0u);  // \r\n does not fit
  KernelTermios t = ld.termios();
  t.c_oflag &= ~OPOST;
  ld.SetTermios(t);
  EXPECT_EQ(Output(ld, "a\n"), "a\n");
  t.c_oflag = OPOST | XTABS;
  ld.SetTermios(t);
  EXPECT_EQ(Output(ld, "\r\tx\r\t"),
            "\r" + std::string(8, ' ') + "x\r" + std::string(8, ' '));
}

}  // namespace
}  // namespace bulwark::fsimpl::devpts
