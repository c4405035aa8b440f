/* C tests of include/logrocket_identify.h against the static library: every conformance vector
 * end to end against the in-process emulator, NULL and invalid UTF-8 at every kind of export,
 * field-by-field requests, bulk reports (request objects and JSON Lines), error kinds, 8
 * threads sharing one client, calls ended by an lr_cancel, and bulk runs fed in pieces.
 * Usage: test_ffi <tests/vectors directory> */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logrocket_identify.h"
#include "json.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                        \
    do {                                                                        \
        checks++;                                                               \
        if (!(cond)) {                                                          \
            failures++;                                                         \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stderr, __VA_ARGS__);                                       \
            fputc('\n', stderr);                                                \
        }                                                                       \
    } while (0)

static bool same(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static bool starts_with(const char *text, const char *prefix) {
    return text && strncmp(text, prefix, strlen(prefix)) == 0;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) { free(text); text = NULL; }
    if (text) text[n] = 0;
    fclose(f);
    return text;
}

static lr_client *client_for(const lr_emulator *emu, const char *org, const char *app) {
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_error *error = NULL;
    if (lr_config_new(false, &config, NULL) != LR_OK) return NULL;
    lr_config_set_api_key(config, lr_emulator_api_key(emu), NULL);
    lr_config_set_org_id(config, org, NULL);
    lr_config_set_app_id(config, app, NULL);
    lr_config_set_base_url(config, lr_emulator_url(emu), NULL);
    lr_config_set_max_retries(config, 0, NULL);
    if (lr_client_new(config, &client, &error) != LR_OK)
        fprintf(stderr, "client: %s\n", lr_error_message(error));
    lr_error_free(error);
    lr_config_free(config);
    return client;
}

/* Sends one vector input through the JSON convenience, exactly as written in the file. */
static lr_status identify_input(const lr_client *client, const jvalue *input, lr_user **user,
                                lr_error **error) {
    char *json = json_source(input);
    lr_request *request = NULL;
    lr_status status = lr_request_from_json(NULL, json, &request, error);
    if (status == LR_OK) status = lr_client_identify(client, request, user, error);
    lr_request_free(request);
    free(json);
    return status;
}

/* Sends one vector input as the only line of lr_client_identify_many_json. The input's source
 * may span lines; JSON allows no raw line break inside a string, so each one is whitespace and
 * becomes a space. On failure, *error is a copy of the line's error for the caller to read. */
static lr_status identify_input_in_bulk(const lr_client *client, const jvalue *input,
                                        lr_report **report, char *why, size_t n) {
    char *line = json_source(input);
    for (char *c = line; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    lr_error *error = NULL;
    lr_status status = lr_client_identify_many_json(client, line, strlen(line), LR_CLIENT_CONCURRENCY, report, &error);
    free(line);
    if (status != LR_OK) {
        snprintf(why, n, "bulk call failed: %s", lr_error_message(error));
        lr_error_free(error);
        return status;
    }
    if (lr_report_total(*report) != 1 ||
        lr_report_succeeded(*report) + lr_report_failure_count(*report) != 1) {
        snprintf(why, n, "report of %llu inputs for one line", (unsigned long long)lr_report_total(*report));
        return LR_ERR_PANIC;
    }
    if (lr_report_failure_count(*report) == 1 && lr_report_failure_index(*report, 0) != 0) {
        snprintf(why, n, "failure at index %llu", (unsigned long long)lr_report_failure_index(*report, 0));
        return LR_ERR_PANIC;
    }
    return LR_OK;
}

/* An expected error of a vector: the kind, the bare message (lr_error_api_message) and the field
 * exactly, and, when the vector gives it, the whole text (lr_error_message) exactly too. */
static int texts_compared = 0;

static bool error_matches(const lr_error *error, const jvalue *want, char *why, size_t n) {
    const char *text = json_string(want, "text");
    if (text) texts_compared++;
    if (same(lr_error_kind(error), json_string(want, "kind")) &&
        same(lr_error_api_message(error), json_string(want, "message")) &&
        same(lr_error_field(error), json_string(want, "field")) &&
        (!text || same(lr_error_message(error), text)))
        return true;
    snprintf(why, n, "got %s / %s / %s / text \"%s\"", lr_error_kind(error), lr_error_api_message(error),
             lr_error_field(error), lr_error_message(error));
    return false;
}

/* The vector's case again, its input sent through the JSON Lines bulk call: the same error (kind,
 * message, field), or the same request on the wire. */
static bool run_case_in_bulk(const lr_emulator *emu, const lr_client *client, const jvalue *c,
                             char *why, size_t n) {
    lr_emulator_reset(emu, NULL);
    const jvalue *setup = json_get(c, "setup");
    for (size_t i = 0; setup && i < setup->count; i++) {
        lr_user *user = NULL;
        lr_error *error = NULL;
        lr_status status = identify_input(client, setup->items[i], &user, &error);
        if (status != LR_OK) snprintf(why, n, "setup %zu: %s", i, lr_error_message(error));
        lr_user_free(user);
        lr_error_free(error);
        if (status != LR_OK) return false;
    }
    size_t before = lr_emulator_request_count(emu);
    lr_report *report = NULL;
    if (identify_input_in_bulk(client, json_get(c, "input"), &report, why, n) != LR_OK) {
        lr_report_free(report);
        return false;
    }
    const jvalue *expect = json_get(c, "expect");
    const jvalue *want_error = json_get(expect, "error");
    const lr_error *error = lr_report_failure_error(report, 0);
    bool ok = true;
    if (want_error) {
        const jvalue *kind = json_get(want_error, "kind");
        if (!error) {
            snprintf(why, n, "succeeded, expected %s", json_string(want_error, "message"));
            ok = false;
        } else if (!error_matches(error, want_error, why, n)) {
            ok = false;
        } else if (same(kind->str, "validation") && lr_emulator_request_count(emu) != before) {
            snprintf(why, n, "a validation error sent a request");
            ok = false;
        }
    } else if (error) {
        snprintf(why, n, "failed: %s: %s (%s)", lr_error_kind(error), lr_error_message(error),
                 lr_error_field(error));
        ok = false;
    } else if (lr_emulator_request_count(emu) != before + 1) {
        snprintf(why, n, "%zu requests sent", lr_emulator_request_count(emu) - before);
        ok = false;
    } else {
        const jvalue *want = json_get(expect, "request");
        lr_recorded_request *sent = NULL;
        lr_emulator_request(emu, before, &sent, NULL);
        jvalue *body = json_parse(lr_recorded_request_body(sent));
        if (!same(lr_recorded_request_path(sent), json_get(want, "path")->str) ||
            !json_equal(body, json_get(want, "body"))) {
            snprintf(why, n, "sent %s %s", lr_recorded_request_path(sent), lr_recorded_request_body(sent));
            ok = false;
        }
        json_free(body);
        lr_recorded_request_free(sent);
    }
    lr_report_free(report);
    return ok;
}

static bool user_matches(const lr_user *user, const jvalue *expected, char *why, size_t n) {
    const jvalue *id = json_get(expected, "user_id"), *name = json_get(expected, "name"),
                 *email = json_get(expected, "email"), *traits = json_get(expected, "traits");
    if (!same(lr_user_id(user), id ? id->str : NULL)) {
        snprintf(why, n, "user_id %s", lr_user_id(user));
        return false;
    }
    if (!same(lr_user_name(user), name ? name->str : NULL)) {
        snprintf(why, n, "name %s", lr_user_name(user) ? lr_user_name(user) : "(none)");
        return false;
    }
    if (!same(lr_user_email(user), email ? email->str : NULL)) {
        snprintf(why, n, "email %s", lr_user_email(user) ? lr_user_email(user) : "(none)");
        return false;
    }
    size_t want = traits ? traits->count : 0;
    if (lr_user_trait_count(user) != want) {
        snprintf(why, n, "%zu traits, expected %zu: %s", lr_user_trait_count(user), want,
                 lr_user_json(user));
        return false;
    }
    for (size_t i = 0; i < want; i++) {
        const jvalue *value = json_get(traits, lr_user_trait_key(user, i));
        if (!value || value->type != J_STR || !same(value->str, lr_user_trait_value(user, i))) {
            snprintf(why, n, "trait %s = %s", lr_user_trait_key(user, i), lr_user_trait_value(user, i));
            return false;
        }
    }
    return true;
}

static bool run_case(const lr_emulator *emu, const lr_client *client, const jvalue *c,
                     char *why, size_t n) {
    lr_emulator_reset(emu, NULL);
    const jvalue *setup = json_get(c, "setup");
    for (size_t i = 0; setup && i < setup->count; i++) {
        lr_user *user = NULL;
        lr_error *error = NULL;
        lr_status status = identify_input(client, setup->items[i], &user, &error);
        if (status != LR_OK) snprintf(why, n, "setup %zu: %s", i, lr_error_message(error));
        lr_user_free(user);
        lr_error_free(error);
        if (status != LR_OK) return false;
    }
    size_t before = lr_emulator_request_count(emu);
    lr_user *user = NULL;
    lr_error *error = NULL;
    lr_status status = identify_input(client, json_get(c, "input"), &user, &error);
    const jvalue *expect = json_get(c, "expect");
    const jvalue *want_error = json_get(expect, "error");
    bool ok = true;
    if (want_error) {
        const jvalue *kind = json_get(want_error, "kind");
        if (status == LR_OK) {
            snprintf(why, n, "succeeded, expected %s", json_string(want_error, "message"));
            ok = false;
        } else if (!error_matches(error, want_error, why, n)) {
            ok = false;
        } else if ((int)status != (same(kind->str, "validation") ? LR_ERR_VALIDATION : (int)status)) {
            snprintf(why, n, "status %d for a validation error", (int)status);
            ok = false;
        } else if (same(kind->str, "validation") && lr_emulator_request_count(emu) != before) {
            snprintf(why, n, "a validation error sent a request");
            ok = false;
        }
    } else if (status != LR_OK) {
        snprintf(why, n, "failed: %s: %s (%s)", lr_error_kind(error), lr_error_message(error),
                 lr_error_field(error));
        ok = false;
    } else if (lr_emulator_request_count(emu) != before + 1) {
        snprintf(why, n, "%zu requests sent", lr_emulator_request_count(emu) - before);
        ok = false;
    } else {
        const jvalue *want = json_get(expect, "request");
        lr_recorded_request *sent = NULL;
        lr_emulator_request(emu, before, &sent, NULL);
        jvalue *body = json_parse(lr_recorded_request_body(sent));
        if (!same(lr_recorded_request_method(sent), json_get(want, "method")->str) ||
            !same(lr_recorded_request_path(sent), json_get(want, "path")->str)) {
            snprintf(why, n, "sent %s %s", lr_recorded_request_method(sent), lr_recorded_request_path(sent));
            ok = false;
        } else if (!json_equal(body, json_get(want, "body"))) {
            snprintf(why, n, "body %s", lr_recorded_request_body(sent));
            ok = false;
        } else {
            ok = user_matches(user, json_get(expect, "user"), why, n);
        }
        json_free(body);
        lr_recorded_request_free(sent);
    }
    lr_user_free(user);
    lr_error_free(error);
    return ok;
}

static void test_vectors(const lr_emulator *emu, const char *dir) {
    DIR *d = opendir(dir);
    CHECK(d != NULL, "cannot open %s", dir);
    if (!d) return;
    struct dirent *entry;
    int files = 0, cases = 0;
    while ((entry = readdir(d)) != NULL) {
        size_t len = strlen(entry->d_name);
        if (len < 5 || strcmp(entry->d_name + len - 5, ".json") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
        char *text = read_file(path);
        jvalue *doc = text ? json_parse(text) : NULL;
        CHECK(doc != NULL, "cannot read %s", path);
        if (doc) {
            files++;
            lr_client *client = client_for(emu, json_get(doc, "org_id")->str, json_get(doc, "app_id")->str);
            const jvalue *list = json_get(doc, "cases");
            for (size_t i = 0; list && i < list->count; i++) {
                char why[2048] = "";
                const char *name = json_get(list->items[i], "name")->str;
                bool ok = run_case(emu, client, list->items[i], why, sizeof why);
                cases++;
                CHECK(ok, "vector %s / %s: %s", entry->d_name, name, why);
                ok = run_case_in_bulk(emu, client, list->items[i], why, sizeof why);
                CHECK(ok, "vector %s / %s, as JSON Lines: %s", entry->d_name, name, why);
            }
            lr_client_free(client);
        }
        json_free(doc);
        free(text);
    }
    closedir(d);
    CHECK(files >= 9 && cases > 50, "only %d files, %d cases", files, cases);
    CHECK(texts_compared > 0, "no vector gave an error's whole text");
    printf("ok   vectors: %d cases from %d files, one by one and as JSON Lines (%d whole texts)\n", cases,
           files, texts_compared);
}

static void expect_invalid(lr_status status, lr_error *error, const char *field, int line) {
    checks++;
    /* An error only the C API has: no core text wraps it, so both texts are the same. */
    if (status != LR_ERR_INVALID_ARGUMENT || !same(lr_error_field(error), field) ||
        !same(lr_error_kind(error), "invalid_argument") || !lr_error_message(error) ||
        !same(lr_error_message(error), lr_error_api_message(error))) {
        failures++;
        fprintf(stderr, "FAIL line %d: status %d field %s, expected invalid argument %s\n", line,
                (int)status, lr_error_field(error), field);
    }
    lr_error_free(error);
}
#define EXPECT_INVALID(call, field)                 \
    do {                                            \
        lr_error *e_ = NULL;                        \
        lr_status s_ = (call);                      \
        (void)s_;                                   \
        expect_invalid(s_, e_, field, __LINE__);    \
    } while (0)
/* User data that is not UTF-8: the validation error every binding gives, on the field holding it. */
static void expect_not_utf8(lr_status status, lr_error *error, const char *field, int line) {
    checks++;
    if (status != LR_ERR_VALIDATION || !same(lr_error_kind(error), "validation") ||
        !same(lr_error_field(error), field) || !same(lr_error_api_message(error), "Malformed request") ||
        !strstr(lr_error_detail(error) ? lr_error_detail(error) : "", "UTF-8")) {
        failures++;
        fprintf(stderr, "FAIL line %d: status %d field %s (%s), expected a validation error on %s\n", line,
                (int)status, lr_error_field(error), lr_error_message(error), field);
    }
    lr_error_free(error);
}
#define EXPECT_NOT_UTF8(call, field)                \
    do {                                            \
        lr_error *e_ = NULL;                        \
        lr_status s_ = (call);                      \
        expect_not_utf8(s_, e_, field, __LINE__);   \
    } while (0)
/* `E` is the error out pointer the macro's call uses. */
#define E (&e_)

static void test_null_and_invalid_utf8(const lr_emulator *emu) {
    static const char bad[] = {'a', (char)0xff, 'b', 0};
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_request *request = NULL;
    lr_user *user = NULL;
    lr_report *report = NULL;

    /* frees of NULL do nothing */
    lr_config_free(NULL); lr_client_free(NULL); lr_request_free(NULL); lr_user_free(NULL);
    lr_report_free(NULL); lr_error_free(NULL); lr_emulator_stop(NULL); lr_recorded_request_free(NULL);

    EXPECT_INVALID(lr_config_new(false, NULL, E), "out");
    CHECK(lr_config_new(false, &config, NULL) == LR_OK, "config");
    EXPECT_INVALID(lr_config_set_api_key(NULL, "k", E), "config");
    EXPECT_INVALID(lr_config_set_api_key(config, NULL, E), "api_key");
    EXPECT_INVALID(lr_config_set_api_key(config, bad, E), "api_key");
    EXPECT_INVALID(lr_config_set_app(config, bad, E), "app");
    EXPECT_INVALID(lr_config_set_org_id(config, NULL, E), "org_id");
    EXPECT_INVALID(lr_config_set_app_id(config, bad, E), "app_id");
    EXPECT_INVALID(lr_config_set_base_url(config, bad, E), "base_url");
    EXPECT_INVALID(lr_config_set_user_agent(config, NULL, E), "user_agent");
    EXPECT_INVALID(lr_config_set_timeout_ms(NULL, 5, E), "config");
    EXPECT_INVALID(lr_config_set_max_retries(NULL, 5, E), "config");
    EXPECT_INVALID(lr_config_set_concurrency(NULL, 5, E), "config");
    EXPECT_INVALID(lr_config_set_allow_insecure_http(NULL, true, E), "config");
    EXPECT_INVALID(lr_client_new(NULL, &client, E), "config");
    EXPECT_INVALID(lr_client_new(config, NULL, E), "out");
    CHECK(lr_config_set_max_retries(NULL, 1, NULL) == LR_ERR_INVALID_ARGUMENT, "status without error out");

    EXPECT_INVALID(lr_request_new(NULL, &request, E), "user_id");
    EXPECT_NOT_UTF8(lr_request_new(bad, &request, E), "user_id");
    CHECK(request == NULL, "no request on failure");
    EXPECT_INVALID(lr_request_new("u", NULL, E), "out");
    EXPECT_INVALID(lr_request_from_json(NULL, NULL, &request, E), "json");
    EXPECT_NOT_UTF8(lr_request_from_json(bad, "{}", &request, E), "user_id");
    EXPECT_NOT_UTF8(lr_request_from_json(NULL, "{\"user_id\": \"a\xff\"}", &request, E), "user_id");
    EXPECT_NOT_UTF8(lr_request_from_json(NULL, "{\"user_id\": \"u\", \"traits\": {\"a\": 1, \"b\": \"\xc0\x80\"}}", &request, E), "traits.b");
    EXPECT_NOT_UTF8(lr_request_from_json(NULL, "{\"user_id\": \"u\", \"unset\": [\"\xed\xa0\x80\"]}", &request, E), "traits");
    EXPECT_NOT_UTF8(lr_request_from_json(NULL, "{\"user_id\": \"u\", \"nmae\": \"\xff\"}", &request, E), "input");
    CHECK(lr_request_new("u", &request, NULL) == LR_OK, "request");
    EXPECT_INVALID(lr_request_set_name(NULL, "n", E), "request");
    EXPECT_NOT_UTF8(lr_request_set_name(request, bad, E), "name");
    EXPECT_INVALID(lr_request_set_email(request, NULL, E), "email");
    EXPECT_INVALID(lr_request_set_timestamp_ms(NULL, 1, E), "request");
    EXPECT_INVALID(lr_request_set_trait_string(request, NULL, "v", E), "key");
    EXPECT_NOT_UTF8(lr_request_set_trait_string(request, bad, "v", E), "traits");
    EXPECT_NOT_UTF8(lr_request_set_trait_string(request, "k", bad, E), "traits.k");
    EXPECT_INVALID(lr_request_set_trait_int(request, NULL, 1, E), "key");
    EXPECT_INVALID(lr_request_set_trait_uint(NULL, "k", 1, E), "request");
    EXPECT_NOT_UTF8(lr_request_set_trait_float(request, bad, 1.5, E), "traits");
    EXPECT_INVALID(lr_request_set_trait_bool(request, NULL, true, E), "key");
    EXPECT_NOT_UTF8(lr_request_unset(request, bad, E), "traits");

    lr_config_set_api_key(config, lr_emulator_api_key(emu), NULL);
    lr_config_set_app(config, "acme/web", NULL);
    lr_config_set_base_url(config, lr_emulator_url(emu), NULL);
    CHECK(lr_client_new(config, &client, NULL) == LR_OK, "client");
    EXPECT_INVALID(lr_client_identify(NULL, request, &user, E), "client");
    EXPECT_INVALID(lr_client_identify(client, NULL, &user, E), "request");
    EXPECT_INVALID(lr_client_identify(client, request, NULL, E), "user");
    CHECK(user == NULL, "no user on failure");
    const lr_request *with_null[2] = {request, NULL};
    EXPECT_INVALID(lr_client_identify_many(NULL, with_null, 1, LR_CLIENT_CONCURRENCY, &report, E), "client");
    EXPECT_INVALID(lr_client_identify_many(client, NULL, 3, LR_CLIENT_CONCURRENCY, &report, E), "requests");
    EXPECT_INVALID(lr_client_identify_many(client, with_null, 2, LR_CLIENT_CONCURRENCY, &report, E), "requests[1]");
    EXPECT_INVALID(lr_client_identify_many(client, with_null, 1, 0, NULL, E), "report");
    CHECK(lr_client_identify_many(client, NULL, 0, LR_CLIENT_CONCURRENCY, &report, NULL) == LR_OK, "empty bulk");
    CHECK(lr_report_total(report) == 0, "empty report");
    lr_report_free(report);
    report = NULL;
    static const char one_line[] = "{\"user_id\": \"u\"}\n";
    EXPECT_INVALID(lr_client_identify_many_json(NULL, one_line, sizeof one_line - 1, LR_CLIENT_CONCURRENCY, &report, E), "client");
    EXPECT_INVALID(lr_client_identify_many_json(client, NULL, 5, LR_CLIENT_CONCURRENCY, &report, E), "json_lines");
    EXPECT_INVALID(lr_client_identify_many_json(client, one_line, sizeof one_line - 1, 0, NULL, E), "report");
    CHECK(report == NULL, "no report on failure");
    CHECK(lr_client_identify_many_json(client, NULL, 0, LR_CLIENT_CONCURRENCY, &report, NULL) == LR_OK, "empty JSON Lines");
    CHECK(lr_report_total(report) == 0 && lr_report_failure_count(report) == 0, "empty JSON Lines report");
    lr_report_free(report);
    report = NULL;
    /* Invalid UTF-8 in one line: that line fails as an invalid argument, the others are sent. */
    static const char bad_line[] = "{\"user_id\": \"ok-1\"}\n{\"user_id\": \"a\xff\"}\n{\"user_id\": \"ok-2\"}";
    lr_error *error = NULL;
    CHECK(lr_client_identify_many_json(client, bad_line, sizeof bad_line - 1, LR_CLIENT_CONCURRENCY, &report, &error) == LR_OK,
          "bulk with a non-UTF-8 line: %s", lr_error_message(error));
    CHECK(lr_report_total(report) == 3 && lr_report_succeeded(report) == 2 && lr_report_failure_count(report) == 1,
          "non-UTF-8 counts");
    const lr_error *line_error = lr_report_failure_error(report, 0);
    CHECK(lr_report_failure_index(report, 0) == 1 && lr_error_status(line_error) == LR_ERR_INVALID_ARGUMENT &&
              same(lr_error_kind(line_error), "invalid_argument") && same(lr_error_field(line_error), "json_lines") &&
              strstr(lr_error_message(line_error), "UTF-8") != NULL,
          "non-UTF-8 line: %llu %s %s", (unsigned long long)lr_report_failure_index(report, 0),
          lr_error_field(line_error), lr_error_message(line_error));
    lr_report_free(report);
    report = NULL;

    EXPECT_INVALID(lr_emulator_start(bad, (lr_emulator **)&user, E), "api_key");
    EXPECT_INVALID(lr_emulator_reset(NULL, E), "emulator");
    EXPECT_INVALID(lr_emulator_request(emu, 1u << 30, (lr_recorded_request **)&user, E), "index");

    /* accessors given NULL give NULL or 0 */
    CHECK(lr_user_id(NULL) == NULL && lr_user_name(NULL) == NULL && lr_user_email(NULL) == NULL,
          "user accessors");
    CHECK(lr_user_trait_count(NULL) == 0 && lr_user_trait_key(NULL, 0) == NULL &&
              lr_user_trait_value(NULL, 0) == NULL && lr_user_json(NULL) == NULL, "trait accessors");
    CHECK(lr_error_message(NULL) == NULL && lr_error_api_message(NULL) == NULL && lr_error_kind(NULL) == NULL &&
              lr_error_field(NULL) == NULL &&
              lr_error_detail(NULL) == NULL && lr_error_http_status(NULL) == 0 && !lr_error_retryable(NULL),
          "error accessors");
    CHECK(lr_report_total(NULL) == 0 && lr_report_failure_count(NULL) == 0 &&
              lr_report_failure_user_id(NULL, 0) == NULL && lr_report_failure_error(NULL, 0) == NULL &&
              lr_report_failure_index(NULL, 0) == UINT64_MAX, "report accessors");
    CHECK(lr_emulator_url(NULL) == NULL && lr_emulator_request_count(NULL) == 0 &&
              lr_recorded_request_path(NULL) == NULL && lr_recorded_request_status(NULL) == 0,
          "emulator accessors");

    lr_request_free(request);
    lr_client_free(client);
    lr_config_free(config);
    printf("ok   NULL and invalid UTF-8\n");
}

static void test_field_by_field(const lr_emulator *emu) {
    lr_client *client = client_for(emu, "acme", "web");
    lr_request *request = NULL;
    lr_user *user = NULL;
    lr_error *error = NULL;
    lr_emulator_reset(emu, NULL);
    CHECK(lr_request_new("user 42/é", &request, NULL) == LR_OK, "new");
    lr_request_set_name(request, "John Smith", NULL);
    lr_request_set_email(request, "john@example.com", NULL);
    lr_request_set_timestamp_ms(request, 1700000000000, NULL);
    lr_request_set_trait_string(request, "plan", "pro", NULL);
    lr_request_set_trait_int(request, "age", 43, NULL);
    lr_request_set_trait_uint(request, "big", UINT64_MAX, NULL);
    lr_request_set_trait_float(request, "mrr", 99.5, NULL);
    lr_request_set_trait_bool(request, "vip", true, NULL);
    lr_request_unset(request, "old", NULL);
    lr_status status = lr_client_identify(client, request, &user, &error);
    CHECK(status == LR_OK, "identify: %s", lr_error_message(error));
    CHECK(same(lr_user_id(user), "user 42/é") && same(lr_user_name(user), "John Smith") &&
              same(lr_user_email(user), "john@example.com"), "user %s", lr_user_json(user));
    CHECK(lr_user_trait_count(user) == 5, "traits %s", lr_user_json(user));
    CHECK(same(lr_user_trait_key(user, 0), "age") && same(lr_user_trait_value(user, 0), "43"), "age");
    CHECK(same(lr_user_trait_value(user, 1), "18446744073709551615"), "big");
    CHECK(same(lr_user_trait_value(user, 2), "99.5") && same(lr_user_trait_value(user, 4), "true"), "values");
    CHECK(lr_user_trait_key(user, 5) == NULL, "out of range");
    lr_recorded_request *sent = NULL;
    lr_emulator_request(emu, 0, &sent, NULL);
    CHECK(same(lr_recorded_request_path(sent), "/v1/orgs/acme/apps/web/users/user%2042%2F%C3%A9"),
          "path %s", lr_recorded_request_path(sent));
    CHECK(lr_recorded_request_status(sent) == 200, "status");
    lr_recorded_request_free(sent);
    lr_user_free(user);
    user = NULL;

    /* NaN is accepted by the setter and refused, naming the trait, when sent */
    lr_request_set_trait_float(request, "score", 0.0 / 0.0, NULL);
    status = lr_client_identify(client, request, &user, &error);
    CHECK(status == LR_ERR_VALIDATION && same(lr_error_field(error), "traits.score") &&
              same(lr_error_api_message(error), "Malformed request") && lr_error_detail(error) != NULL,
          "NaN: %d %s", (int)status, lr_error_field(error));
    /* The whole text is the core's: kind, field, the API's message, then the detail. */
    char whole[256];
    snprintf(whole, sizeof whole, "invalid input: traits.score: Malformed request (%s)",
             lr_error_detail(error) ? lr_error_detail(error) : "");
    CHECK(same(lr_error_message(error), whole), "NaN text: %s", lr_error_message(error));
    CHECK(user == NULL, "no user");
    lr_error_free(error);

    /* the JSON convenience with a separate user id that wins over the body's */
    lr_request_free(request);
    request = NULL;
    CHECK(lr_request_from_json("from-arg", "{\"user_id\": \"ignored\", \"traits\": {\"n\": 1}}",
                               &request, NULL) == LR_OK, "from json");
    CHECK(lr_client_identify(client, request, &user, NULL) == LR_OK, "identify json");
    CHECK(same(lr_user_id(user), "from-arg") && same(lr_user_trait_value(user, 0), "1"), "%s",
          lr_user_json(user));
    lr_user_free(user);
    lr_request_free(request);
    request = NULL;
    /* ... also in JSON nested past serde_json's limit (a repeated key's last value counts) */
    char deep[1024] = "{\"user_id\": \"ignored\", \"traits\": {\"n\": ";
    for (int i = 0; i < 200; i++) strcat(deep, "[");
    for (int i = 0; i < 200; i++) strcat(deep, "]");
    strcat(deep, ", \"n\": 2}}");
    CHECK(lr_request_from_json("from-arg", deep, &request, NULL) == LR_OK, "from deep json");
    CHECK(lr_client_identify(client, request, &user, NULL) == LR_OK, "identify deep json");
    CHECK(same(lr_user_id(user), "from-arg") && same(lr_user_trait_value(user, 0), "2"), "%s",
          lr_user_json(user));
    lr_user_free(user);
    lr_request_free(request);
    request = NULL;
    /* a lone surrogate's escape is refused on the field holding it */
    status = lr_request_from_json("u", "{\"name\": \"\\ud800\"}", &request, &error);
    CHECK(status == LR_ERR_VALIDATION && same(lr_error_field(error), "name"), "lone surrogate");
    lr_error_free(error);
    status = lr_request_from_json(NULL, "{\"user_id\": \"u\", \"traits\": {\"k\": \"\\udc00\"}}", &request, &error);
    CHECK(status == LR_ERR_VALIDATION && same(lr_error_field(error), "traits.k"), "lone surrogate trait");
    lr_error_free(error);
    status = lr_request_from_json("u", "{\"trait\": {}}", &request, &error);
    CHECK(status == LR_ERR_VALIDATION && same(lr_error_field(error), "trait"), "unknown key");
    lr_error_free(error);
    status = lr_request_from_json(NULL, "not json", &request, &error);
    CHECK(status == LR_ERR_VALIDATION && same(lr_error_field(error), "input"), "bad json");
    lr_error_free(error);
    lr_client_free(client);
    printf("ok   field by field, JSON convenience\n");
}

static void test_error_kinds(const lr_emulator *emu) {
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_error *error = NULL;
    lr_config_new(false, &config, NULL);
    lr_status status = lr_client_new(config, &client, &error);
    CHECK(status == LR_ERR_CONFIG && client == NULL && strstr(lr_error_api_message(error), "API key") &&
              starts_with(lr_error_message(error), "configuration error: ") &&
              same(lr_error_message(error) + strlen("configuration error: "), lr_error_api_message(error)),
          "config: %d %s", (int)status, lr_error_message(error));
    lr_error_free(error);

    lr_config_set_api_key(config, "wrong", NULL);
    lr_config_set_app(config, "acme/web", NULL);
    lr_config_set_base_url(config, lr_emulator_url(emu), NULL);
    lr_config_set_max_retries(config, 0, NULL);
    lr_client_new(config, &client, NULL);
    lr_request *request = NULL;
    lr_user *user = NULL;
    lr_request_new("u1", &request, NULL);
    status = lr_client_identify(client, request, &user, &error);
    CHECK(status == LR_ERR_API && lr_error_http_status(error) == 401 && !lr_error_retryable(error) &&
              same(lr_error_kind(error), "api"), "api: %d %u", (int)status, lr_error_http_status(error));
    char api_text[256];
    snprintf(api_text, sizeof api_text, "LogRocket API error 401: %s", lr_error_api_message(error));
    CHECK(same(lr_error_message(error), api_text), "api text: %s", lr_error_message(error));
    CHECK(strstr(lr_error_message(error), "wrong") == NULL && strstr(lr_error_api_message(error), "wrong") == NULL,
          "key leaked: %s", lr_error_message(error));
    lr_error_free(error);
    lr_client_free(client);

    lr_config_set_base_url(config, "http://127.0.0.1:9", NULL);
    lr_config_set_timeout_ms(config, 2000, NULL);
    lr_client_new(config, &client, NULL);
    status = lr_client_identify(client, request, &user, &error);
    CHECK(status == LR_ERR_TRANSPORT && lr_error_retryable(error) && same(lr_error_transport_reason(error), "connect") &&
              starts_with(lr_error_message(error), "transport error (connect): "), "transport: %d %s", (int)status,
          lr_error_message(error));
    lr_error_free(error);
    lr_client_free(client);
    lr_request_free(request);
    lr_config_free(config);
    printf("ok   error kinds: config, api, transport\n");
}

static void test_bulk(const lr_emulator *emu) {
    enum { N = 200 };
    lr_client *client = client_for(emu, "acme", "web");
    lr_request *requests[N];
    lr_emulator_reset(emu, NULL);
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "bulk-%d", i);
        lr_request_new(i == 17 ? "" : id, &requests[i], NULL);
        lr_request_set_trait_int(requests[i], "n", i, NULL);
        if (i == 150) lr_request_set_trait_float(requests[i], "x", 1.0 / 0.0, NULL);
    }
    lr_report *report = NULL;
    lr_error *error = NULL;
    lr_status status = lr_client_identify_many(client, (const lr_request *const *)requests, N, 8, &report, &error);
    CHECK(status == LR_OK, "bulk: %s", lr_error_message(error));
    CHECK(lr_report_total(report) == N && lr_report_succeeded(report) == N - 2 &&
              lr_report_failure_count(report) == 2, "counts %llu %llu",
          (unsigned long long)lr_report_total(report), (unsigned long long)lr_report_succeeded(report));
    CHECK(lr_report_failure_index(report, 0) == 17 && same(lr_report_failure_user_id(report, 0), "") &&
              same(lr_error_api_message(lr_report_failure_error(report, 0)), "userID is required") &&
              same(lr_error_message(lr_report_failure_error(report, 0)), "invalid input: user_id: userID is required"),
          "failure 0: %s", lr_error_message(lr_report_failure_error(report, 0)));
    CHECK(lr_report_failure_index(report, 1) == 150 && same(lr_report_failure_user_id(report, 1), "bulk-150") &&
              same(lr_error_field(lr_report_failure_error(report, 1)), "traits.x") &&
              lr_error_status(lr_report_failure_error(report, 1)) == LR_ERR_VALIDATION, "failure 1");
    CHECK(lr_report_failure_error(report, 2) == NULL, "out of range");
    CHECK(lr_emulator_request_count(emu) == N - 2, "sent %zu", lr_emulator_request_count(emu));
    lr_report_free(report);
    for (int i = 0; i < N; i++) lr_request_free(requests[i]);
    lr_client_free(client);
    printf("ok   bulk report\n");
}

static void test_bulk_json_lines(const lr_emulator *emu) {
    lr_client *client = client_for(emu, "acme", "web");
    lr_emulator_reset(emu, NULL);
    /* 7 good lines (one with a CRLF ending, one with escapes, one with markers left to the
     * core's reader) and 6 bad ones, each failing for its own reason. */
    static const char lines[] =
        "{\"user_id\": \"j-0\", \"name\": \"Zero\", \"traits\": {\"plan\": \"pro\", \"seats\": 3}}\n"
        "\n"                                                              /* 1: blank */
        "{\"user_id\": \"j-2\", \"timestamp\": 1700000000000}\r\n"
        "not json\n"                                                      /* 3 */
        "{\"user_id\": \"j-4\", \"trait\": {}}\n"                         /* 4: unknown key */
        "{\"user_id\": \"j-5\", \"traits\": {\"x\": {\"$float\": \"NaN\"}}}\n" /* 5: NaN */
        "{\"user_id\": \"\"}\n"                                           /* 6: empty id */
        "{\"user_id\": \"j \\\"7\\\" \\u00e9\", \"unset\": [\"old\"]}\n"
        "{\"user_id\": 8, \"traits\": {\"big\": {\"$bigint\": \"123456789012345678901234567890\"}}}\n"
        "{\"user_id\": \"j-9\", \"name\": \"x\", \"name\": \"y\"}\n"
        "[\"j-10\"]\n"                                                    /* 10: not an object */
        "{\"user_id\": \"j-11\", \"email\": \"e@example.com\"}\n"
        "{\"user_id\": \"j-12\"}\n"
        "{\"user_id\": \"beyond len\"}\n";
    /* The last line lies past `len`: the buffer is read by length, not to a NUL. */
    size_t len = (size_t)(strstr(lines, "{\"user_id\": \"beyond len\"}") - lines);
    lr_report *report = NULL;
    lr_error *error = NULL;
    lr_status status = lr_client_identify_many_json(client, lines, len, 4, &report, &error);
    CHECK(status == LR_OK, "bulk JSON Lines: %s", lr_error_message(error));
    CHECK(lr_report_total(report) == 13 && lr_report_succeeded(report) == 7 && lr_report_failure_count(report) == 6,
          "counts %llu %llu %zu", (unsigned long long)lr_report_total(report),
          (unsigned long long)lr_report_succeeded(report), lr_report_failure_count(report));
    static const struct {
        uint64_t index;
        const char *user_id, *field, *message, *detail_part;
    } want[] = {
        {1, "", "input", "Malformed request", "not valid JSON"},
        {3, "", "input", "Malformed request", "not valid JSON"},
        {4, "j-4", "trait", "Malformed request", "unknown key"},
        {5, "j-5", "traits.x", "Malformed request", "NaN"},
        {6, "", "user_id", "userID is required", NULL},
        {10, "", "input", "Malformed request", "JSON object"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0] && i < lr_report_failure_count(report); i++) {
        const lr_error *e = lr_report_failure_error(report, i);
        const char *detail = lr_error_detail(e);
        CHECK(lr_report_failure_index(report, i) == want[i].index &&
                  same(lr_report_failure_user_id(report, i), want[i].user_id) &&
                  lr_error_status(e) == LR_ERR_VALIDATION && same(lr_error_field(e), want[i].field) &&
                  same(lr_error_api_message(e), want[i].message) &&
                  (!want[i].detail_part || (detail && strstr(detail, want[i].detail_part))),
              "failure %zu: index %llu user %s field %s message %s detail %s", i,
              (unsigned long long)lr_report_failure_index(report, i), lr_report_failure_user_id(report, i),
              lr_error_field(e), lr_error_api_message(e), detail ? detail : "(none)");
    }
    CHECK(lr_emulator_request_count(emu) == 7, "sent %zu", lr_emulator_request_count(emu));
    lr_report_free(report);

    /* What was sent is what the lines say. */
    lr_user *user = NULL;
    lr_request *request = NULL;
    lr_request_new("j-0", &request, NULL);
    CHECK(lr_client_identify(client, request, &user, NULL) == LR_OK && same(lr_user_name(user), "Zero") &&
              lr_user_trait_count(user) == 2 && same(lr_user_trait_value(user, 1), "3"),
          "j-0: %s", lr_user_json(user));
    lr_user_free(user);
    lr_request_free(request);
    request = NULL;
    user = NULL;
    lr_request_new("8", &request, NULL);
    CHECK(lr_client_identify(client, request, &user, NULL) == LR_OK &&
              same(lr_user_trait_value(user, 0), "123456789012345678901234567890"),
          "8: %s", lr_user_json(user));
    lr_user_free(user);
    lr_request_free(request);
    request = NULL;
    user = NULL;
    lr_request_new("j \"7\" \xc3\xa9", &request, NULL);
    CHECK(lr_client_identify(client, request, &user, NULL) == LR_OK, "j 7 was stored");
    lr_user_free(user);
    lr_request_free(request);

    /* Many lines at once, with the client's concurrency. */
    enum { N = 500 };
    char *many = malloc((size_t)N * 64);
    size_t used = 0;
    for (int i = 0; i < N; i++)
        used += (size_t)sprintf(many + used, "{\"user_id\": \"m-%d\", \"traits\": {\"n\": %d}}\n", i, i);
    lr_emulator_reset(emu, NULL);
    report = NULL;
    CHECK(lr_client_identify_many_json(client, many, used, LR_CLIENT_CONCURRENCY, &report, NULL) == LR_OK, "many");
    CHECK(lr_report_total(report) == N && lr_report_succeeded(report) == N && lr_report_failure_count(report) == 0,
          "many: %llu of %llu", (unsigned long long)lr_report_succeeded(report),
          (unsigned long long)lr_report_total(report));
    CHECK(lr_emulator_request_count(emu) == N, "many sent %zu", lr_emulator_request_count(emu));
    lr_report_free(report);
    free(many);
    lr_client_free(client);
    printf("ok   bulk JSON Lines: counts, every bad line with its index and reason\n");
}

enum { THREADS = 8, PER_THREAD = 40 };
typedef struct { const lr_client *client; int id; int ok; } worker_arg;

static void *worker(void *p) {
    worker_arg *arg = p;
    for (int i = 0; i < PER_THREAD; i++) {
        char id[64];
        snprintf(id, sizeof id, "t%d-%d", arg->id, i);
        lr_request *request = NULL;
        lr_user *user = NULL;
        lr_request_new(id, &request, NULL);
        lr_request_set_trait_int(request, "thread", arg->id, NULL);
        if (lr_client_identify(arg->client, request, &user, NULL) == LR_OK && same(lr_user_id(user), id))
            arg->ok++;
        lr_user_free(user);
        lr_request_free(request);
    }
    return NULL;
}

static void test_threads(const lr_emulator *emu) {
    lr_client *client = client_for(emu, "acme", "web");
    lr_emulator_reset(emu, NULL);
    pthread_t threads[THREADS];
    worker_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (worker_arg){client, t, 0};
        pthread_create(&threads[t], NULL, worker, &args[t]);
    }
    int ok = 0;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        ok += args[t].ok;
    }
    CHECK(ok == THREADS * PER_THREAD, "%d of %d succeeded", ok, THREADS * PER_THREAD);
    CHECK(lr_emulator_request_count(emu) == THREADS * PER_THREAD, "sent %zu", lr_emulator_request_count(emu));
    lr_client_free(client);
    printf("ok   %d threads sharing one client\n", THREADS);
}

/* A server on 127.0.0.1 that reads one connection's request and never answers; it writes a
 * byte to `arrived` when the request's first bytes have come in. */
struct silent_server {
    int listener;
    int arrived[2];
    pthread_t thread;
};

static void *silent_serve(void *arg) {
    struct silent_server *server = arg;
    int conn = accept(server->listener, NULL, NULL);
    if (conn < 0) return NULL;
    char buffer[1024];
    if (read(conn, buffer, sizeof buffer) > 0 && write(server->arrived[1], "x", 1) != 1) {
        /* the test then waits forever: fail loudly instead */
        abort();
    }
    while (read(conn, buffer, sizeof buffer) > 0) {
    }
    close(conn);
    return NULL;
}

static int silent_server_start(struct silent_server *server) {
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    server->listener = socket(AF_INET, SOCK_STREAM, 0);
    if (server->listener < 0 || bind(server->listener, (struct sockaddr *)&address, size) != 0 ||
        listen(server->listener, 4) != 0 || getsockname(server->listener, (struct sockaddr *)&address, &size) != 0 ||
        pipe(server->arrived) != 0)
        return -1;
    pthread_create(&server->thread, NULL, silent_serve, server);
    return ntohs(address.sin_port);
}

/* A client of the silent server on `port`: its own timeout is ten minutes, so only a cancel or
 * an abort can end a call of it. */
static lr_client *silent_client(int port) {
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_config_new(false, &config, NULL);
    lr_config_set_api_key(config, "k", NULL);
    lr_config_set_app(config, "acme/web", NULL);
    lr_config_set_base_url(config, url, NULL);
    lr_config_set_timeout_ms(config, 600000, NULL);
    lr_config_set_max_retries(config, 0, NULL);
    CHECK(lr_client_new(config, &client, NULL) == LR_OK, "silent server's client");
    lr_config_free(config);
    return client;
}

static void silent_server_stop(struct silent_server *server) {
    pthread_join(server->thread, NULL);
    close(server->listener);
    close(server->arrived[0]);
    close(server->arrived[1]);
}

struct cancellable_call {
    const lr_client *client;
    const lr_request *request;
    const lr_cancel *cancel;
    lr_status status;
    lr_user *user;
};

static void *call_identify(void *arg) {
    struct cancellable_call *call = arg;
    call->status = lr_client_identify_cancellable(call->client, call->request, call->cancel, &call->user, NULL);
    return NULL;
}

struct cancellable_bulk {
    const lr_client *client;
    const char *lines;
    size_t len;
    const lr_cancel *cancel;
    lr_status status;
    lr_report *report;
};

static void *call_identify_many_json(void *arg) {
    struct cancellable_bulk *call = arg;
    call->status = lr_client_identify_many_json_cancellable(call->client, call->lines, call->len, 1, call->cancel,
                                                            &call->report, NULL);
    return NULL;
}

static void test_cancel(const lr_emulator *emu) {
    lr_error *error = NULL;
    lr_cancel *cancel = NULL;
    lr_user *user = NULL;
    lr_report *report = NULL;
    lr_request *request = NULL;
    lr_client *client = client_for(emu, "acme", "cancel");

    /* NULLs: an error or nothing, never a crash. */
    CHECK(lr_cancel_new(NULL, &error) == LR_ERR_INVALID_ARGUMENT && same(lr_error_field(error), "out"),
          "cancel_new(NULL)");
    lr_error_free(error);
    error = NULL;
    lr_cancel_fire(NULL);
    lr_cancel_free(NULL);
    CHECK(lr_request_new("c1", &request, NULL) == LR_OK, "request");
    CHECK(lr_client_identify_cancellable(NULL, request, NULL, &user, NULL) == LR_ERR_INVALID_ARGUMENT, "NULL client");
    CHECK(lr_client_identify_cancellable(client, NULL, NULL, &user, NULL) == LR_ERR_INVALID_ARGUMENT, "NULL request");

    /* A NULL switch watches nothing. */
    CHECK(lr_client_identify_cancellable(client, request, NULL, &user, NULL) == LR_OK && same(lr_user_id(user), "c1"),
          "NULL cancel");
    lr_user_free(user);
    user = NULL;

    /* A fired switch ends the call before anything is sent. */
    CHECK(lr_cancel_new(&cancel, NULL) == LR_OK && cancel != NULL, "cancel_new");
    lr_cancel_fire(cancel);
    lr_cancel_fire(cancel);
    size_t sent_before = lr_emulator_request_count(emu);
    lr_status status = lr_client_identify_cancellable(client, request, cancel, &user, &error);
    CHECK(status == LR_ERR_CANCELED && user == NULL && same(lr_error_kind(error), "canceled") &&
              same(lr_error_message(error), lr_error_api_message(error)), "fired: %d", status);
    lr_error_free(error);
    error = NULL;
    const char lines[] = "{\"user_id\": \"c2\"}\n{\"user_id\": \"c3\"}\n";
    status = lr_client_identify_many_json_cancellable(client, lines, sizeof lines - 1, LR_CLIENT_CONCURRENCY, cancel, &report, NULL);
    CHECK(status == LR_ERR_CANCELED && report == NULL, "fired bulk: %d", status);
    CHECK(lr_emulator_request_count(emu) == sent_before, "nothing sent after the switch fired");
    lr_cancel_free(cancel);
    cancel = NULL;

    /* An unfired switch: the bulk run completes as lr_client_identify_many_json. */
    CHECK(lr_cancel_new(&cancel, NULL) == LR_OK, "cancel_new");
    status = lr_client_identify_many_json_cancellable(client, lines, sizeof lines - 1, LR_CLIENT_CONCURRENCY, cancel, &report, NULL);
    CHECK(status == LR_OK && lr_report_succeeded(report) == 2, "unfired bulk: %d", status);
    lr_report_free(report);
    lr_cancel_free(cancel);
    cancel = NULL;

    /* Firing from another thread ends a call in flight on a server that never answers (the
     * client's own timeout is ten minutes: only the switch can end this call). */
    struct silent_server server;
    int port = silent_server_start(&server);
    CHECK(port > 0, "silent server");
    lr_client *slow = silent_client(port);
    CHECK(lr_cancel_new(&cancel, NULL) == LR_OK, "cancel_new");
    struct cancellable_call call = {.client = slow, .request = request, .cancel = cancel};
    pthread_t caller;
    pthread_create(&caller, NULL, call_identify, &call);
    char byte;
    CHECK(read(server.arrived[0], &byte, 1) == 1, "the request arrived");
    lr_cancel_fire(cancel);
    pthread_join(caller, NULL);
    CHECK(call.status == LR_ERR_CANCELED && call.user == NULL, "in flight: %d", call.status);
    lr_cancel_free(cancel);
    lr_client_free(slow);
    silent_server_stop(&server);

    /* The same for a bulk run: one request hangs in flight while the thread reading the lines
     * waits for room; firing ends both, and the call. */
    port = silent_server_start(&server);
    CHECK(port > 0, "silent server");
    slow = silent_client(port);
    CHECK(lr_cancel_new(&cancel, NULL) == LR_OK, "cancel_new");
    enum { BULK_LINES = 200 };
    static char bulk[BULK_LINES * 32];
    size_t used = 0;
    for (int i = 0; i < BULK_LINES; i++)
        used += (size_t)snprintf(bulk + used, sizeof bulk - used, "{\"user_id\": \"bulk-%d\"}\n", i);
    struct cancellable_bulk bulk_call = {.client = slow, .lines = bulk, .len = used, .cancel = cancel};
    pthread_create(&caller, NULL, call_identify_many_json, &bulk_call);
    CHECK(read(server.arrived[0], &byte, 1) == 1, "the bulk run's first request arrived");
    lr_cancel_fire(cancel);
    pthread_join(caller, NULL);
    CHECK(bulk_call.status == LR_ERR_CANCELED && bulk_call.report == NULL, "bulk in flight: %d", bulk_call.status);
    lr_cancel_free(cancel);
    lr_client_free(slow);
    silent_server_stop(&server);

    lr_request_free(request);
    lr_client_free(client);
    printf("ok   lr_cancel: NULLs, a fired switch sends nothing, firing ends a call (single or bulk) in flight\n");
}

struct pushing {
    lr_bulk_run *bulk;
    const char *lines;
    size_t len;
    lr_status status;
};

static void *push_lines(void *arg) {
    struct pushing *push = arg;
    push->status = lr_bulk_run_push_json(push->bulk, push->lines, push->len, NULL);
    return NULL;
}

/* A run fed in pieces: indices run on across pieces, every bad line is reported, back-pressure
 * holds a push until there is room; then NULLs, a second finish, a push after finish, and runs
 * ended by a cancel, by an abort from another thread, and by a free before finish. */
static void test_bulk_run(const lr_emulator *emu) {
    lr_client *client = client_for(emu, "acme", "pieces");
    lr_emulator_reset(emu, NULL);
    lr_bulk_run *bulk = NULL;
    lr_report *report = NULL;
    lr_error *error = NULL;
    CHECK(lr_client_bulk_start(client, 4, NULL, &bulk, &error) == LR_OK && bulk != NULL, "start: %s",
          lr_error_message(error));
    static const char first[] = "{\"user_id\": \"p-0\"}\n{\"user_id\": \"\"}\n{\"user_id\": \"p-2\"}"; /* no final \n */
    static const char second[] = "{\"user_id\": \"p-3\", \"name\": \"\xff\"}\n{\"user_id\": \"p-4\"}\n";
    CHECK(lr_bulk_run_push_json(bulk, first, sizeof first - 1, NULL) == LR_OK, "first piece");
    CHECK(lr_bulk_run_push_json(bulk, second, sizeof second - 1, NULL) == LR_OK, "second piece");
    CHECK(lr_bulk_run_push_json(bulk, NULL, 0, NULL) == LR_OK, "an empty piece");
    /* 500 lines through a run of concurrency 4: the push waits for room again and again. */
    enum { N = 500 };
    char *many = malloc((size_t)N * 48);
    size_t used = 0;
    for (int i = 0; i < N; i++) used += (size_t)sprintf(many + used, "{\"user_id\": \"q-%d\"}\n", i);
    CHECK(lr_bulk_run_push_json(bulk, many, used, NULL) == LR_OK, "third piece");
    free(many);
    CHECK(lr_bulk_run_finish(bulk, &report, &error) == LR_OK, "finish: %s", lr_error_message(error));
    CHECK(lr_report_total(report) == 5 + N && lr_report_succeeded(report) == 3 + N &&
              lr_report_failure_count(report) == 2,
          "counts %llu %llu %zu", (unsigned long long)lr_report_total(report),
          (unsigned long long)lr_report_succeeded(report), lr_report_failure_count(report));
    const lr_error *empty_id = lr_report_failure_error(report, 0);
    CHECK(lr_report_failure_index(report, 0) == 1 && lr_error_status(empty_id) == LR_ERR_VALIDATION &&
              same(lr_error_field(empty_id), "user_id"),
          "failure 0: index %llu", (unsigned long long)lr_report_failure_index(report, 0));
    const lr_error *not_utf8 = lr_report_failure_error(report, 1);
    CHECK(lr_report_failure_index(report, 1) == 3 && same(lr_report_failure_user_id(report, 1), "") &&
              lr_error_status(not_utf8) == LR_ERR_INVALID_ARGUMENT && same(lr_error_field(not_utf8), "json_lines"),
          "failure 1: index %llu user %s", (unsigned long long)lr_report_failure_index(report, 1),
          lr_report_failure_user_id(report, 1));
    CHECK(lr_emulator_request_count(emu) == 3 + N, "sent %zu", lr_emulator_request_count(emu));
    lr_report_free(report);
    report = NULL;

    /* Over: a second finish and a push after finish are errors, not crashes. */
    CHECK(lr_bulk_run_finish(bulk, &report, &error) == LR_ERR_CLOSED && report == NULL, "second finish");
    lr_error_free(error);
    error = NULL;
    CHECK(lr_bulk_run_push_json(bulk, first, sizeof first - 1, &error) == LR_ERR_CLOSED &&
              strstr(lr_error_message(error), "takes no more input"),
          "push after finish: %s", lr_error_message(error));
    lr_error_free(error);
    error = NULL;
    lr_bulk_run_free(bulk);
    bulk = NULL;

    /* NULLs and a concurrency of 0. */
    CHECK(lr_client_bulk_start(NULL, 4, NULL, &bulk, NULL) == LR_ERR_INVALID_ARGUMENT, "NULL client");
    CHECK(lr_client_bulk_start(client, 4, NULL, NULL, NULL) == LR_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(lr_client_bulk_start(client, 0, NULL, &bulk, NULL) == LR_ERR_CONFIG && bulk == NULL, "concurrency 0");
    CHECK(lr_bulk_run_push_json(NULL, first, 3, NULL) == LR_ERR_INVALID_ARGUMENT, "push to NULL");
    CHECK(lr_bulk_run_finish(NULL, &report, NULL) == LR_ERR_INVALID_ARGUMENT, "finish NULL");
    CHECK(lr_client_bulk_start(client, LR_CLIENT_CONCURRENCY, NULL, &bulk, NULL) == LR_OK, "start");
    CHECK(lr_bulk_run_push_json(bulk, NULL, 5, &error) == LR_ERR_INVALID_ARGUMENT &&
              same(lr_error_field(error), "json_lines"), "NULL lines");
    lr_error_free(error);
    error = NULL;
    CHECK(lr_bulk_run_finish(bulk, NULL, NULL) == LR_ERR_INVALID_ARGUMENT, "NULL report");
    lr_bulk_run_abort(NULL);
    lr_bulk_run_free(NULL);
    lr_bulk_run_free(bulk); /* unfinished, nothing pushed */
    bulk = NULL;

    /* A switch fired while a request hangs and a push waits for room ends both. */
    enum { HUNG = 200 };
    static char hung[HUNG * 32];
    used = 0;
    for (int i = 0; i < HUNG; i++)
        used += (size_t)snprintf(hung + used, sizeof hung - used, "{\"user_id\": \"hung-%d\"}\n", i);
    const char *ends[] = {"cancel", "abort"};
    for (int end = 0; end < 2; end++) {
        struct silent_server server;
        int port = silent_server_start(&server);
        CHECK(port > 0, "silent server");
        lr_client *slow = silent_client(port);
        lr_cancel *cancel = NULL;
        CHECK(lr_cancel_new(&cancel, NULL) == LR_OK, "cancel_new");
        CHECK(lr_client_bulk_start(slow, 1, end == 0 ? cancel : NULL, &bulk, NULL) == LR_OK, "start (%s)", ends[end]);
        struct pushing push = {.bulk = bulk, .lines = hung, .len = used};
        pthread_t pusher;
        pthread_create(&pusher, NULL, push_lines, &push);
        char byte;
        CHECK(read(server.arrived[0], &byte, 1) == 1, "the first request arrived (%s)", ends[end]);
        if (end == 0) {
            lr_cancel_fire(cancel);
        } else {
            lr_bulk_run_abort(bulk);
        }
        /* The run holds its own reference to the switch: freeing it now changes nothing. */
        lr_cancel_free(cancel);
        pthread_join(pusher, NULL);
        lr_status want = end == 0 ? LR_ERR_CANCELED : LR_ERR_CLOSED;
        CHECK(push.status == want, "%s: push %d", ends[end], push.status);
        CHECK(lr_bulk_run_finish(bulk, &report, NULL) == want && report == NULL, "%s: finish", ends[end]);
        lr_bulk_run_free(bulk);
        bulk = NULL;
        lr_client_free(slow);
        silent_server_stop(&server);
    }

    /* Freed while a request hangs in flight (nothing pushing): returns at once. */
    struct silent_server server;
    int port = silent_server_start(&server);
    lr_client *slow = silent_client(port);
    CHECK(lr_client_bulk_start(slow, 1, NULL, &bulk, NULL) == LR_OK, "start");
    CHECK(lr_bulk_run_push_json(bulk, "{\"user_id\": \"hangs\"}", 20, NULL) == LR_OK, "one line");
    char byte;
    CHECK(read(server.arrived[0], &byte, 1) == 1, "the request arrived");
    lr_bulk_run_free(bulk);
    lr_client_free(slow);
    silent_server_stop(&server);

    lr_client_free(client);
    printf("ok   lr_bulk_run: pieces with indices running on, back-pressure, ended by finish, cancel, abort, free\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s <tests/vectors dir>\n", argv[0]);
        return 2;
    }
    CHECK(lr_version() != NULL && strlen(lr_version()) > 0, "version");
    lr_emulator *emu = NULL;
    lr_error *error = NULL;
    if (lr_emulator_start(NULL, &emu, &error) != LR_OK) {
        fprintf(stderr, "emulator: %s\n", lr_error_message(error));
        lr_error_free(error);
        return 1;
    }
    CHECK(same(lr_emulator_api_key(emu), "test"), "api key");
    test_vectors(emu, argv[1]);
    test_null_and_invalid_utf8(emu);
    test_field_by_field(emu);
    test_error_kinds(emu);
    test_bulk(emu);
    test_bulk_json_lines(emu);
    test_threads(emu);
    test_cancel(emu);
    test_bulk_run(emu);
    lr_emulator_stop(emu);
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
