/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_TEST_FAKE_MODULE_H
#define SNAPFREEZE_TEST_FAKE_MODULE_H

#include <linux/netlink.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * A fake snapfreeze module speaks on a NETLINK_USERSOCK socket: any
 * process may bind one, and a client pointed at its port talks to it as to
 * the kernel's family. Its socket and port; asserts they exist.
 */
static inline int fake_module_socket(uint32_t *port)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_USERSOCK);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	*port = addr.nl_pid;
	return fd;
}

/* From the fake's child: a message it cannot send ends the child. */
static inline void fake_module_send(int fd, const struct nlmsghdr *nlh, uint32_t port)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_pid = port };

	if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		_exit(3);
}

#endif
