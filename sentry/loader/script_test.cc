#include "sentry/loader/script.h"

#include <string>

#include <gtest/gtest.h>

namespace bulwark::loader {
namespace {

SysResult<Shebang> P(const std::string& s) {
  return ParseShebang(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

void ExpectOk(const std::string& text, const std::string& interp,
              std::optional<std::string> arg) {
  auto r = P(text);
  ASSERT_TRUE(r.has_value()) << text << ": " << ErrnoName(r.error());
  EXPECT_EQ(r->interpreter, interp) << text;
  EXPECT_EQ(r->arg, arg) << text;
}

void ExpectNoexec(const std::string& text) {
  auto r = P(text);
  ASSERT_FALSE(r.has_value()) << text;
  EXPECT_EQ(r.error(), Errno::kENOEXEC);
}

TEST(Shebang, Simple) { ExpectOk("#!/bin/sh\necho hi\n", "/bin/sh", std::nullopt); }

TEST(Shebang, SpacesAroundName) {
  ExpectOk("#!  \t/bin/sh \t \nrest", "/bin/sh", std::nullopt);
}

TEST(Shebang, OneArgumentKeepsInnerSpaces) {
  ExpectOk("#!/usr/bin/env  -S  python3 -u  \n", "/usr/bin/env", "-S  python3 -u");
}

TEST(Shebang, TabSeparatedArgument) { ExpectOk("#!/bin/awk\t-f\n", "/bin/awk", "-f"); }

TEST(Shebang, NoNewlineShortFile) { ExpectOk("#!/bin/sh", "/bin/sh", std::nullopt); }

TEST(Shebang, CarriageReturnIsPartOfTheName) {
  ExpectOk("#!/bin/sh\r\n", "/bin/sh\r", std::nullopt);
}

TEST(Shebang, NulEndsTheName) { ExpectOk(std::string("#!/bin/sh\0 -x\n", 14), "/bin/sh", std::nullopt); }

TEST(Shebang, NulInsideTheArgument) {
  ExpectOk(std::string("#!/bin/sh -x\0y\n", 15), "/bin/sh", "-x");
}

TEST(Shebang, NoInterpreter) {
  ExpectNoexec("#!\n");
  ExpectNoexec("#!   \t \n");
  ExpectNoexec("#");
  ExpectNoexec("!#/bin/sh\n");
}

TEST(Shebang, NoNewlineNoNameIsEmptyName) {
  // Linux finds the zero padding as the name's terminator and then opens ""
  // (which fails with EACCES, see LoadExecutable).
  ExpectOk("#!", "", std::nullopt);
  ExpectOk("#!   ", "", std::nullopt);
}

TEST(Shebang, LongLineWithoutNewline) {
  // The name fits and is followed by a space: the argument is truncated.
  std::string text = "#!/bin/sh " + std::string(400, 'a');
  auto r = P(text);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->interpreter, "/bin/sh");
  EXPECT_EQ(r->arg, std::string(256 - 1 - 10, 'a'));
  // A name that fills the buffer may be truncated: refused.
  ExpectNoexec("#!/" + std::string(400, 'b'));
  ExpectNoexec("#!" + std::string(400, ' '));
}

TEST(Shebang, NewlinePastTheBuffer) {
  // Only the first 256 bytes count; no newline among them.
  ExpectNoexec("#!/" + std::string(300, 'c') + "\n");
}

TEST(Shebang, NewlineAtLastBufferByte) {
  std::string text = "#!/" + std::string(252, 'd') + "\n";
  ASSERT_EQ(text.size(), 256u);
  ExpectOk(text, "/" + std::string(252, 'd'), std::nullopt);
}

}  // namespace
}  // namespace bulwark::loader
