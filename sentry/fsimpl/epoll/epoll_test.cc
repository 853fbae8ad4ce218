// epoll, eventfd, timerfd and signalfd through their syscalls, plus the
// wait-queue callback entries they rest on.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <thread>

#include "sentry/kernel/signal_ops.h"
#include "sentry/kernel/wait_queue.h"
#include "sentry/vfs/syscall_fixture.h"

namespace bulwark::syscalls {
namespace {

using testing::FileSyscallsTest;

TEST(WaitQueueEntry, CallbacksAndUnlinking) {
  std::vector<uint32_t> seen;
  auto q = std::make_unique<kernel::WaitQueue>();
  kernel::WaitQueue::Entry a([&](uint32_t e) { seen.push_back(e); });
  auto b = std::make_unique<kernel::WaitQueue::Entry>();
  // b removes itself and a later-added entry c is not called this round.
  kernel::WaitQueue::Entry c([&](uint32_t e) { seen.push_back(100 + e); });
  b->set_callback([&](uint32_t) {
    b.reset();
    q->AddEntry(&c);
  });
  q->AddEntry(&a, POLLIN);
  q->AddEntry(b.get());
  q->Notify(POLLOUT);  // a filtered out; b runs and goes
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(b, nullptr);
  q->Notify(POLLIN);
  EXPECT_EQ(seen, (std::vector<uint32_t>{POLLIN, 100 + POLLIN}));
  q.reset();  // unlinks a and c
  EXPECT_FALSE(a.attached());
  EXPECT_FALSE(c.attached());
}

class EpollTest : public FileSyscallsTest {
 protected:
  std::pair<int, int> MakePipe() {
    UserPtr<int> fds{Buf(8).addr};
    EXPECT_TRUE(sys_pipe2(*t_, fds, O_NONBLOCK));
    int p[2];
    EXPECT_TRUE(t_->CopyInBytes(fds.addr, p, sizeof(p)));
    return {p[0], p[1]};
  }
  template <typename T>
  T Load(uint64_t addr) {
    T v{};
    EXPECT_TRUE(t_->CopyInBytes(addr, &v, sizeof(v)));
    return v;
  }
  SysResult<void> Ctl(int ep, int op, int fd, uint32_t events, uint64_t data = 0) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = data;
    return sys_epoll_ctl(*t_, ep, op, fd, UserPtr<epoll_event>{Put(&ev, sizeof(ev))});
  }
  // epoll_wait with a 0 timeout: the events reported.
  std::vector<epoll_event> Wait(int ep, int max = 8, int timeout = 0) {
    auto buf = Buf(max * sizeof(epoll_event));
    auto r = sys_epoll_wait(*t_, ep, UserPtr<epoll_event>{buf.addr}, max, timeout);
    EXPECT_TRUE(r.has_value()) << ErrnoName(r.error());
    std::vector<epoll_event> out(r ? *r : 0);
    if (!out.empty()) EXPECT_TRUE(t_->CopyInBytes(buf.addr, out.data(), out.size() * 12));
    return out;
  }
};

TEST_F(EpollTest, LevelEdgeOneshot) {
  std::lock_guard lock(kernel_->mu);
  int ep = *sys_epoll_create1(*t_, 0);
  auto [r1, w1] = MakePipe();
  auto [r2, w2] = MakePipe();
  auto [r3, w3] = MakePipe();
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_ADD, r1, EPOLLIN, 1));
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_ADD, r2, EPOLLIN | EPOLLET, 2));
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_ADD, r3, EPOLLIN | EPOLLONESHOT, 3));
  EXPECT_EQ(Error(Ctl(ep, EPOLL_CTL_ADD, r1, EPOLLIN)), Errno::kEEXIST);
  EXPECT_TRUE(Wait(ep).empty());
  Write(w1, "a");
  Write(w2, "b");
  Write(w3, "c");
  EXPECT_EQ(Wait(ep).size(), 3u);
  auto again = Wait(ep);  // only the level-triggered one
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].data.u64, 1u);
  EXPECT_EQ(again[0].events, uint32_t{EPOLLIN});
  Write(w2, "b");  // a new edge
  Write(w3, "c");  // one-shot is disabled
  EXPECT_EQ(Wait(ep).size(), 2u);
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_MOD, r3, EPOLLIN | EPOLLONESHOT, 33));
  auto re = Wait(ep);
  ASSERT_EQ(re.size(), 2u);  // r1 (still readable) and the re-armed r3
  Read(r1, 10);
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_DEL, r3, 0));
  EXPECT_EQ(Error(Ctl(ep, EPOLL_CTL_DEL, r3, 0)), Errno::kENOENT);
  EXPECT_TRUE(Wait(ep).empty());
  // maxevents limits and the rest stay ready.
  Write(w1, "a");
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_MOD, r2, EPOLLIN, 2));
  EXPECT_EQ(Wait(ep, 1).size(), 1u);
  EXPECT_EQ(Wait(ep, 8).size(), 2u);
  // Closing the last fd of a file drops its interest.
  ASSERT_TRUE(sys_close(*t_, GuestFd{r1}));
  EXPECT_EQ(Wait(ep).size(), 1u);
  // Hang-up is reported without asking.
  ASSERT_TRUE(sys_close(*t_, GuestFd{w2}));
  auto hup = Wait(ep);
  ASSERT_EQ(hup.size(), 1u);
  EXPECT_EQ(hup[0].events, uint32_t{EPOLLIN | EPOLLHUP});
}

TEST_F(EpollTest, Errors) {
  std::lock_guard lock(kernel_->mu);
  EXPECT_EQ(Error(sys_epoll_create(*t_, 0)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_epoll_create1(*t_, 1)), Errno::kEINVAL);
  int ep = *sys_epoll_create(*t_, 1);
  EXPECT_EQ(Error(Ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN)), Errno::kEINVAL);
  int file = *sys_openat(*t_, GuestFd{AT_FDCWD}, Str("/f"), O_CREAT | O_RDWR, 0600);
  EXPECT_EQ(Error(Ctl(ep, EPOLL_CTL_ADD, file, EPOLLIN)), Errno::kEPERM);
  EXPECT_EQ(Error(Ctl(file, EPOLL_CTL_ADD, ep, EPOLLIN)), Errno::kEINVAL);
  auto [r, w] = MakePipe();
  EXPECT_EQ(Error(Ctl(ep, EPOLL_CTL_MOD, r, EPOLLIN)), Errno::kENOENT);
  EXPECT_EQ(Error(Ctl(ep, 99, r, EPOLLIN)), Errno::kEINVAL);
  EXPECT_EQ(Error(Ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT)),
            Errno::kEINVAL);
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN | EPOLLEXCLUSIVE));
  EXPECT_EQ(Error(Ctl(ep, EPOLL_CTL_MOD, r, EPOLLIN)), Errno::kEINVAL);
  auto buf = Buf(12);
  EXPECT_EQ(Error(sys_epoll_wait(*t_, ep, UserPtr<epoll_event>{buf.addr}, 0, 0)), Errno::kEINVAL);
  EXPECT_EQ(Error(sys_epoll_wait(*t_, r, UserPtr<epoll_event>{buf.addr}, 1, 0)), Errno::kEINVAL);
}

TEST_F(EpollTest, NestedAndLoops) {
  std::lock_guard lock(kernel_->mu);
  int outer = *sys_epoll_create1(*t_, 0);
  int inner = *sys_epoll_create1(*t_, 0);
  auto [r, w] = MakePipe();
  ASSERT_TRUE(Ctl(inner, EPOLL_CTL_ADD, r, EPOLLIN, 7));
  ASSERT_TRUE(Ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 9));
  EXPECT_EQ(Error(Ctl(inner, EPOLL_CTL_ADD, outer, EPOLLIN)), Errno::kELOOP);
  EXPECT_TRUE(Wait(outer).empty());
  Write(w, "x");
  auto ev = Wait(outer);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].data.u64, 9u);
  pollfd pf{inner, POLLIN, 0};
  UserPtr<pollfd> upf{Put(&pf, sizeof(pf))};
  EXPECT_EQ(*sys_poll(*t_, upf, 1, 0), 1);
  // A chain deeper than 4 epolls is ELOOP.
  int prev = outer;
  Errno last{};
  for (int i = 0; i < 6; ++i) {
    int e = *sys_epoll_create1(*t_, 0);
    auto res = Ctl(e, EPOLL_CTL_ADD, prev, EPOLLIN);
    if (!res) {
      last = res.error();
      break;
    }
    prev = e;
  }
  EXPECT_EQ(last, Errno::kELOOP);
}

TEST_F(EpollTest, WaitBlocksUntilWritten) {
  int ep, w;
  {
    std::lock_guard lock(kernel_->mu);
    ep = *sys_epoll_create1(*t_, 0);
    auto p = MakePipe();
    w = p.second;
    ASSERT_TRUE(Ctl(ep, EPOLL_CTL_ADD, p.first, EPOLLIN, 5));
  }
  auto t2 = NewTask(2);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    std::lock_guard lock(kernel_->mu);
    auto data = Put("z", 1);
    EXPECT_TRUE(sys_write(*t2, GuestFd{w}, UserPtr<uint8_t>{data}, 1));
  });
  {
    std::lock_guard lock(kernel_->mu);
    auto ev = Wait(ep, 4, 5000);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].data.u64, 5u);
  }
  writer.join();
  std::lock_guard lock(kernel_->mu);
  EXPECT_TRUE(Wait(ep, 4, 20).size() == 1u);  // level-triggered, still readable
}

TEST_F(EpollTest, Eventfd) {
  std::lock_guard lock(kernel_->mu);
  EXPECT_EQ(Error(sys_eventfd2(*t_, 0, 0x1234)), Errno::kEINVAL);
  int fd = *sys_eventfd2(*t_, 3, EFD_NONBLOCK | EFD_SEMAPHORE);
  int ep = *sys_epoll_create1(*t_, 0);
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLOUT | EPOLLET, 1));
  auto ev = Wait(ep);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].events, uint32_t{EPOLLIN | EPOLLOUT});
  auto buf = Buf(8);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(*sys_read(*t_, GuestFd{fd}, buf, 8), 8u);
    EXPECT_EQ(Load<uint64_t>(buf.addr), 1u);
  }
  EXPECT_EQ(Error(sys_read(*t_, GuestFd{fd}, buf, 8)), Errno::kEAGAIN);
  EXPECT_EQ(Error(sys_read(*t_, GuestFd{fd}, buf, 7)), Errno::kEINVAL);
  uint64_t big = 0xfffffffffffffffeull;
  auto ub = UserPtr<uint8_t>{Put(&big, 8)};
  ASSERT_EQ(*sys_write(*t_, GuestFd{fd}, ub, 8), 8u);
  uint64_t one = 1;
  EXPECT_EQ(Error(sys_write(*t_, GuestFd{fd}, UserPtr<uint8_t>{Put(&one, 8)}, 8)),
            Errno::kEAGAIN);
  uint64_t max = ~0ull;
  EXPECT_EQ(Error(sys_write(*t_, GuestFd{fd}, UserPtr<uint8_t>{Put(&max, 8)}, 8)),
            Errno::kEINVAL);
  ev = Wait(ep);  // a new edge: readable, not writable
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].events, uint32_t{EPOLLIN});
}

TEST_F(EpollTest, TimerfdFires) {
  int fd;
  {
    std::lock_guard lock(kernel_->mu);
    EXPECT_EQ(Error(sys_timerfd_create(*t_, 77, 0)), Errno::kEINVAL);
    fd = *sys_timerfd_create(*t_, CLOCK_MONOTONIC, TFD_NONBLOCK);
    itimerspec its{{0, 10000000}, {0, 10000000}};  // 10 ms, periodic
    ASSERT_TRUE(sys_timerfd_settime(*t_, fd, 0, UserPtr<itimerspec>{Put(&its, sizeof(its))},
                                    UserPtr<itimerspec>{0}));
    EXPECT_EQ(Error(sys_read(*t_, GuestFd{fd}, Buf(8), 8)), Errno::kEAGAIN);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(55));
  std::lock_guard lock(kernel_->mu);
  auto buf = Buf(8);
  ASSERT_EQ(*sys_read(*t_, GuestFd{fd}, buf, 8), 8u);
  uint64_t n = Load<uint64_t>(buf.addr);
  EXPECT_GE(n, 3u);
  EXPECT_LE(n, 6u);
  auto cur = Buf(sizeof(itimerspec));
  ASSERT_TRUE(sys_timerfd_gettime(*t_, fd, UserPtr<itimerspec>{cur.addr}));
  auto its = Load<itimerspec>(cur.addr);
  EXPECT_EQ(its.it_interval.tv_nsec, 10000000);
  EXPECT_GT(its.it_value.tv_nsec, 0);
  ASSERT_TRUE(sys_close(*t_, GuestFd{fd}));  // disarms: nothing fires on a dead file
}

TEST_F(EpollTest, SignalfdReadsPending) {
  std::lock_guard lock(kernel_->mu);
  kernel::SigSet mask = kernel::SigBit(SIGUSR1);
  auto um = UserPtr<kernel::SigSet>{Put(&mask, 8)};
  EXPECT_EQ(Error(sys_signalfd4(*t_, -1, um, 4, 0)), Errno::kEINVAL);
  int fd = *sys_signalfd4(*t_, -1, um, 8, SFD_NONBLOCK);
  int ep = *sys_epoll_create1(*t_, 0);
  ASSERT_TRUE(Ctl(ep, EPOLL_CTL_ADD, fd, EPOLLIN, 4));
  EXPECT_TRUE(Wait(ep).empty());
  t_->sigmask = mask;
  siginfo_t info = kernel::MakeSigInfo(SIGUSR1, SI_QUEUE, 42, 0);
  info.si_int = 808;
  // The task is pid 1: init keeps a handler-less signal only while its
  // thread blocks it, so the thread must be listed in its group.
  t_->tg().tasks.push_back(t_.get());
  kernel::SendGroupSignal(t_->tg(), info, kernel::SignalSource::kOutside);
  t_->tg().tasks.clear();
  EXPECT_EQ(Wait(ep).size(), 1u);
  auto buf = Buf(2 * sizeof(signalfd_siginfo));
  EXPECT_EQ(Error(sys_read(*t_, GuestFd{fd}, buf, 100)), Errno::kEINVAL);
  ASSERT_EQ(*sys_read(*t_, GuestFd{fd}, buf, 2 * sizeof(signalfd_siginfo)),
            sizeof(signalfd_siginfo));
  auto si = Load<signalfd_siginfo>(buf.addr);
  EXPECT_EQ(si.ssi_signo, uint32_t{SIGUSR1});
  EXPECT_EQ(si.ssi_code, SI_QUEUE);
  EXPECT_EQ(si.ssi_pid, 42u);
  EXPECT_EQ(si.ssi_int, 808);
  EXPECT_EQ(Error(sys_read(*t_, GuestFd{fd}, buf, sizeof(signalfd_siginfo))), Errno::kEAGAIN);
  EXPECT_TRUE(Wait(ep).empty());
}

}  // namespace
}  // namespace bulwark::syscalls
