// Discretionary access checks (Linux's generic_permission and friends).
#pragma once

#include "base/result.h"
#include "sentry/kernel/credentials.h"
#include "sentry/vfs/types.h"

namespace bulwark::vfs {

// The `may` bits of CheckPermission, as MAY_EXEC/MAY_WRITE/MAY_READ.
inline constexpr int kMayExec = 1;
inline constexpr int kMayWrite = 2;
inline constexpr int kMayRead = 4;

// EACCES unless `creds` (fsuid, fsgid, groups, capabilities) may access a
// file with attributes `st` as `may` asks: the owner class alone applies to
// the owner, the group class to group members, else the other class.
// CAP_DAC_OVERRIDE grants everything except executing a file without any
// execute bit; CAP_DAC_READ_SEARCH grants reading files and reading and
// searching directories.
SysResult<void> CheckPermission(const Stat& st, const kernel::Credentials& creds, int may);

// inode_owner_or_capable(): the caller owns the file or has CAP_FOWNER.
bool OwnerOrCapable(const Stat& st, const kernel::Credentials& creds);

// Sticky directories (S_ISVTX): only the file's owner, the directory's
// owner or CAP_FOWNER may remove or rename `victim` from `dir`.
bool MayDeleteSticky(const Stat& dir, const Stat& victim, const kernel::Credentials& creds);

}  // namespace bulwark::vfs
