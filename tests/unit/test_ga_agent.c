// SPDX-License-Identifier: GPL-2.0
/*
 * snapfreeze agent: the guest agent's protocol (sync, the 0xFF resync,
 * refusals in qemu-ga's words), its freeze state machine against a fake
 * module on NETLINK_USERSOCK, its hooks, and the commands passed on to a
 * fake qemu-ga.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/snapfreeze.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake_module.h"
#include "fork_fake.h"
#include "ga_agent.h"
#include "ga_protocol.h"
#include "tempdir.h"

#define FAMILY 0x20
#define MOUNTINFO SF_FIXTURES "/mountinfo-debian-vm.txt"
/* What the fixture's mountinfo has frozen: every local filesystem. */
#define N_FROZEN 6

/* The fake module: answers FREEZE and THAW with session 1, KEEPALIVE with "ended". */
struct fake {
	int fd;
	uint32_t port;
	pid_t child;
	int answered;		/* a byte for each request answered */
};

static void put_attr(struct nlmsghdr *nlh, uint16_t type, const void *data, size_t len)
{
	struct nlattr *attr = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	attr->nla_type = type;
	attr->nla_len = NLA_HDRLEN + len;
	memcpy((char *)attr + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(attr->nla_len);
}

static void answer(int fd, const struct nlmsghdr *request)
{
	const struct genlmsghdr *asked = NLMSG_DATA(request);
	union {
		struct nlmsghdr nlh;
		char bytes[512];
	} reply = { 0 };
	struct genlmsghdr *genl = NLMSG_DATA(&reply.nlh);
	struct nlmsgerr *ack = NLMSG_DATA(&reply.nlh);
	uint64_t id = 1;
	uint32_t state = SNAPFREEZE_STATE_FROZEN;
	int error = 0;

	if (asked->cmd == SNAPFREEZE_CMD_KEEPALIVE) {
		error = -ENOENT;
	} else {
		reply.nlh = (struct nlmsghdr){ .nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN),
					       .nlmsg_type = FAMILY,
					       .nlmsg_seq = request->nlmsg_seq,
					       .nlmsg_pid = request->nlmsg_pid };
		genl->cmd = asked->cmd;
		genl->version = SNAPFREEZE_GENL_VERSION;
		if (asked->cmd == SNAPFREEZE_CMD_THAW)
			state = SNAPFREEZE_STATE_THAWED;
		put_attr(&reply.nlh, SNAPFREEZE_A_SESSION_ID, &id, sizeof(id));
		put_attr(&reply.nlh, SNAPFREEZE_A_STATE, &state, sizeof(state));
		fake_module_send(fd, &reply.nlh, request->nlmsg_pid);
	}
	memset(&reply, 0, sizeof(reply));
	reply.nlh = (struct nlmsghdr){ .nlmsg_len = NLMSG_LENGTH(sizeof(*ack)),
				       .nlmsg_type = NLMSG_ERROR,
				       .nlmsg_seq = request->nlmsg_seq,
				       .nlmsg_pid = request->nlmsg_pid };
	ack->error = error;
	ack->msg = *request;
	fake_module_send(fd, &reply.nlh, request->nlmsg_pid);
}

static struct fake fake_start(void)
{
	struct fake fake;
	int answered[2];

	fake.fd = fake_module_socket(&fake.port);
	assert_int_equal(pipe2(answered, O_CLOEXEC | O_NONBLOCK), 0);
	fake.child = fork_fake();
	assert_true(fake.child >= 0);
	if (!fake.child) {
		union {
			struct nlmsghdr nlh;
			char bytes[65536];
		} request;

		while (recv(fake.fd, &request, sizeof(request), 0) >= (ssize_t)NLMSG_HDRLEN) {
			if (request.nlh.nlmsg_type != FAMILY)
				continue;
			answer(fake.fd, &request.nlh);
			if (write(answered[1], "", 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(answered[1]);
	fake.answered = answered[0];
	return fake;
}

/* How many requests it answered. */
static int fake_stop(struct fake *fake)
{
	char bytes[64];
	ssize_t count;

	kill(fake->child, SIGKILL);
	assert_int_equal(waitpid(fake->child, NULL, 0), fake->child);
	close(fake->fd);
	count = read(fake->answered, bytes, sizeof(bytes));
	close(fake->answered);
	return count < 0 ? 0 : (int)count;
}

static struct fake module;

/* The agent's module: a freezer on a socket whose requests go to the fake. */
static struct sf_freezer *open_fake(void *arg, struct sf_error *err)
{
	const struct fake *fake = arg;
	struct nl_sock *sock = nl_socket_alloc();

	(void)err;
	assert_non_null(sock);
	assert_int_equal(nl_connect(sock, NETLINK_USERSOCK), 0);
	nl_socket_set_peer_port(sock, fake->port);
	return sf_freezer_open_on(sf_nl_open_on(sock, FAMILY));
}

/* A hook that notes each call in DIR/hook.log, and exits with DIR/hook.status if any. */
static const char *hook_path(void)
{
	static char path[256], text[1024];

	snprintf(text, sizeof(text),
		 "#!/bin/sh\necho \"$1\" >> %s/hook.log\n"
		 "[ -f %s/hook.status ] && exit $(cat %s/hook.status)\nexit 0\n", dir, dir, dir);
	snprintf(path, sizeof(path), "%s", tempdir_write("fsfreeze-hook", text, 0755));
	return path;
}

static const char *hook_log(void)
{
	char path[256];
	const char *text;

	snprintf(path, sizeof(path), "%s/hook.log", dir);
	text = tempdir_read(path);
	unlink(path);
	return text ? text : "";
}

static struct ga_agent agent_new(uint32_t keepalive_ms, const char *hook)
{
	struct ga_freeze_config config = {
		.mountinfo = MOUNTINFO,
		.timeout_ms = 60000,
		.keepalive_ms = keepalive_ms,
		.hook = { .path = hook, .timeout_ms = 5000 },
		.open_freezer = open_fake,
		.open_arg = &module,
	};
	struct ga_agent agent = { .freeze = ga_freeze_new(&config) };

	assert_non_null(agent.freeze);
	return agent;
}

static void agent_free(struct ga_agent *agent)
{
	ga_freeze_free(agent->freeze);
	ga_agent_release_notes(agent);
	ga_upstream_stop(agent->upstream);
}

/* The answer to line, which must come from here, checked against expected. */
static void expect(struct ga_agent *agent, const char *line, const char *expected)
{
	bool delimited;
	char *answer = ga_agent_handle(agent, line, &delimited);

	assert_non_null(answer);
	assert_string_equal(answer, expected);
	assert_false(delimited);
	free(answer);
}

static void sync_and_ping(void **state)
{
	struct ga_agent agent = agent_new(0, NULL);
	bool delimited;
	char *answer;

	(void)state;
	expect(&agent, "{\"execute\": \"guest-sync\", \"arguments\": {\"id\": 1764625110123}}",
	       "{\"return\":1764625110123}");
	expect(&agent, "{\"execute\": \"guest-ping\", \"id\": \"a\"}", "{\"return\":{},\"id\":\"a\"}");
	answer = ga_agent_handle(&agent, "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":7}}",
				 &delimited);
	assert_string_equal(answer, "{\"return\":7}");
	assert_true(delimited);
	free(answer);
	/* What a 0xFF cut off is dropped; a lone 0xFF is answered by nothing. */
	expect(&agent, "{\"execute\": \"gue\xff{\"execute\":\"guest-sync\",\"arguments\":{\"id\":8}}",
	       "{\"return\":8}");
	assert_null(ga_agent_handle(&agent, "\xff", &delimited));
	agent_free(&agent);
}

static void refusals_in_qemu_gas_words(void **state)
{
	struct ga_agent agent = agent_new(0, NULL);

	(void)state;
	expect(&agent, "{\"execute\": ", "{\"error\":{\"class\":\"GenericError\","
	       "\"desc\":\"JSON parse error, invalid JSON\"}}");
	expect(&agent, "[1]", "{\"error\":{\"class\":\"GenericError\","
	       "\"desc\":\"QMP input must be a JSON object\"}}");
	expect(&agent, "{\"arguments\": {}}", "{\"error\":{\"class\":\"GenericError\","
	       "\"desc\":\"QMP input lacks member 'execute'\"}}");
	expect(&agent, "{\"execute\": \"guest-ping\", \"x\": 1}", "{\"error\":{\"class\":\"GenericError\","
	       "\"desc\":\"QMP input member 'x' is unexpected\"}}");
	expect(&agent, "{\"execute\": \"guest-sync\"}", "{\"error\":{\"class\":\"GenericError\","
	       "\"desc\":\"Parameter 'id' is missing\"}}");
	expect(&agent, "{\"execute\": \"guest-sync\", \"arguments\": {\"id\": \"x\"}}",
	       "{\"error\":{\"class\":\"GenericError\","
	       "\"desc\":\"Invalid parameter type for 'id', expected: integer\"}}");
	expect(&agent, "{\"execute\": \"guest-ping\", \"arguments\": {\"y\": 1}}",
	       "{\"error\":{\"class\":\"GenericError\",\"desc\":\"Parameter 'y' is unexpected\"}}");
	expect(&agent, "{\"execute\": \"guest-exec\", \"id\": 3}",
	       "{\"error\":{\"class\":\"CommandNotFound\","
	       "\"desc\":\"The command guest-exec has not been found\"},\"id\":3}");
	agent_free(&agent);
}

/* Requests written by a child into a pipe, answers collected from another. */
static char *serve_input(struct ga_agent *agent, const char *const *chunks, size_t n)
{
	static char answers[65536];
	int in[2], out[2];
	struct sf_error err;
	pid_t writer;
	ssize_t len;
	size_t i;

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC | O_NONBLOCK), 0);
	writer = fork_fake();
	assert_true(writer >= 0);
	if (!writer) {
		for (i = 0; i < n; i++) {
			const char *chunk = chunks[i];
			size_t left = strlen(chunk);

			while (left) {
				ssize_t done = write(in[1], chunk, left);

				if (done <= 0)
					_exit(1);
				chunk += done;
				left -= done;
			}
		}
		_exit(0);
	}
	close(in[1]);
	fcntl(in[0], F_SETFL, O_NONBLOCK);
	assert_int_equal(ga_agent_serve(agent, in[0], out[1], false, -1, &err), 0);
	close(in[0]);
	close(out[1]);
	len = read(out[0], answers, sizeof(answers) - 1);
	close(out[0]);
	waitpid(writer, NULL, 0);
	answers[len > 0 ? len : 0] = '\0';
	return answers;
}

static void served_lines_resync_and_bounds(void **state)
{
	struct ga_agent agent = agent_new(0, NULL);
	char *huge = malloc(GA_MAX_LINE + 2);
	const char *chunks[] = {
		"{\"execute\": \"guest-sync\", \"argu",		/* cut off by the resync */
		"\xff{\"execute\": \"guest-sync-delimited\", \"arguments\": {\"id\": 42}}\n",
		huge,
		"\n{\"execute\": \"guest-ping\"}\n",
	};
	char *answers;

	(void)state;
	assert_non_null(huge);
	memset(huge, ' ', GA_MAX_LINE + 1);
	huge[GA_MAX_LINE + 1] = '\0';
	answers = serve_input(&agent, chunks, 4);
	assert_string_equal(answers,
			    "\xff{\"return\":42}\n"
			    "{\"error\":{\"class\":\"GenericError\",\"desc\":\"JSON parse error, "
			    "a request longer than 16777216 bytes\"}}\n"
			    "{\"return\":{}}\n");
	free(huge);
	agent_free(&agent);
}

static const char *status_of(struct ga_agent *agent)
{
	static char text[64];
	bool delimited;
	char *answer = ga_agent_handle(agent, "{\"execute\": \"guest-fsfreeze-status\"}",
				       &delimited);

	assert_non_null(answer);
	snprintf(text, sizeof(text), "%s", answer);
	free(answer);
	return text;
}

static void freeze_thaw_and_status(void **state)
{
	struct ga_agent agent;

	(void)state;
	module = fake_start();
	agent = agent_new(0, hook_path());
	assert_string_equal(status_of(&agent), "{\"return\":\"thawed\"}");
	expect(&agent, "{\"execute\": \"guest-fsfreeze-freeze\"}", "{\"return\":6}");
	assert_string_equal(hook_log(), "freeze\n");
	assert_string_equal(status_of(&agent), "{\"return\":\"frozen\"}");
	/* While frozen: what qemu-ga disables is refused, the rest runs. */
	expect(&agent, "{\"execute\": \"guest-fsfreeze-freeze\"}",
	       "{\"error\":{\"class\":\"GenericError\",\"desc\":\"The command "
	       "guest-fsfreeze-freeze has been disabled for this instance\"}}");
	expect(&agent, "{\"execute\": \"guest-ping\"}", "{\"return\":{}}");
	expect(&agent, "{\"execute\": \"guest-fsfreeze-thaw\"}", "{\"return\":6}");
	assert_string_equal(hook_log(), "thaw\n");
	assert_string_equal(status_of(&agent), "{\"return\":\"thawed\"}");
	/* Thawed already: nothing thawed, the hook told all the same, as qemu-ga does. */
	expect(&agent, "{\"execute\": \"guest-fsfreeze-thaw\"}", "{\"return\":0}");
	assert_string_equal(hook_log(), "thaw\n");
	/* A list: only its mounts that a snapshot freezes; the others ignored. */
	expect(&agent, "{\"execute\": \"guest-fsfreeze-freeze-list\", \"arguments\": "
	       "{\"mountpoints\": [\"/\", \"/srv\", \"/proc\", \"/nowhere\"]}}", "{\"return\":2}");
	expect(&agent, "{\"execute\": \"guest-fsfreeze-thaw\"}", "{\"return\":2}");
	expect(&agent, "{\"execute\": \"guest-fsfreeze-freeze-list\", \"arguments\": "
	       "{\"mountpoints\": [\"/nowhere\"]}}", "{\"return\":0}");
	assert_string_equal(status_of(&agent), "{\"return\":\"thawed\"}");
	expect(&agent, "{\"execute\": \"guest-fsfreeze-freeze-list\", \"arguments\": "
	       "{\"mountpoints\": [1]}}", "{\"error\":{\"class\":\"GenericError\",\"desc\":"
	       "\"Invalid parameter type for 'mountpoints[0]', expected: string\"}}");
	assert_string_equal(hook_log(), "freeze\nthaw\nfreeze\n");
	agent_free(&agent);
	/* Two freezes and two thaws reached the module; nothing else. */
	assert_int_equal(fake_stop(&module), 4);
}

static void failed_hook_freezes_nothing(void **state)
{
	struct ga_agent agent;

	(void)state;
	module = fake_start();
	agent = agent_new(0, hook_path());
	assert_non_null(tempdir_write("hook.status", "3\n", 0644));
	expect(&agent, "{\"execute\": \"guest-fsfreeze-freeze\"}",
	       "{\"error\":{\"class\":\"GenericError\",\"desc\":"
	       "\"fsfreeze hook has failed with status 3\"}}");
	assert_string_equal(status_of(&agent), "{\"return\":\"thawed\"}");
	/* As qemu-ga: a failed freeze hook ends the freeze there, no thaw hook. */
	assert_string_equal(hook_log(), "freeze\n");
	unlink(tempdir_write("hook.status", "", 0644));
	agent_free(&agent);
	assert_int_equal(fake_stop(&module), 0);
}

/* Without the hook itself, the scripts of its .d folder run, in order, skipping leftovers. */
static void hook_folder_runs_without_the_hook(void **state)
{
	char folder[256], text[512];
	struct ga_hook hook;
	struct sf_error err;

	(void)state;
	snprintf(folder, sizeof(folder), "%s/absent-hook.d", dir);
	assert_int_equal(mkdir(folder, 0755), 0);
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"b $1\" >> %s/hook.log\n", dir);
	assert_non_null(tempdir_write("absent-hook.d/20-b", text, 0755));
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"a $1\" >> %s/hook.log\nexit 4\n", dir);
	assert_non_null(tempdir_write("absent-hook.d/10-a", text, 0755));
	snprintf(text, sizeof(text), "#!/bin/sh\necho \"old $1\" >> %s/hook.log\n", dir);
	assert_non_null(tempdir_write("absent-hook.d/30-c.dpkg-old", text, 0755));
	assert_non_null(tempdir_write("absent-hook.d/40-notes", "not a script\n", 0644));
	snprintf(folder, sizeof(folder), "%s/absent-hook", dir);
	hook = (struct ga_hook){ .path = folder, .timeout_ms = 5000 };
	assert_int_equal(ga_hook_run(&hook, "thaw", &err), -1);
	assert_string_equal(err.msg, "fsfreeze hook has failed with status 4");
	assert_string_equal(hook_log(), "a thaw\nb thaw\n");
}

/* The kernel ends the session (here: a keepalive refused): status thawed, the thaw hook run. */
static void watchdog_thaw_is_seen(void **state)
{
	struct ga_agent agent;
	struct sf_error why;
	int fd;

	(void)state;
	module = fake_start();
	agent = agent_new(30, hook_path());
	expect(&agent, "{\"execute\": \"guest-fsfreeze-freeze\"}", "{\"return\":6}");
	assert_string_equal(hook_log(), "freeze\n");
	fd = ga_freeze_lost_fd(agent.freeze);
	assert_true(fd >= 0);
	ga_freeze_alive(agent.freeze);
	assert_int_equal(poll(&(struct pollfd){ .fd = fd, .events = POLLIN }, 1, 5000), 1);
	assert_int_equal(ga_freeze_check(agent.freeze, &why), 1);
	assert_int_equal(why.exit_code, SF_EXIT_FREEZE_LOST);
	assert_string_equal(status_of(&agent), "{\"return\":\"thawed\"}");
	assert_string_equal(hook_log(), "thaw\n");
	agent_free(&agent);
	assert_true(fake_stop(&module) >= 2);	/* the freeze, the keepalive refused */
}

/* The fake qemu-ga: guest-info lists guest-exec, which it answers; one client. */
static pid_t fake_qemu_ga(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t child;

	assert_true(listener >= 0);
	assert_true(strlen(path) < sizeof(addr.sun_path));
	memcpy(addr.sun_path, path, strlen(path) + 1);
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(listener, 1), 0);
	child = fork_fake();
	assert_true(child >= 0);
	if (!child) {
		int fd = accept(listener, NULL, NULL);
		FILE *in = fdopen(fd, "r");
		char line[4096];

		while (in && fgets(line, sizeof(line), in)) {
			const char *answer = strstr(line, "guest-info") ?
				"{\"return\": {\"version\": \"7.2.0\", \"supported_commands\": ["
				"{\"enabled\": true, \"name\": \"guest-exec\", \"success-response\": true},"
				"{\"enabled\": true, \"name\": \"guest-fsfreeze-thaw\", \"success-response\": true}]}}\n" :
				strstr(line, "guest-exec") ? "{\"return\": {\"pid\": 7}, \"id\": 5}\n" :
				"{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"x\"}}\n";

			if (write(fd, answer, strlen(answer)) < 0)
				_exit(1);
		}
		_exit(0);
	}
	close(listener);
	return child;
}

static void passed_on_to_qemu_ga(void **state)
{
	char path[256], *line;
	struct ga_agent agent;
	struct sf_error err;
	bool delimited;
	char *answer;
	pid_t child;

	(void)state;
	snprintf(path, sizeof(path), "%s/qga.sock", dir);
	child = fake_qemu_ga(path);
	module = fake_start();
	agent = agent_new(0, NULL);
	agent.upstream = ga_upstream_connect(path, &err);
	assert_non_null(agent.upstream);
	assert_null(ga_agent_handle(&agent, "{\"execute\": \"guest-exec\", \"id\": 5}", &delimited));
	assert_int_equal(poll(&(struct pollfd){ .fd = ga_upstream_fd(agent.upstream),
						.events = POLLIN }, 1, 5000), 1);
	assert_int_equal(ga_upstream_answer(agent.upstream, &line), SF_LINE_OK);
	assert_string_equal(line, "{\"return\": {\"pid\": 7}, \"id\": 5}");
	/* guest-info: ours, then qemu-ga's others, disabled while frozen as qemu-ga has them. */
	expect(&agent, "{\"execute\": \"guest-fsfreeze-freeze\"}", "{\"return\":6}");
	answer = ga_agent_handle(&agent, "{\"execute\": \"guest-info\"}", &delimited);
	assert_non_null(strstr(answer, "{\"enabled\":true,\"name\":\"guest-fsfreeze-thaw\","
				       "\"success-response\":true},{\"enabled\":false,"
				       "\"name\":\"guest-exec\",\"success-response\":true}]"));
	assert_null(strstr(strstr(answer, "guest-exec"), "guest-fsfreeze-thaw"));
	free(answer);
	expect(&agent, "{\"execute\": \"guest-exec\"}",
	       "{\"error\":{\"class\":\"GenericError\",\"desc\":\"The command guest-exec "
	       "has been disabled for this instance\"}}");
	expect(&agent, "{\"execute\": \"guest-nothing\"}",
	       "{\"error\":{\"class\":\"CommandNotFound\","
	       "\"desc\":\"The command guest-nothing has not been found\"}}");
	agent_free(&agent);
	fake_stop(&module);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sync_and_ping),
		cmocka_unit_test(refusals_in_qemu_gas_words),
		cmocka_unit_test(served_lines_resync_and_bounds),
		cmocka_unit_test(freeze_thaw_and_status),
		cmocka_unit_test(failed_hook_freezes_nothing),
		cmocka_unit_test(hook_folder_runs_without_the_hook),
		cmocka_unit_test(watchdog_thaw_is_seen),
		cmocka_unit_test(passed_on_to_qemu_ga),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("guest agent", tests, tempdir_setup, tempdir_teardown);
}
