#include "sentry/vfs/mount.h"

#include "sentry/vfs/fsnotify.h"

namespace bulwark::vfs {

Dentry::~Dentry() {
  if (dead_) NotifyDentryReleased(*this);
}

std::shared_ptr<Dentry> Dentry::CachedChild(const std::string& name) const {
  auto it = children_.find(name);
  return it == children_.end() ? nullptr : it->second;
}

SysResult<std::shared_ptr<Dentry>> Dentry::Child(const std::string& name) {
  if (auto cached = CachedChild(name)) return cached;
  std::shared_ptr<Inode> inode = TRY(inode_->Lookup(name));
  return AddChild(name, std::move(inode));
}

std::shared_ptr<Dentry> Dentry::AddChild(const std::string& name, std::shared_ptr<Inode> inode) {
  auto child = std::make_shared<Dentry>(name, shared_from_this(), std::move(inode));
  auto [it, inserted] = children_.try_emplace(name, child);
  if (!inserted) {
    it->second->dead_ = true;
    it->second = child;
  }
  return child;
}

void Dentry::RemoveChild(const std::string& name) {
  auto it = children_.find(name);
  if (it == children_.end()) return;
  it->second->dead_ = true;
  children_.erase(it);
}

void Dentry::MoveChild(Dentry& old_parent, const std::string& old_name, Dentry& new_parent,
                       const std::string& new_name) {
  if (&old_parent == &new_parent && old_name == new_name) return;
  std::shared_ptr<Dentry> moved;
  if (auto it = old_parent.children_.find(old_name); it != old_parent.children_.end()) {
    moved = std::move(it->second);
    old_parent.children_.erase(it);
  }
  // Whatever new_name named before has been replaced.
  new_parent.RemoveChild(new_name);
  if (!moved) return;
  moved->name_ = new_name;
  moved->parent_ = new_parent.shared_from_this();
  new_parent.children_.emplace(new_name, std::move(moved));
}

void Dentry::ExchangeChildren(Dentry& a_parent, const std::string& a_name, Dentry& b_parent,
                              const std::string& b_name) {
  std::shared_ptr<Dentry> a, b;
  if (auto it = a_parent.children_.find(a_name); it != a_parent.children_.end()) {
    a = std::move(it->second);
    a_parent.children_.erase(it);
  }
  if (auto it = b_parent.children_.find(b_name); it != b_parent.children_.end()) {
    b = std::move(it->second);
    b_parent.children_.erase(it);
  }
  if (a) {
    a->name_ = b_name;
    a->parent_ = b_parent.shared_from_this();
    b_parent.children_.emplace(b_name, std::move(a));
  }
  if (b) {
    b->name_ = a_name;
    b->parent_ = a_parent.shared_from_this();
    a_parent.children_.emplace(a_name, std::move(b));
  }
}

}  // namespace bulwark::vfs
