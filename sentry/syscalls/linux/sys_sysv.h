// System V IPC: shared memory, semaphores and message queues.
#pragma once

#include <sys/ipc.h>
#include <sys/sem.h>

#include "sentry/syscalls/linux/syscall.h"

namespace bulwark::syscalls {

SysResult<int> sys_shmget(Task& t, int key, size_t size, int flags);
SysResult<uint64_t> sys_shmat(Task& t, int id, uint64_t addr, int flags);
SysResult<void> sys_shmdt(Task& t, uint64_t addr);
SysResult<int> sys_shmctl(Task& t, int id, int cmd, uint64_t buf);

SysResult<int> sys_semget(Task& t, int key, int nsems, int flags);
SysResult<void> sys_semop(Task& t, int id, UserPtr<sembuf> sops, size_t nsops);
SysResult<void> sys_semtimedop(Task& t, int id, UserPtr<sembuf> sops, size_t nsops,
                               UserPtr<timespec> timeout);
SysResult<int> sys_semctl(Task& t, int id, int semnum, int cmd, uint64_t arg);

SysResult<int> sys_msgget(Task& t, int key, int flags);
SysResult<void> sys_msgsnd(Task& t, int id, uint64_t msgp, size_t size, int flags);
SysResult<size_t> sys_msgrcv(Task& t, int id, uint64_t msgp, size_t size, int64_t type,
                             int flags);
SysResult<int> sys_msgctl(Task& t, int id, int cmd, uint64_t buf);

}  // namespace bulwark::syscalls
