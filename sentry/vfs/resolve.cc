#include "sentry/vfs/resolve.h"

#include <linux/capability.h>
#include <linux/limits.h>

#include "sentry/vfs/permission.h"

namespace bulwark::vfs {

namespace {

// MS_NOSYMFOLLOW (Linux 5.10): symlinks on the mount are not followed.
constexpr int kMsNoSymFollow = 256;

bool IsMountRoot(const Path& p) { return p.dentry == p.mount->root(); }

// One path walk: the context, the flags and the shared symlink budget.
class Walker {
 public:
  Walker(const ResolveContext& ctx, unsigned flags) : ctx_(ctx), flags_(flags) {}

  // Resolves `path` from `start`; a final symlink is followed if `follow`.
  SysResult<Path> Walk(const Path& start, std::string_view path, bool follow,
                       bool top_level = false) {
    ParentAndName pn = TRY(WalkParent(start, path, top_level));
    return Finish(pn, follow, top_level && (flags_ & kDirectory));
  }

  // Walks to the directory holding the final component of `path`, checking
  // that it is a directory the caller may search. `top_level`: `path` is
  // the caller's, not a symlink target.
  SysResult<ParentAndName> WalkParent(const Path& start, std::string_view path, bool top_level) {
    if (path.empty()) return Err(Errno::kENOENT);
    if (path.size() >= PATH_MAX) return Err(Errno::kENAMETOOLONG);
    ParentAndName pn;
    Path cur = start;
    if (path[0] == '/') cur = TRY(JumpRoot(top_level ? nullptr : &start));
    size_t i = 0;
    for (;;) {
      while (i < path.size() && path[i] == '/') ++i;
      if (i == path.size()) {
        // Only slashes ("/", "///"): the root itself.
        pn.parent = cur;
        pn.type = LastType::kRoot;
        return pn;
      }
      size_t end = path.find('/', i);
      if (end == std::string_view::npos) end = path.size();
      std::string_view name = path.substr(i, end - i);
      size_t next = end;
      while (next < path.size() && path[next] == '/') ++next;
      TRY(MayLookup(cur));
      if (next == path.size()) {
        pn.parent = cur;
        pn.name = std::string(name);
        pn.trailing_slash = end < path.size();
        pn.type = name == "."    ? LastType::kDot
                  : name == ".." ? LastType::kDotDot
                                 : LastType::kNormal;
        return pn;
      }
      cur = TRY(Step(cur, name));
      if (!cur.ino().IsDir()) return Err(Errno::kENOTDIR);
      i = next;
    }
  }

  // Resolves the final component found by WalkParent.
  SysResult<Path> Finish(const ParentAndName& pn, bool follow, bool want_dir) {
    Path result;
    switch (pn.type) {
      case LastType::kRoot:
      case LastType::kDot:
        result = pn.parent;
        break;
      case LastType::kDotDot:
        result = TRY(DotDot(pn.parent));
        break;
      case LastType::kNormal:
        result = TRY(Lookup(pn.parent, pn.name));
        if (result.ino().IsSymlink() && (follow || pn.trailing_slash))
          result = TRY(FollowLink(pn.parent, result));
        break;
    }
    if ((want_dir || pn.trailing_slash) && !result.ino().IsDir()) return Err(Errno::kENOTDIR);
    return result;
  }

  // Search permission on a directory about to be looked in.
  SysResult<void> MayLookup(const Path& dir) {
    if (!dir.ino().IsDir()) return Err(Errno::kENOTDIR);
    const kernel::Credentials* creds = ctx_.creds;
    if (creds == nullptr || creds->HasCap(CAP_DAC_OVERRIDE) ||
        creds->HasCap(CAP_DAC_READ_SEARCH))
      return {};
    Stat st = TRY(dir.ino().GetStat());
    return CheckPermission(st, *creds, kMayExec);
  }

  // One non-final component: ".", "..", or a name whose symlink is followed.
  SysResult<Path> Step(const Path& cur, std::string_view name) {
    if (name == ".") return cur;
    if (name == "..") return DotDot(cur);
    Path next = TRY(Lookup(cur, name));
    if (next.ino().IsSymlink()) return FollowLink(cur, next);
    return next;
  }

  // `name` in `dir`, crossing into mounts. Precondition: MayLookup(dir).
  SysResult<Path> Lookup(const Path& dir, std::string_view name) {
    if (name.size() > NAME_MAX) return Err(Errno::kENAMETOOLONG);
    // A removed directory has no entries, whatever its inode still says.
    if (dir.dentry->dead()) return Err(Errno::kENOENT);
    std::string key(name);
    std::shared_ptr<Dentry> child;
    if (flags_ & kCachedOnly) {
      child = dir.dentry->CachedChild(key);
      if (!child) return Err(Errno::kEAGAIN);
    } else {
      child = TRY(dir.dentry->Child(key));
    }
    return CrossDown(Path{dir.mount, std::move(child)});
  }

  SysResult<Path> CrossDown(Path p) {
    if (ctx_.mounts == nullptr) return p;
    if (auto m = ctx_.mounts->MountedAt(p)) {
      if (flags_ & kNoXdev) return Err(Errno::kEXDEV);
      p = Path{m, m->root()};
    }
    return p;
  }

  // "..": stays at the root; leaves a mount's root for its mountpoint's
  // parent.
  SysResult<Path> DotDot(Path cur) {
    for (;;) {
      if (cur == ctx_.root) {
        if (flags_ & kBeneath) return Err(Errno::kEXDEV);
        return cur;
      }
      if (!IsMountRoot(cur)) break;
      if (!cur.mount->parent) return cur;  // the top of everything
      if (flags_ & kNoXdev) return Err(Errno::kEXDEV);
      cur = Path{cur.mount->parent, cur.mount->mountpoint};
    }
    const std::shared_ptr<Dentry>& parent = cur.dentry->parent();
    if (!parent) return cur;
    return CrossDown(Path{cur.mount, parent});
  }

  // An absolute path or symlink target; `from` is where the walk was
  // (nullptr for the caller's own absolute path, which may start anywhere).
  SysResult<Path> JumpRoot(const Path* from) {
    if (flags_ & kBeneath) return Err(Errno::kEXDEV);
    if ((flags_ & kNoXdev) && from != nullptr && from->mount != ctx_.root.mount)
      return Err(Errno::kEXDEV);
    return ctx_.root;
  }

  SysResult<std::string> ReadLink(const Path& link) {
    if (ctx_.task != nullptr) return link.ino().ReadlinkAs(*ctx_.task);
    return link.ino().Readlink();
  }

  // Follows symlink `link` found in directory `dir`.
  SysResult<Path> FollowLink(const Path& dir, const Path& link) {
    if (flags_ & kNoSymlinks) return Err(Errno::kELOOP);
    if (++links_ > kMaxSymlinks) return Err(Errno::kELOOP);
    if (link.mount->flags() & kMsNoSymFollow) return Err(Errno::kELOOP);
    if (ctx_.task != nullptr) {
      if (auto magic = link.ino().FollowMagicLink(*ctx_.task)) {
        if (flags_ & kNoMagicLinks) return Err(Errno::kELOOP);
        Path target = TRY(std::move(*magic));
        if ((flags_ & kNoXdev) && target.mount != link.mount) return Err(Errno::kEXDEV);
        // A magic link may lead anywhere, so scoped walks cannot use them.
        if (flags_ & kBeneath) return Err(Errno::kEXDEV);
        return target;
      }
    }
    std::string target = TRY(ReadLink(link));
    if (target.empty()) return Err(Errno::kENOENT);
    return Walk(dir, target, true);
  }

  // For ResolveForCreate: follows a final symlink to the parent and name
  // of its target.
  SysResult<CreateTarget> FollowForCreate(ParentAndName pn, bool follow) {
    for (;;) {
      CreateTarget ct;
      if (pn.type != LastType::kNormal) {
        ct.existing = TRY(Finish(pn, follow, false));
        ct.where = std::move(pn);
        return ct;
      }
      // open_last_lookups(): O_CREAT with a trailing slash.
      if (pn.trailing_slash) return Err(Errno::kEISDIR);
      auto found = Lookup(pn.parent, pn.name);
      if (!found) {
        if (found.error() != Errno::kENOENT) return Err(found.error());
        ct.where = std::move(pn);
        return ct;
      }
      Path link = std::move(*found);
      if (!link.ino().IsSymlink() || !follow) {
        ct.existing = std::move(link);
        ct.where = std::move(pn);
        return ct;
      }
      if (flags_ & kNoSymlinks) return Err(Errno::kELOOP);
      if (++links_ > kMaxSymlinks) return Err(Errno::kELOOP);
      if (link.mount->flags() & kMsNoSymFollow) return Err(Errno::kELOOP);
      if (ctx_.task != nullptr) {
        if (auto magic = link.ino().FollowMagicLink(*ctx_.task)) {
          if (flags_ & kNoMagicLinks) return Err(Errno::kELOOP);
          ct.existing = TRY(std::move(*magic));
          if ((flags_ & kNoXdev) && ct.existing.mount != link.mount) return Err(Errno::kEXDEV);
          if (flags_ & kBeneath) return Err(Errno::kEXDEV);
          ct.where = std::move(pn);
          return ct;
        }
      }
      std::string target = TRY(ReadLink(link));
      if (target.empty()) return Err(Errno::kENOENT);
      Path from = pn.parent;
      pn = TRY(WalkParent(from, target, false));
    }
  }

 private:
  const ResolveContext& ctx_;
  unsigned flags_;
  int links_ = 0;
};

}  // namespace

SysResult<Path> Resolve(const ResolveContext& ctx, std::string_view path, unsigned flags) {
  Walker w(ctx, flags);
  return w.Walk(ctx.start, path, (flags & kFollow) != 0, true);
}

SysResult<ParentAndName> ResolveParent(const ResolveContext& ctx, std::string_view path,
                                       unsigned flags) {
  Walker w(ctx, flags);
  return w.WalkParent(ctx.start, path, true);
}

SysResult<CreateTarget> ResolveForCreate(const ResolveContext& ctx, std::string_view path,
                                         unsigned flags) {
  Walker w(ctx, flags);
  ParentAndName pn = TRY(w.WalkParent(ctx.start, path, true));
  return w.FollowForCreate(std::move(pn), (flags & kFollow) != 0);
}

SysResult<Path> LookupChild(const ResolveContext& ctx, const Path& dir, std::string_view name,
                            unsigned flags) {
  Walker w(ctx, flags);
  TRY(w.MayLookup(dir));
  return w.Lookup(dir, name);
}

}  // namespace bulwark::vfs
