/* SPDX-License-Identifier: GPL-2.0 */
#ifndef SNAPFREEZE_GA_PROTOCOL_H
#define SNAPFREEZE_GA_PROTOCOL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The QEMU guest agent's protocol, one JSON object a line: a request
 * {"execute": NAME, "arguments": {...}, "id": ANY}, answered by
 * {"return": VALUE} or {"error": {"class": CLASS, "desc": TEXT}}, with the
 * request's "id" when it had one. The refusals say what qemu-ga says, in
 * its words and error classes.
 */
#define GA_SENTINEL 0xFF
/* The longest request, its newline included; a longer one is refused. */
#define GA_MAX_LINE (16 << 20)

#define GA_GENERIC_ERROR "GenericError"
#define GA_COMMAND_NOT_FOUND "CommandNotFound"

struct ga_request {
	cJSON *json;			/* the whole request, owned */
	const char *execute;
	const cJSON *arguments;		/* NULL: none given */
	const cJSON *id;		/* echoed in the answer; NULL: none */
};

/*
 * What is left of a line once a 0xFF byte resynchronised the stream:
 * the text after the last one (the client flushed what came before).
 */
const char *ga_resync(const char *line);
/* 0: a request (free it with ga_request_free()); -1: *answer is the refusal. */
int ga_request_parse(const char *line, struct ga_request *request, char **answer);
void ga_request_free(struct ga_request *request);

/* Answer lines, without their newline; NULL only when out of memory. */
char *ga_answer_return(const struct ga_request *request, cJSON *value);
char *ga_answer_error(const cJSON *id, const char *class, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * The arguments' checks, as qemu-ga's visitor makes them: each of the
 * request's arguments must be one of names (NULL-terminated); 0, or -1
 * with *answer the refusal.
 */
int ga_arguments_only(const struct ga_request *request, const char *const *names,
		      char **answer);
/* An integer argument (guest-sync's id); required. */
int ga_argument_int(const struct ga_request *request, const char *name, int64_t *value,
		    char **answer);
/* An optional list of strings: *list NULL when absent. */
int ga_argument_strings(const struct ga_request *request, const char *name,
			const cJSON **list, char **answer);

#endif
