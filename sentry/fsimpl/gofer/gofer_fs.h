// The gofer filesystem: vfs::Inodes over fids of the gofer connection.
//
// Regular files are read and written through the host fd the gofer donates
// at open; everything else is a gofer round trip. The round trips of inode
// operations other than Open hold the kernel lock (the vfs::Inode interface
// passes no Task to release it with); the gofer serves them from local
// files, so they are short.
#pragma once

#include <memory>

#include "base/result.h"
#include "gofer/client.h"
#include "sentry/mm/mm.h"
#include "sentry/fsimpl/memfs/memfs.h"
#include "sentry/vfs/inode.h"

namespace bulwark::fsimpl::goferfs {

// The root inode of attach point `attach_index` (see gofer/client.h).
// `read_only`: the attach point cannot change (the overlay's lower, a ro
// bind mount), so attributes and link targets are cached for good; otherwise
// GetStat asks the gofer each time. Device nodes and FIFOs are opened through
// `open_special` (ENXIO when null).
SysResult<std::shared_ptr<vfs::Inode>> CreateGoferFs(std::shared_ptr<gofer::Client> client,
                                                     uint32_t attach_index, bool read_only,
                                                     memfs::SpecialOpener open_special = nullptr);

// statfs(2) of the host filesystem behind a gofer inode; nullopt when
// `inode` is not one.
std::optional<SysResult<gofer::StatFs>> StatFsOf(vfs::Inode& inode);

// A mapping of [off, off+len) of a gofer regular file: its page cache
// (page_cache.h; file offset = backing offset), created on first use;
// nullopt when `file` is not a gofer regular file. `shared`: MAP_SHARED
// (else a private read-only mapping, see mm::Vma::file_pages).
std::optional<SysResult<std::shared_ptr<mm::Backing>>> PageCacheOf(vfs::FileDescription& file,
                                                                   mm::MemoryFile& mf,
                                                                   uint64_t off, uint64_t len,
                                                                   bool shared);

}  // namespace bulwark::fsimpl::goferfs
