// The ptrace stub's code page.
//
// These bytes are copied into one page mapped above the application address
// range (see stub.cc); the copy must be position independent and use no stack
// and no memory other than its own page. Execution starts at
// bulwark_ptrace_stub_begin in a freshly forked stub process that is already
// traced by its parent (PTRACE_TRACEME), with %r12 = the number of bytes
// right above its page to keep (the host vDSO moved there, vdso.h; 0 for
// none). The stub:
//   1. unmaps everything but its own page and those bytes: [0, page) and
//      [page + 4096 + %r12, 0x7ffffffff000) (TASK_SIZE on amd64 4-level
//      paging), which removes the sentry's code, heap and stack;
//   2. stops itself with kill(getpid(), SIGSTOP) so the tracer can take over;
//   3. loops over `syscall; int3`: the tracer injects a syscall by setting the
//      registers with rip = bulwark_ptrace_stub_syscall and continuing; the
//      int3 right after reports completion with a SIGTRAP stop.
// On a failed munmap the stub exits with the errno as exit status.
//
// Two more entry points, reached only by setting rip from the tracer:
//   bulwark_ptrace_stub_park: `pause` forever. A thread no sentry thread
//      traces waits here (ptrace is detached); a tracer claims it with
//      PTRACE_SEIZE + PTRACE_INTERRUPT, which interrupts the pause.
//   bulwark_ptrace_stub_clone: the tracer sets rax = SYS_clone and the clone
//      arguments; the new thread (rax == 0) goes straight to the park loop,
//      the caller reports its tid (rax) with an int3.

#define SYS_munmap 11
#define SYS_pause 34
#define SYS_getpid 39
#define SYS_kill 62
#define SYS_exit_group 231
#define SIGSTOP 19
#define kPageSize 4096
#define kTaskSize 0x7ffffffff000

  .text
  .p2align 4
  .globl bulwark_ptrace_stub_begin
  .hidden bulwark_ptrace_stub_begin
  .globl bulwark_ptrace_stub_syscall
  .hidden bulwark_ptrace_stub_syscall
  .globl bulwark_ptrace_stub_park
  .hidden bulwark_ptrace_stub_park
  .globl bulwark_ptrace_stub_clone
  .hidden bulwark_ptrace_stub_clone
  .globl bulwark_ptrace_stub_clone_trap
  .hidden bulwark_ptrace_stub_clone_trap
  .globl bulwark_ptrace_stub_end
  .hidden bulwark_ptrace_stub_end
// The address after each `syscall` instruction: what seccomp reports as
// the instruction pointer of that call (stub_seccomp.cc allows each call
// only at its own address).
  .globl bulwark_ptrace_stub_ip_munmap_low
  .hidden bulwark_ptrace_stub_ip_munmap_low
  .globl bulwark_ptrace_stub_ip_munmap_high
  .hidden bulwark_ptrace_stub_ip_munmap_high
  .globl bulwark_ptrace_stub_ip_getpid
  .hidden bulwark_ptrace_stub_ip_getpid
  .globl bulwark_ptrace_stub_ip_kill
  .hidden bulwark_ptrace_stub_ip_kill
  .globl bulwark_ptrace_stub_ip_inject
  .hidden bulwark_ptrace_stub_ip_inject
  .globl bulwark_ptrace_stub_ip_pause
  .hidden bulwark_ptrace_stub_ip_pause
  .globl bulwark_ptrace_stub_ip_clone
  .hidden bulwark_ptrace_stub_ip_clone
  .globl bulwark_ptrace_stub_ip_exit
  .hidden bulwark_ptrace_stub_ip_exit

bulwark_ptrace_stub_begin:
.Lbegin:
  lea .Lbegin(%rip), %rbx          // the page (the copy starts at a page boundary)

  mov $SYS_munmap, %eax            // munmap(0, page)
  xor %edi, %edi
  mov %rbx, %rsi
  syscall
bulwark_ptrace_stub_ip_munmap_low:
  test %rax, %rax
  jnz .Lfail

  lea kPageSize(%rbx), %rdi        // munmap(page + 4096 + r12, kTaskSize - that)
  add %r12, %rdi
  mov $kTaskSize, %rsi
  sub %rdi, %rsi
  mov $SYS_munmap, %eax
  syscall
bulwark_ptrace_stub_ip_munmap_high:
  test %rax, %rax
  jnz .Lfail

  mov $SYS_getpid, %eax            // kill(getpid(), SIGSTOP)
  syscall
bulwark_ptrace_stub_ip_getpid:
  mov %eax, %edi
  mov $SIGSTOP, %esi
  mov $SYS_kill, %eax
  syscall
bulwark_ptrace_stub_ip_kill:

bulwark_ptrace_stub_syscall:       // injection point
.Linject:
  syscall
bulwark_ptrace_stub_ip_inject:
  int3
  jmp .Linject

bulwark_ptrace_stub_park:          // park loop (untraced threads)
.Lpark:
  mov $SYS_pause, %eax
  syscall
bulwark_ptrace_stub_ip_pause:
  jmp .Lpark

bulwark_ptrace_stub_clone:         // clone injection point
  syscall
bulwark_ptrace_stub_ip_clone:
  test %rax, %rax
  jz .Lpark                        // the new thread
  int3                             // the caller: rax = new tid or -errno
bulwark_ptrace_stub_clone_trap:
  jmp .Lpark

.Lfail:
  mov %eax, %edi
  neg %edi                         // exit status = errno
  mov $SYS_exit_group, %eax
  syscall
bulwark_ptrace_stub_ip_exit:
  ud2
bulwark_ptrace_stub_end:

  .section .note.GNU-stack, "", @progbits
