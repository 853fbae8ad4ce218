// Typed application addresses and fd numbers, decoded from registers.
#pragma once

#include <cstdint>

namespace bulwark::kernel {

// An application (guest) file descriptor number. Distinct from host fds.
struct GuestFd {
  int value;
};

// An application address holding a T. Never dereferenced directly: use
// Task::CopyIn/CopyOut.
template <typename T>
struct UserPtr {
  uint64_t addr = 0;
  bool null() const { return addr == 0; }
  UserPtr<T> operator+(uint64_t n) const { return UserPtr<T>{addr + n * sizeof(T)}; }
};

// A NUL-terminated string in application memory.
struct UserCString {
  uint64_t addr = 0;
  bool null() const { return addr == 0; }
};

}  // namespace bulwark::kernel
