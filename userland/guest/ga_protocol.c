// SPDX-License-Identifier: GPL-2.0
#include "ga_protocol.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *ga_resync(const char *line)
{
	const char *after = strrchr(line, GA_SENTINEL);

	return after ? after + 1 : line;
}

static char *answer_line(cJSON *answer, const cJSON *id)
{
	char *line = NULL;

	if (answer && (!id || cJSON_AddItemToObject(answer, "id", cJSON_Duplicate(id, true))))
		line = cJSON_PrintUnformatted(answer);
	cJSON_Delete(answer);
	return line;
}

char *ga_answer_error(const cJSON *id, const char *class, const char *fmt, ...)
{
	cJSON *answer = cJSON_CreateObject();
	cJSON *error = cJSON_AddObjectToObject(answer, "error");
	char desc[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (!error || !cJSON_AddStringToObject(error, "class", class) ||
	    !cJSON_AddStringToObject(error, "desc", desc)) {
		cJSON_Delete(answer);
		return NULL;
	}
	return answer_line(answer, id);
}

char *ga_answer_return(const struct ga_request *request, cJSON *value)
{
	cJSON *answer = cJSON_CreateObject();

	if (!value || !answer || !cJSON_AddItemToObject(answer, "return", value)) {
		cJSON_Delete(value);
		cJSON_Delete(answer);
		return NULL;
	}
	return answer_line(answer, request->id);
}

/* The members of a request as qemu-ga's dispatcher checks them. */
static const char *check_members(const cJSON *json)
{
	static char why[160];
	const cJSON *member;
	bool execute = false;

	cJSON_ArrayForEach(member, json) {
		if (!strcmp(member->string, "execute")) {
			if (!cJSON_IsString(member))
				return "QMP input member 'execute' must be a string";
			execute = true;
		} else if (!strcmp(member->string, "arguments")) {
			if (!cJSON_IsObject(member))
				return "QMP input member 'arguments' must be an object";
		} else if (strcmp(member->string, "id")) {
			snprintf(why, sizeof(why), "QMP input member '%.100s' is unexpected",
				 member->string);
			return why;
		}
	}
	return execute ? NULL : "QMP input lacks member 'execute'";
}

int ga_request_parse(const char *line, struct ga_request *request, char **answer)
{
	const char *why;

	memset(request, 0, sizeof(*request));
	request->json = cJSON_Parse(line);
	if (!request->json) {
		*answer = ga_answer_error(NULL, GA_GENERIC_ERROR, "JSON parse error, %s",
					  "invalid JSON");
		return -1;
	}
	if (!cJSON_IsObject(request->json)) {
		*answer = ga_answer_error(NULL, GA_GENERIC_ERROR, "QMP input must be a JSON object");
		ga_request_free(request);
		return -1;
	}
	request->id = cJSON_GetObjectItemCaseSensitive(request->json, "id");
	why = check_members(request->json);
	if (why) {
		*answer = ga_answer_error(request->id, GA_GENERIC_ERROR, "%s", why);
		ga_request_free(request);
		return -1;
	}
	request->execute = cJSON_GetObjectItemCaseSensitive(request->json, "execute")->valuestring;
	request->arguments = cJSON_GetObjectItemCaseSensitive(request->json, "arguments");
	return 0;
}

void ga_request_free(struct ga_request *request)
{
	cJSON_Delete(request->json);
	memset(request, 0, sizeof(*request));
}

int ga_arguments_only(const struct ga_request *request, const char *const *names,
		      char **answer)
{
	const cJSON *argument;
	size_t i;

	cJSON_ArrayForEach(argument, request->arguments) {
		for (i = 0; names[i] && strcmp(names[i], argument->string); i++)
			;
		if (!names[i]) {
			*answer = ga_answer_error(request->id, GA_GENERIC_ERROR,
						  "Parameter '%.100s' is unexpected",
						  argument->string);
			return -1;
		}
	}
	return 0;
}

static const cJSON *argument(const struct ga_request *request, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(request->arguments, name);
}

int ga_argument_int(const struct ga_request *request, const char *name, int64_t *value,
		    char **answer)
{
	const cJSON *item = argument(request, name);
	double number;

	if (!item) {
		*answer = ga_answer_error(request->id, GA_GENERIC_ERROR,
					  "Parameter '%s' is missing", name);
		return -1;
	}
	number = item->valuedouble;
	if (!cJSON_IsNumber(item) || number != floor(number) || number < -0x1p63 ||
	    number >= 0x1p63) {
		*answer = ga_answer_error(request->id, GA_GENERIC_ERROR,
					  "Invalid parameter type for '%s', expected: integer",
					  name);
		return -1;
	}
	*value = (int64_t)number;
	return 0;
}

int ga_argument_strings(const struct ga_request *request, const char *name,
			const cJSON **list, char **answer)
{
	const cJSON *item = argument(request, name), *element;
	int i = 0;

	*list = NULL;
	if (!item || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsArray(item)) {
		*answer = ga_answer_error(request->id, GA_GENERIC_ERROR,
					  "Invalid parameter type for '%s', expected: array", name);
		return -1;
	}
	cJSON_ArrayForEach(element, item) {
		if (!cJSON_IsString(element)) {
			*answer = ga_answer_error(request->id, GA_GENERIC_ERROR,
						  "Invalid parameter type for '%s[%d]', expected: string",
						  name, i);
			return -1;
		}
		i++;
	}
	*list = item;
	return 0;
}
