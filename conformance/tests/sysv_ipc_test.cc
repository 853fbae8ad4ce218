// System V IPC: shmget(2)/shmat(2)/shmdt(2)/shmctl(2), semget(2)/semop(2)/
// semctl(2), msgget(2)/msgsnd(2)/msgrcv(2)/msgctl(2).
// syscalls: shmget shmat shmdt shmctl
// syscalls(Sem): semget semop semctl semtimedop
// syscalls(Msg): msgget msgsnd msgrcv msgctl
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include "util/test_util.h"

namespace conformance {
namespace {

TEST(Shm, CreateAttachShareAcrossFork) {
  int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  int* p = static_cast<int*>(shmat(id, nullptr, 0));
  ASSERT_NE(p, reinterpret_cast<int*>(-1)) << strerror(errno);
  int status = RunInChild([p] { p[0] = 99; });
  EXPECT_TRUE(ExitedWith(status, 0));
  EXPECT_EQ(p[0], 99);
  EXPECT_THAT(shmdt(p), SyscallSucceeds());
  EXPECT_THAT(shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
}

TEST(Shm, StatReportsSize) {
  int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  struct shmid_ds ds;
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  EXPECT_EQ(ds.shm_segsz, 8192u);
  EXPECT_EQ(ds.shm_perm.mode & 0777, 0600);
  shmctl(id, IPC_RMID, nullptr);
}

TEST(Shm, MissingKeyIsENOENT) {
  EXPECT_THAT(shmget(0x7eadbeef, 4096, 0600), SyscallFailsWithErrno(ENOENT));
}

TEST(Shm, DetachUnattachedIsEINVAL) {
  static char local[4096] = {};
  EXPECT_THAT(shmdt(local), SyscallFailsWithErrno(EINVAL));
}

TEST(Sem, OperationsChangeValue) {
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  struct sembuf up = {0, 2, 0};
  ASSERT_THAT(semop(id, &up, 1), SyscallSucceeds());
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallSucceedsWithValue(2));
  struct sembuf down = {0, -1, IPC_NOWAIT};
  ASSERT_THAT(semop(id, &down, 1), SyscallSucceeds());
  ASSERT_THAT(semop(id, &down, 1), SyscallSucceeds());
  EXPECT_THAT(semop(id, &down, 1), SyscallFailsWithErrno(EAGAIN));
  semctl(id, 0, IPC_RMID);
}

TEST(Sem, SetvalAndRemove) {
  int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  ASSERT_THAT(semctl(id, 1, SETVAL, 7), SyscallSucceeds());
  EXPECT_THAT(semctl(id, 1, GETVAL), SyscallSucceedsWithValue(7));
  ASSERT_THAT(semctl(id, 0, IPC_RMID), SyscallSucceeds());
  EXPECT_THAT(semctl(id, 0, GETVAL), SyscallFailsWithErrno(EINVAL));
}

TEST(Msg, SendAndReceive) {
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  struct {
    long type;
    char text[16];
  } m = {5, "hello"}, r = {};
  ASSERT_THAT(msgsnd(id, &m, 6, 0), SyscallSucceeds());
  ASSERT_THAT(msgrcv(id, &r, sizeof r.text, 5, 0), SyscallSucceedsWithValue(6));
  EXPECT_STREQ(r.text, "hello");
  EXPECT_EQ(r.type, 5);
  msgctl(id, IPC_RMID, nullptr);
}

TEST(Msg, EmptyQueueNowaitIsENOMSG) {
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  struct {
    long type;
    char text[8];
  } r;
  EXPECT_THAT(msgrcv(id, &r, sizeof r.text, 0, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG));
  msgctl(id, IPC_RMID, nullptr);
}

}  // namespace
}  // namespace conformance
