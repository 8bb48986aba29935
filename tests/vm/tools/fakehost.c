// SPDX-License-Identifier: GPL-2.0
/*
 * fakehost GUEST_SOCKET [QMP_SOCKET]: the host side of the guest channel in
 * the VM tests, connecting to QEMU's socket.
 * fakehost --listen SOCKET [MODE]: the same, serving connections on SOCKET
 * one after the other (a host reached with unix:SOCKET), starting each in
 * MODE; SOCKET "vsock:PORT" listens on that vsock port of every CID (a
 * host reached with vsock:1:PORT through the guest's vsock loopback). It
 * says "fakehost: listening" once connections can come.
 *
 * It answers snapshot requests the way the last line
 * {"type": "test-mode", "mode": M} of the connection asked:
 *   ok       a successful answer (the default)
 *   error    ok: false, error "test-refused"
 *   garbage  a line that is not JSON
 *   silence  no answer at all
 *   late     a successful answer, 3 s late
 * It takes no snapshot; QMP_SOCKET is accepted for the harness and ignored.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/vm_sockets.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TRIES 300	/* 30 s: QEMU creates the socket as it starts */

static int connect_guest(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int tries, fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	strcpy(addr.sun_path, path);
	for (tries = 0; tries < CONNECT_TRIES; tries++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
			return fd;
		close(fd);
		nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	}
	return -1;
}

static void answer(FILE *out, const char *mode, const char *id)
{
	if (!strcmp(mode, "silence"))
		return;
	if (!strcmp(mode, "garbage")) {
		fprintf(out, "this is not an answer\n");
	} else if (!strcmp(mode, "error")) {
		fprintf(out, "{\"type\":\"result\",\"version\":1,\"id\":\"%s\",\"ok\":false,"
			"\"error\":\"test-refused\",\"message\":\"refused by the test host\"}\n",
			id);
	} else {
		if (!strcmp(mode, "late"))
			sleep(3);
		fprintf(out, "{\"type\":\"result\",\"version\":1,\"id\":\"%s\",\"ok\":true,"
			"\"snapshot\":\"fake-%s\"}\n", id, id);
	}
	fflush(out);
}

static int listen_vsock(unsigned int port)
{
	struct sockaddr_vm addr = {
		.svm_family = AF_VSOCK,
		.svm_cid = VMADDR_CID_ANY,
		.svm_port = port,
	};
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 4))
		return -1;
	return fd;
}

static int listen_guests(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	unsigned int port;
	int fd;

	if (sscanf(path, "vsock:%u", &port) == 1)
		return listen_vsock(port);
	if (strlen(path) >= sizeof(addr.sun_path))
		return -1;
	strcpy(addr.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, 4))
		return -1;
	return fd;
}

static void serve(int fd, const char *first_mode)
{
	char mode[16], *line = NULL;
	size_t size = 0;
	FILE *in = fdopen(fd, "r"), *out = fdopen(dup(fd), "w");

	if (!in || !out)
		exit(1);
	snprintf(mode, sizeof(mode), "%s", first_mode);
	while (getline(&line, &size, in) > 0) {
		cJSON *json = cJSON_Parse(line);
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(json, "type");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(json, "id");
		const cJSON *new_mode = cJSON_GetObjectItemCaseSensitive(json, "mode");

		printf("fakehost: mode %s: %s", mode, line);
		fflush(stdout);
		if (cJSON_IsString(type) && !strcmp(type->valuestring, "test-mode") &&
		    cJSON_IsString(new_mode))
			snprintf(mode, sizeof(mode), "%s", new_mode->valuestring);
		else if (cJSON_IsString(type) && !strcmp(type->valuestring, "snapshot") &&
			 cJSON_IsString(id))
			answer(out, mode, id->valuestring);
		cJSON_Delete(json);
	}
	printf("fakehost: the guest channel closed\n");
	free(line);
	fclose(in);
	fclose(out);
}

int main(int argc, char **argv)
{
	bool listening = argc >= 3 && !strcmp(argv[1], "--listen");
	const char *first_mode = listening && argc == 4 ? argv[3] : "ok";
	const char *path = argv[listening ? 2 : 1];
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: fakehost GUEST_SOCKET [QMP_SOCKET] | --listen SOCKET [MODE]\n");
		return 2;
	}
	fd = listening ? listen_guests(path) : connect_guest(path);
	if (fd < 0) {
		fprintf(stderr, "fakehost: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!listening) {
		serve(fd, first_mode);
		return 0;
	}
	printf("fakehost: listening\n");
	fflush(stdout);
	for (;;) {
		int guest = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (guest >= 0)
			serve(guest, first_mode);
	}
}
