// The ptrace stub's code page.
//
// These bytes are copied into one page mapped above the application address
// range (see stub.cc); the copy must be position independent and use no stack
// and no memory other than its own page. Execution starts at
// bulwark_ptrace_stub_begin in a freshly forked stub process that is already
// traced by its parent (PTRACE_TRACEME). The stub:
//   1. unmaps everything but its own page: [0, page) and
//      [page + 4096, 0x7ffffffff000) (TASK_SIZE on amd64 4-level paging),
//      which removes the sentry's code, heap, stack, vDSO and vvar;
//   2. stops itself with kill(getpid(), SIGSTOP) so the tracer can take over;
//   3. loops over `syscall; int3`: the tracer injects a syscall by setting the
//      registers with rip = bulwark_ptrace_stub_syscall and continuing; the
//      int3 right after reports completion with a SIGTRAP stop.
// On a failed munmap the stub exits with the errno as exit status.

#define SYS_munmap 11
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
  .globl bulwark_ptrace_stub_end
  .hidden bulwark_ptrace_stub_end

bulwark_ptrace_stub_begin:
.Lbegin:
  lea .Lbegin(%rip), %rbx          // the page (the copy starts at a page boundary)

  mov $SYS_munmap, %eax            // munmap(0, page)
  xor %edi, %edi
  mov %rbx, %rsi
  syscall
  test %rax, %rax
  jnz .Lfail

  lea kPageSize(%rbx), %rdi        // munmap(page + 4096, kTaskSize - that)
  mov $kTaskSize, %rsi
  sub %rdi, %rsi
  mov $SYS_munmap, %eax
  syscall
  test %rax, %rax
  jnz .Lfail

  mov $SYS_getpid, %eax            // kill(getpid(), SIGSTOP)
  syscall
  mov %eax, %edi
  mov $SIGSTOP, %esi
  mov $SYS_kill, %eax
  syscall

bulwark_ptrace_stub_syscall:       // injection point
.Linject:
  syscall
  int3
  jmp .Linject

.Lfail:
  mov %eax, %edi
  neg %edi                         // exit status = errno
  mov $SYS_exit_group, %eax
  syscall
  ud2
bulwark_ptrace_stub_end:

  .section .note.GNU-stack, "", @progbits
