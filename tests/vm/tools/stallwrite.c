// SPDX-License-Identifier: GPL-2.0
/*
 * stallwrite: a write that stays in flight, for the VM tests.
 *
 *   stallwrite FILE
 *	writes one page to FILE from a buffer whose page userfaultfd has not
 *	filled: the write waits on that page inside the filesystem's write
 *	protection (sb_start_write()), so a freeze of FILE's filesystem can
 *	block new writes but not finish the ones in flight. Prints "in
 *	flight" once the write waits on the page; on SIGTERM fills it, and
 *	exits 0 once the write has written the whole page.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct stalled_write {
	int fd;
	void *page;
	size_t size;
	ssize_t written;
	int error;
};

static int fail(const char *what)
{
	fprintf(stderr, "stallwrite: %s: %s\n", what, strerror(errno));
	return 1;
}

static void *write_page(void *arg)
{
	struct stalled_write *w = arg;

	w->written = pwrite(w->fd, w->page, w->size, 0);
	w->error = w->written < 0 ? errno : 0;
	return NULL;
}

/* A userfaultfd that the missing page of [page, page + size) waits on. */
static int register_missing(void *page, size_t size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)page, .len = size },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC);

	if (uffd < 0)
		return -1;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		close(uffd);
		return -1;
	}
	return uffd;
}

/* Returns once the write waits on its page: its fault is reported. */
static int wait_for_fault(int uffd)
{
	struct uffd_msg msg;
	ssize_t got;

	do
		got = read(uffd, &msg, sizeof(msg));
	while (got < 0 && errno == EINTR);
	if (got != sizeof(msg))
		return -1;
	if (msg.event != UFFD_EVENT_PAGEFAULT) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

static int fill_page(int uffd, void *page, size_t size)
{
	struct uffdio_zeropage zero = {
		.range = { .start = (uintptr_t)page, .len = size },
	};

	return ioctl(uffd, UFFDIO_ZEROPAGE, &zero);
}

int main(int argc, char **argv)
{
	struct stalled_write w = { .size = (size_t)sysconf(_SC_PAGESIZE) };
	pthread_t writer;
	sigset_t term;
	int uffd, sig;

	if (argc != 2) {
		fprintf(stderr, "usage: stallwrite FILE\n");
		return 2;
	}
	/* SIGTERM waits for sigwait(), in every thread. */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &term, NULL))
		return fail("pthread_sigmask");
	w.fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (w.fd < 0)
		return fail(argv[1]);
	w.page = mmap(NULL, w.size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w.page == MAP_FAILED)
		return fail("mmap");
	uffd = register_missing(w.page, w.size);
	if (uffd < 0)
		return fail("userfaultfd");
	errno = pthread_create(&writer, NULL, write_page, &w);
	if (errno)
		return fail("pthread_create");
	if (wait_for_fault(uffd))
		return fail("the write's page fault");
	printf("in flight\n");
	fflush(stdout);
	if (sigwait(&term, &sig))
		return fail("sigwait");
	if (fill_page(uffd, w.page, w.size))
		return fail("UFFDIO_ZEROPAGE");
	errno = pthread_join(writer, NULL);
	if (errno)
		return fail("pthread_join");
	if (w.written < 0) {
		errno = w.error;
		return fail(argv[1]);
	}
	if (w.written != (ssize_t)w.size) {
		fprintf(stderr, "stallwrite: %s: wrote %zd bytes of %zu\n",
			argv[1], w.written, w.size);
		return 1;
	}
	return close(w.fd) ? fail(argv[1]) : 0;
}
