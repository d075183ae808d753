/*
 * vfork.c - vfork, wrapped so the library knows when it runs in a vfork
 * child (which shares the parent's memory: no malloc, locks or table
 * changes there) without a system call on every close.
 *
 * Like glibc's own vfork, the return address is popped into a register
 * before the system call (the child will reuse the stack) and pushed back
 * after it.  A thread-local flag is set around the call; the parent clears
 * it when it resumes.  Before it, open files' offsets move into the kernel
 * (share.c), so a program the child execs shares them with us.  Children made by clone(CLONE_VFORK) directly are
 * caught by fsi_in_vfork_slow's pid check instead.
 */
#include <sys/syscall.h>

#include "fsi.h"

__thread int fsi_vforked __attribute__((tls_model("initial-exec")));

/* errno for a failed vfork; the return address is already back in place. */
__attribute__((used)) static long fsi_vfork_fail(long ret)
{
	errno = (int)-ret;
	return -1;
}

__asm__(".text\n"
	".globl vfork\n"
	".type vfork,@function\n"
	"vfork:\n"
	"	subq $8, %rsp\n"               /* offsets into the kernel first */
	"	call fsi_vfork_prepare\n"
	"	addq $8, %rsp\n"
	"	movq fsi_vforked@gottpoff(%rip), %rcx\n"
	"	movl $1, %fs:(%rcx)\n"
	"	popq %rdi\n"
	"	movl $" FSI_STR(SYS_vfork) ", %eax\n"
	"	syscall\n"
	"	pushq %rdi\n"
	"	testq %rax, %rax\n"
	"	jz 1f\n"
	"	movq fsi_vforked@gottpoff(%rip), %rcx\n"
	"	movl $0, %fs:(%rcx)\n"
	"	cmpq $-4095, %rax\n"
	"	jae 2f\n"
	"1:	ret\n"
	"2:	movq %rax, %rdi\n"
	"	jmp fsi_vfork_fail\n"
	".size vfork, .-vfork\n");

int fsi_in_vfork_slow(struct fsi_ctx *c)
{
	return fsi_vforked || (pid_t)syscall(SYS_getpid) != atomic_load(&c->pid);
}
