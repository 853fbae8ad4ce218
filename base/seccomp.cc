#include "base/seccomp.h"

#include <seccomp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>

namespace bulwark::seccomp {
namespace {

scmp_compare ToScmp(ArgCond::Op op) {
  switch (op) {
    case ArgCond::Op::kEq:
      return SCMP_CMP_EQ;
    case ArgCond::Op::kNe:
      return SCMP_CMP_NE;
    case ArgCond::Op::kMaskedEq:
      return SCMP_CMP_MASKED_EQ;
    case ArgCond::Op::kLe:
      return SCMP_CMP_LE;
    case ArgCond::Op::kGe:
      return SCMP_CMP_GE;
  }
  return SCMP_CMP_EQ;
}

const char* OpText(ArgCond::Op op) {
  switch (op) {
    case ArgCond::Op::kEq:
      return "==";
    case ArgCond::Op::kNe:
      return "!=";
    case ArgCond::Op::kMaskedEq:
      return "&";
    case ArgCond::Op::kLe:
      return "<=";
    case ArgCond::Op::kGe:
      return ">=";
  }
  return "?";
}

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

}  // namespace

Result<Mode> ParseMode(const std::string& s) {
  if (s == "enforce") return Mode::kEnforce;
  if (s == "log") return Mode::kLog;
  if (s == "off") return Mode::kOff;
  return MakeError("invalid seccomp mode \"" + s + "\" (want enforce, log or off)");
}

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kEnforce:
      return "enforce";
    case Mode::kLog:
      return "log";
    case Mode::kOff:
      return "off";
  }
  return "?";
}

Result<void> Install(const Policy& policy, Mode mode) {
  if (mode == Mode::kOff) return {};
  uint32_t deny = mode == Mode::kEnforce ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG;
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(deny));
  if (!ctx) return MakeError("seccomp_init failed");
  // A filter built for x86-64 must not let 32-bit (int 0x80) or x32 calls
  // through under other numbers: libseccomp kills other architectures with
  // the default action (SCMP_FLTATR_ACT_BADARCH defaults to KILL).
  if (int r = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1); r != 0) {
    return MakeError(std::string("seccomp: cannot request TSYNC: ") + std::strerror(-r), -r);
  }
  for (const Rule& rule : policy.rules) {
    int nr = static_cast<int>(rule.nr);
    if (nr < 0) {
      return MakeError(std::string(policy.process) + " seccomp policy: no number for \"" +
                       rule.name + "\"");
    }
    std::vector<scmp_arg_cmp> cmps;
    for (const ArgCond& c : rule.conds) {
      scmp_arg_cmp cmp{};
      cmp.arg = c.arg;
      cmp.op = ToScmp(c.op);
      if (c.op == ArgCond::Op::kMaskedEq) {
        cmp.datum_a = c.mask;
        cmp.datum_b = c.value;
      } else {
        cmp.datum_a = c.value;
      }
      cmps.push_back(cmp);
    }
    uint32_t action = rule.fail_errno != 0 ? SCMP_ACT_ERRNO(static_cast<uint16_t>(rule.fail_errno))
                                           : SCMP_ACT_ALLOW;
    int r = seccomp_rule_add_array(ctx.get(), action, nr,
                                   static_cast<unsigned>(cmps.size()), cmps.data());
    if (r != 0) {
      return MakeError(std::string(policy.process) + " seccomp policy: rule for " + rule.name +
                           " refused: " + std::strerror(-r),
                       -r);
    }
  }
  if (int r = seccomp_load(ctx.get()); r != 0) {
    return MakeError(std::string("seccomp_load: ") + std::strerror(-r), -r);
  }
  return {};
}

std::string Format(const Policy& policy) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "# %s: %zu host syscalls\n", policy.process,
                DistinctSyscalls(policy));
  out += line;
  for (const Rule& rule : policy.rules) {
    std::string args;
    for (const ArgCond& c : rule.conds) {
      if (!args.empty()) args += ", ";
      char buf[96];
      if (c.op == ArgCond::Op::kMaskedEq) {
        std::snprintf(buf, sizeof(buf), "arg%u & %#lx == %#lx", c.arg,
                      static_cast<unsigned long>(c.mask), static_cast<unsigned long>(c.value));
      } else {
        std::snprintf(buf, sizeof(buf), "arg%u %s %#lx", c.arg, OpText(c.op),
                      static_cast<unsigned long>(c.value));
      }
      args += buf;
    }
    if (rule.fail_errno != 0) {
      if (!args.empty()) args += " ";
      args += "-> fails with errno " + std::to_string(rule.fail_errno);
    }
    std::snprintf(line, sizeof(line), "%-20s %-44s %s\n", rule.name,
                  args.empty() ? "*" : args.c_str(), rule.why);
    out += line;
  }
  return out;
}

size_t DistinctSyscalls(const Policy& policy) {
  std::set<long> names;
  for (const Rule& r : policy.rules) {
    if (r.fail_errno == 0) names.insert(r.nr);
  }
  return names.size();
}

}  // namespace bulwark::seccomp
