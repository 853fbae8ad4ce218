// The gofer's host syscall allow-list (installed after pivot_root and the
// capability drop, before serving the first request).
#pragma once

#include "base/seccomp.h"

namespace bulwark::gofer {

seccomp::Policy GoferPolicy();

}  // namespace bulwark::gofer
