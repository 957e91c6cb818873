package hugeheap

/*
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define HUGE_PAGE (2UL << 20)

// grow_malloc_top makes glibc's main arena hold at least size free bytes at its top, in its break
// (brk) mapping, starting at a huge page boundary, and keep them there: the break grows once now,
// instead of a little at a time as C code mallocs, and no free gives the memory back. It returns
// the break, or NULL.
static void *grow_malloc_top(size_t size)
{
	// Below the mmap threshold, so that blocks come from the break; never over the trim
	// threshold, so that a free keeps the break where it is.
	if (!mallopt(M_MMAP_THRESHOLD, (int)(2 * size)) || !mallopt(M_TRIM_THRESHOLD, (int)(4 * size)))
		return NULL;
	void *block = malloc(size + HUGE_PAGE);
	if (block == NULL)
		return NULL;
	free(block);
	// The top chunk, what malloc carves the next blocks from, ends at the break. A block that
	// reaches the next huge page boundary, kept for good and never touched, makes the blocks after
	// it start on a huge page of their own.
	uintptr_t top = (uintptr_t)sbrk(0) - mallinfo2().keepcost;
	uintptr_t boundary = (top + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (boundary - top > 64 && malloc(boundary - top - 32) == NULL)
		return NULL;
	return sbrk(0);
}
*/
import "C"

import "unsafe"

// MallocTop gives the C code of this process, glibc's malloc, size bytes of heap backed by huge
// pages: it grows malloc's heap (the break) by size at once, marks that mapping MADV_HUGEPAGE and
// folds what it already holds into huge pages, as init does for Go's heap. The container's init
// calls it: libseccomp, which compiles the container's seccomp filter there, mallocs some 700 KB,
// 150-odd page faults of 4 KiB otherwise. Like init, it is advice, and does nothing where the kernel
// refuses or the memory cgroup's limit is small.
func MallocTop(size int) {
	if !allowed {
		return
	}
	brk := uintptr(unsafe.Pointer(C.grow_malloc_top(C.size_t(size))))
	if brk == 0 {
		return
	}
	adviseMapping(brk - 1)
}
