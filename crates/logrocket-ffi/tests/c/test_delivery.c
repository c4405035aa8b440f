/* C tests of background delivery (lr_client_enqueue, lr_client_flush, lr_client_close,
 * lr_client_counters, the full-queue policies, the failure callback), of the log callback, of
 * the bulk calls' concurrency argument and of rate limits (the client's and the emulator's),
 * against the in-process emulator with injected faults. Run under valgrind too
 * (scripts/test-c.sh).
 * Usage: test_delivery */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logrocket_identify.h"

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

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

/* Long enough for anything this file waits for, even under valgrind; never reached when the
 * library works. */
#define LIVENESS_MS 120000

/* ---- The failure callback: records every call under a lock. ---- */

#define MAX_RECORDED 256

typedef struct {
    char *user_id;
    lr_status status;
    char *kind;
    char *message;     /* lr_error_message: the whole text */
    char *api_message; /* lr_error_api_message: the bare message */
    uint16_t http_status;
    uint64_t updates;
} failure_record;

typedef struct {
    pthread_mutex_t lock;
    int calls;
    int foreign_user_data; /* calls that came with another user_data than this one */
    failure_record records[MAX_RECORDED];
} failure_log;

static void failure_log_init(failure_log *log) {
    memset(log, 0, sizeof *log);
    pthread_mutex_init(&log->lock, NULL);
}

static void failure_log_free(failure_log *log) {
    int kept = log->calls < MAX_RECORDED ? log->calls : MAX_RECORDED;
    for (int i = 0; i < kept; i++) {
        free(log->records[i].user_id);
        free(log->records[i].kind);
        free(log->records[i].message);
        free(log->records[i].api_message);
    }
    pthread_mutex_destroy(&log->lock);
}

static char *copy(const char *text) { return text ? strdup(text) : NULL; }

static failure_log *expected_log = NULL;

static void record_failure(void *user_data, const char *user_id, const lr_error *error, uint64_t updates) {
    failure_log *log = user_data;
    pthread_mutex_lock(&log->lock);
    if (log != expected_log) log->foreign_user_data++;
    if (log->calls < MAX_RECORDED) {
        failure_record *r = &log->records[log->calls];
        r->user_id = copy(user_id);
        r->status = lr_error_status(error);
        r->kind = copy(lr_error_kind(error));
        r->message = copy(lr_error_message(error));
        r->api_message = copy(lr_error_api_message(error));
        r->http_status = lr_error_http_status(error);
        r->updates = updates;
    }
    log->calls++;
    pthread_mutex_unlock(&log->lock);
}

static int failure_calls(failure_log *log) {
    pthread_mutex_lock(&log->lock);
    int calls = log->calls;
    pthread_mutex_unlock(&log->lock);
    return calls;
}

/* ---- Clients and requests ---- */

typedef struct {
    size_t capacity;           /* 0: the library's default */
    lr_when_full policy;
    uint64_t block_timeout_ms;
    bool set_policy;
    size_t concurrency;        /* 0: the library's default */
    uint32_t max_retries;
    uint64_t timeout_ms;       /* 0: the library's default */
    double rate_limit;         /* 0: none set */
    failure_log *log;
} client_options;

static lr_client *client_with(const lr_emulator *emu, const char *app, client_options o) {
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_error *error = NULL;
    if (lr_config_new(false, &config, NULL) != LR_OK) return NULL;
    lr_config_set_api_key(config, lr_emulator_api_key(emu), NULL);
    lr_config_set_org_id(config, "acme", NULL);
    lr_config_set_app_id(config, app, NULL);
    lr_config_set_base_url(config, lr_emulator_url(emu), NULL);
    lr_config_set_max_retries(config, o.max_retries, NULL);
    if (o.capacity) CHECK(lr_config_set_queue_capacity(config, o.capacity, NULL) == LR_OK, "capacity");
    if (o.set_policy)
        CHECK(lr_config_set_when_full(config, o.policy, o.block_timeout_ms, NULL) == LR_OK, "policy");
    if (o.concurrency) lr_config_set_concurrency(config, o.concurrency, NULL);
    if (o.timeout_ms) lr_config_set_timeout_ms(config, o.timeout_ms, NULL);
    if (o.rate_limit > 0) CHECK(lr_config_set_rate_limit(config, o.rate_limit, NULL) == LR_OK, "rate limit");
    if (o.log) CHECK(lr_config_set_on_failure(config, record_failure, o.log, NULL) == LR_OK, "on_failure");
    if (lr_client_new(config, &client, &error) != LR_OK)
        fprintf(stderr, "client: %s\n", lr_error_message(error));
    lr_error_free(error);
    lr_config_free(config);
    return client;
}

static lr_request *request_for(const char *user_id, const char *name, long long seq) {
    lr_request *request = NULL;
    if (lr_request_new(user_id, &request, NULL) != LR_OK) return NULL;
    if (name) lr_request_set_name(request, name, NULL);
    if (seq >= 0) lr_request_set_trait_int(request, "seq", seq, NULL);
    return request;
}

static lr_status enqueue(const lr_client *client, const char *user_id, long long seq, lr_error **error) {
    lr_request *request = request_for(user_id, NULL, seq);
    lr_status status = lr_client_enqueue(client, request, error);
    lr_request_free(request);
    return status;
}

static bool stored(const lr_emulator *emu, const char *app, const char *user_id) {
    lr_user *user = NULL;
    lr_emulator_user(emu, "acme", app, user_id, &user, NULL);
    bool found = user != NULL;
    lr_user_free(user);
    return found;
}

static lr_counters counters_of(const lr_client *client) {
    lr_counters c;
    memset(&c, 0xff, sizeof c);
    CHECK(lr_client_counters(client, &c, NULL) == LR_OK, "counters");
    return c;
}

static bool counters_add_up(lr_counters c) {
    return c.enqueued == c.coalesced + c.delivered + c.failed + c.dropped + c.pending &&
           c.in_flight <= c.pending;
}

static void add_faults(const lr_emulator *emu, const char *json) {
    lr_error *error = NULL;
    CHECK(lr_emulator_add_faults(emu, json, &error) == LR_OK, "faults %s: %s", json, lr_error_message(error));
    lr_error_free(error);
}

/* ---- NULL arguments and bad values on every new export ---- */

static void expect_invalid(lr_status status, lr_error *error, const char *field, int line) {
    checks++;
    if (status != LR_ERR_INVALID_ARGUMENT || !same(lr_error_field(error), field) ||
        !same(lr_error_kind(error), "invalid_argument")) {
        failures++;
        fprintf(stderr, "FAIL line %d: status %d field %s, expected invalid argument %s\n", line,
                (int)status, lr_error_field(error), field);
    }
    lr_error_free(error);
}
#define EXPECT_INVALID(call, field)              \
    do {                                         \
        lr_error *e_ = NULL;                     \
        lr_status s_ = (call);                   \
        expect_invalid(s_, e_, field, __LINE__); \
    } while (0)
#define E (&e_)

static void test_arguments(const lr_emulator *emu) {
    lr_config *config = NULL;
    lr_request *request = request_for("a1", NULL, -1);
    lr_client *client = client_with(emu, "args", (client_options){0});
    lr_counters counters;
    lr_flush_summary summary;
    lr_user *user = NULL;

    EXPECT_INVALID(lr_config_set_queue_capacity(NULL, 10, E), "config");
    EXPECT_INVALID(lr_config_set_queue_max_bytes(NULL, 10, E), "config");
    EXPECT_INVALID(lr_config_set_when_full(NULL, LR_WHEN_FULL_ERROR, 0, E), "config");
    EXPECT_INVALID(lr_config_set_on_failure(NULL, record_failure, NULL, E), "config");
    EXPECT_INVALID(lr_config_set_rate_limit(NULL, 10.0, E), "config");
    EXPECT_INVALID(lr_emulator_set_rate_limit(NULL, 10, E), "emulator");
    CHECK(lr_emulator_rate_limit(NULL) == 0, "rate limit of NULL");
    EXPECT_INVALID(lr_client_enqueue(NULL, request, E), "client");
    EXPECT_INVALID(lr_client_enqueue(client, NULL, E), "request");
    EXPECT_INVALID(lr_client_flush(NULL, 10, &summary, E), "client");
    EXPECT_INVALID(lr_client_close(NULL, 10, &summary, E), "client");
    EXPECT_INVALID(lr_client_counters(NULL, &counters, E), "client");
    EXPECT_INVALID(lr_client_counters(client, NULL, E), "counters");
    EXPECT_INVALID(lr_emulator_add_faults(NULL, "{\"rate\": null}", E), "emulator");
    EXPECT_INVALID(lr_emulator_add_faults(emu, NULL, E), "faults_json");
    EXPECT_INVALID(lr_emulator_add_faults(emu, "{\"script\": [{\"status\": 99}]}", E), "faults_json");
    EXPECT_INVALID(lr_emulator_add_faults(emu, "{\"scrip\": []}", E), "faults_json");
    EXPECT_INVALID(lr_emulator_add_faults(emu, "not json", E), "faults_json");
    EXPECT_INVALID(lr_emulator_user(NULL, "acme", "args", "a1", &user, E), "emulator");
    EXPECT_INVALID(lr_emulator_user(emu, NULL, "args", "a1", &user, E), "org_id");
    EXPECT_INVALID(lr_emulator_user(emu, "acme", NULL, "a1", &user, E), "app_id");
    EXPECT_INVALID(lr_emulator_user(emu, "acme", "args", NULL, &user, E), "user_id");
    EXPECT_INVALID(lr_emulator_user(emu, "acme", "args", "a1", NULL, E), "out");
    CHECK(lr_emulator_user_count(NULL) == 0, "user count of NULL");
    /* The flush of a NULL client has no error out pointer to fill: the status alone says it. */
    CHECK(lr_client_flush(NULL, 0, NULL, NULL) == LR_ERR_INVALID_ARGUMENT, "flush(NULL) without error");

    /* A policy outside the enum is refused, not undefined behaviour. */
    CHECK(lr_config_new(false, &config, NULL) == LR_OK, "config");
    EXPECT_INVALID(lr_config_set_when_full(config, (lr_when_full)7, 0, E), "policy");
    /* A NULL callback clears the hook; the summary may be NULL. */
    CHECK(lr_config_set_on_failure(config, NULL, NULL, NULL) == LR_OK, "clear on_failure");
    /* Zero capacities are configuration errors, reported when the client is built. */
    lr_client *refused = NULL;
    lr_error *error = NULL;
    lr_config_set_api_key(config, "k", NULL);
    lr_config_set_app(config, "acme/zero", NULL);
    lr_config_set_queue_capacity(config, 0, NULL);
    CHECK(lr_client_new(config, &refused, &error) == LR_ERR_CONFIG && refused == NULL &&
              same(lr_error_kind(error), "config"),
          "capacity 0: %s", lr_error_message(error));
    lr_error_free(error);
    error = NULL;
    lr_config_set_queue_capacity(config, 10, NULL);
    lr_config_set_queue_max_bytes(config, 0, NULL);
    CHECK(lr_client_new(config, &refused, &error) == LR_ERR_CONFIG && refused == NULL,
          "max bytes 0: %s", lr_error_message(error));
    lr_error_free(error);
    error = NULL;
    lr_config_free(config);

    /* A validation error comes back at once from enqueue, as from identify; nothing is queued. */
    lr_request *bad = request_for("", NULL, -1);
    lr_status status = lr_client_enqueue(client, bad, &error);
    CHECK(status == LR_ERR_VALIDATION && same(lr_error_field(error), "user_id"), "empty user id: %d", status);
    lr_error_free(error);
    error = NULL;
    lr_request_free(bad);
    CHECK(counters_of(client).enqueued == 0, "nothing enqueued");
    CHECK(lr_client_flush(client, 1000, NULL, NULL) == LR_OK, "flush with a NULL summary");

    /* Concurrency 0 in the bulk calls is a configuration error; LR_CLIENT_CONCURRENCY uses the
     * client's setting. */
    const char line[] = "{\"user_id\": \"bulk-1\"}\n";
    lr_report *report = NULL;
    status = lr_client_identify_many_json(client, line, sizeof line - 1, 0, &report, &error);
    CHECK(status == LR_ERR_CONFIG && report == NULL && same(lr_error_api_message(error), "concurrency must be at least 1") &&
              same(lr_error_message(error), "configuration error: concurrency must be at least 1"),
          "concurrency 0: %d %s", status, lr_error_message(error));
    lr_error_free(error);
    error = NULL;
    const lr_request *one[] = {request};
    status = lr_client_identify_many(client, one, 1, 0, &report, &error);
    CHECK(status == LR_ERR_CONFIG && report == NULL, "concurrency 0 (requests): %d", status);
    lr_error_free(error);
    error = NULL;
    status = lr_client_identify_many_json(client, line, sizeof line - 1, LR_CLIENT_CONCURRENCY, &report, NULL);
    CHECK(status == LR_OK && lr_report_succeeded(report) == 1, "client concurrency: %d", status);
    lr_report_free(report);

    lr_request_free(request);
    lr_client_free(client);
    printf("ok   NULL and bad arguments on every delivery export; zero capacities and concurrency refused\n");
}

/* ---- 10,000 enqueues through 5xx and 429 bursts ---- */

#define MANY 10000
#define MANY_USERS 2500

static void test_many_with_faults(const lr_emulator *emu) {
    failure_log log;
    failure_log_init(&log);
    expected_log = &log;
    lr_emulator_reset(emu, NULL);
    /* One attempt in five answers a 5xx; three bursts of 429 with a short Retry-After come in
     * between. Ten retries make a lost update all but impossible (0.2^11 per update), so every
     * update must arrive. */
    add_faults(emu, "{\"rate\": {\"probability\": 0.2, \"fault\": {\"status\": 503}}}");
    add_faults(emu, "{\"script\": [{\"status\": 429, \"retry_after\": \"1\"}, {\"status\": 429, \"retry_after\": \"1\"},"
                    " {\"status\": 500}, {\"status\": 429, \"retry_after\": \"1\"}]}");
    lr_client *client = client_with(emu, "many", (client_options){.max_retries = 10, .concurrency = 32, .log = &log});
    int refused = 0;
    for (int i = 0; i < MANY; i++) {
        char id[32];
        snprintf(id, sizeof id, "u-%d", i % MANY_USERS);
        /* An update that finds the queue full waits for room (the default policy) and is retried
         * here when even that was not enough, so the test counts what it handed over. */
        lr_status status;
        while ((status = enqueue(client, id, i, NULL)) == LR_ERR_QUEUE_FULL) refused++;
        CHECK(status == LR_OK, "enqueue %d: %d", i, status);
        if (i == MANY / 2)
            add_faults(emu, "{\"script\": [{\"status\": 429, \"retry_after\": \"1\"}, {\"status\": 429, \"retry_after\": \"1\"}]}");
    }
    lr_flush_summary summary = {0};
    CHECK(lr_client_flush(client, LIVENESS_MS, &summary, NULL) == LR_OK, "flush");
    CHECK(summary.completed && summary.pending == 0 && summary.failed == 0 && summary.dropped == 0,
          "flush: completed %d pending %llu failed %llu dropped %llu", summary.completed,
          (unsigned long long)summary.pending, (unsigned long long)summary.failed,
          (unsigned long long)summary.dropped);
    lr_counters c = counters_of(client);
    CHECK(c.enqueued == MANY, "enqueued %llu", (unsigned long long)c.enqueued);
    CHECK(counters_add_up(c), "counters do not add up");
    CHECK(c.delivered + c.coalesced == MANY && c.failed == 0 && c.dropped == 0 && c.pending == 0 && c.in_flight == 0,
          "delivered %llu coalesced %llu failed %llu", (unsigned long long)c.delivered,
          (unsigned long long)c.coalesced, (unsigned long long)c.failed);
    CHECK(c.retried > 0, "faults were injected, yet nothing was retried");
    CHECK(summary.delivered == c.delivered, "summary and counters disagree");
    CHECK(failure_calls(&log) == 0, "%d failures reported", failure_calls(&log));

    /* Exactly the expected users, each holding its last update (per user, updates arrive in
     * order, and a coalesced one carries the later value). */
    CHECK(lr_emulator_user_count(emu) == MANY_USERS, "%zu users stored", lr_emulator_user_count(emu));
    int wrong = 0;
    for (int u = 0; u < MANY_USERS; u++) {
        char id[32], want[32];
        snprintf(id, sizeof id, "u-%d", u);
        snprintf(want, sizeof want, "%d", MANY - MANY_USERS + u);
        lr_user *user = NULL;
        lr_emulator_user(emu, "acme", "many", id, &user, NULL);
        const char *seq = NULL;
        for (size_t t = 0; user && t < lr_user_trait_count(user); t++)
            if (same(lr_user_trait_key(user, t), "seq")) seq = lr_user_trait_value(user, t);
        if (!user || !same(seq, want)) {
            if (wrong++ < 5) fprintf(stderr, "user %s: seq %s, expected %s\n", id, seq ? seq : "(none)", want);
        }
        lr_user_free(user);
    }
    CHECK(wrong == 0, "%d users wrong", wrong);

    lr_emulator_reset(emu, NULL);
    lr_client_free(client);
    failure_log_free(&log);
    printf("ok   %d enqueues for %d users through 5xx and 429 bursts: %llu PUTs, %llu coalesced, %llu retried, %d waits for room\n",
           MANY, MANY_USERS, (unsigned long long)c.delivered, (unsigned long long)c.coalesced,
           (unsigned long long)c.retried, refused);
}

/* ---- Full-queue policies ---- */

/* The emulator holds every request `delay_ms` before answering (then normally, or with a 503
 * when `then_fail`: a request the client abandoned then stores nothing behind a later test's
 * back). */
static void hang_then(const lr_emulator *emu, int delay_ms, bool then_fail) {
    char json[160];
    snprintf(json, sizeof json, "{\"rate\": {\"probability\": 1.0, \"fault\": {\"delay_ms\": %d%s}}}", delay_ms,
             then_fail ? ", \"status\": 503" : "");
    add_faults(emu, json);
}

static void hang(const lr_emulator *emu, int delay_ms) { hang_then(emu, delay_ms, false); }

/* The callback runs on a library thread: give it time to report what the counters show. */
static int wait_calls(failure_log *log, int expected) {
    double start = now_ms();
    while (failure_calls(log) < expected && now_ms() - start < LIVENESS_MS) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return failure_calls(log);
}

static void test_policy_error(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    hang(emu, 300);
    lr_client *client = client_with(emu, "pol-error", (client_options){
        .capacity = 2, .set_policy = true, .policy = LR_WHEN_FULL_ERROR, .concurrency = 1});
    int accepted = 0, full = 0;
    lr_error *error = NULL;
    char id[32];
    for (int i = 0; i < 50 && !full; i++) {
        snprintf(id, sizeof id, "e-%d", i);
        lr_status status = enqueue(client, id, i, &error);
        if (status == LR_OK) accepted++;
        else if (status == LR_ERR_QUEUE_FULL) {
            full++;
            CHECK(same(lr_error_kind(error), "queue_full") && lr_error_message(error) && *lr_error_message(error),
                  "queue full error: %s %s", lr_error_kind(error), lr_error_message(error));
        } else CHECK(false, "enqueue: %d", status);
        lr_error_free(error);
        error = NULL;
    }
    CHECK(full == 1 && accepted >= 2, "accepted %d, refused %d", accepted, full);
    lr_counters c = counters_of(client);
    CHECK(c.enqueued == (uint64_t)accepted && c.dropped == 0, "a refused update is not enqueued");
    lr_emulator_add_faults(emu, "{\"rate\": null}", NULL);
    lr_flush_summary summary = {0};
    lr_client_flush(client, LIVENESS_MS, &summary, NULL);
    CHECK(summary.completed && summary.delivered == (uint64_t)accepted, "delivered %llu of %d",
          (unsigned long long)summary.delivered, accepted);
    CHECK(lr_emulator_user_count(emu) == (size_t)accepted && !stored(emu, "pol-error", id),
          "%zu stored; the refused one must not be", lr_emulator_user_count(emu));
    lr_client_free(client);

    /* The byte limit too: with room for 10,000 updates but 2,000 bytes, a few updates with long
     * names fill the queue. */
    lr_emulator_reset(emu, NULL);
    hang(emu, 300);
    lr_config *config = NULL;
    lr_config_new(false, &config, NULL);
    lr_config_set_api_key(config, lr_emulator_api_key(emu), NULL);
    lr_config_set_app(config, "acme/pol-bytes", NULL);
    lr_config_set_base_url(config, lr_emulator_url(emu), NULL);
    lr_config_set_concurrency(config, 1, NULL);
    CHECK(lr_config_set_queue_max_bytes(config, 2000, NULL) == LR_OK, "max bytes");
    lr_config_set_when_full(config, LR_WHEN_FULL_ERROR, 0, NULL);
    client = NULL;
    CHECK(lr_client_new(config, &client, NULL) == LR_OK, "client");
    lr_config_free(config);
    char name[601];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    lr_status status = LR_OK;
    accepted = 0;
    for (int i = 0; i < 20 && status == LR_OK; i++) {
        snprintf(id, sizeof id, "big-%d", i);
        lr_request *request = request_for(id, name, i);
        status = lr_client_enqueue(client, request, NULL);
        lr_request_free(request);
        if (status == LR_OK) accepted++;
    }
    CHECK(status == LR_ERR_QUEUE_FULL && accepted >= 1 && accepted < 10, "bytes: %d accepted, then %d", accepted, status);
    lr_emulator_add_faults(emu, "{\"rate\": null}", NULL);
    lr_client_flush(client, LIVENESS_MS, &summary, NULL);
    CHECK(summary.completed && summary.delivered == (uint64_t)accepted, "bytes: delivered %llu of %d",
          (unsigned long long)summary.delivered, accepted);
    lr_client_free(client);
    printf("ok   LR_WHEN_FULL_ERROR: refused at once with LR_ERR_QUEUE_FULL (by items and by bytes), the rest delivered\n");
}

static void test_policy_block(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    hang(emu, 1500);
    /* A short block: the queue stays full past it, so enqueue gives up. */
    lr_client *client = client_with(emu, "pol-block", (client_options){
        .capacity = 2, .set_policy = true, .policy = LR_WHEN_FULL_BLOCK, .block_timeout_ms = 100, .concurrency = 1});
    int accepted = 0;
    lr_status status = LR_OK;
    double waited = 0;
    char id[32];
    for (int i = 0; i < 50 && status == LR_OK; i++) {
        snprintf(id, sizeof id, "b-%d", i);
        double start = now_ms();
        status = enqueue(client, id, i, NULL);
        waited = now_ms() - start;
        if (status == LR_OK) accepted++;
    }
    CHECK(status == LR_ERR_QUEUE_FULL && accepted >= 2, "status %d after %d accepted", status, accepted);
    /* A lower bound only: it must have waited for room before refusing. */
    CHECK(waited >= 90, "refused after %.0f ms, before the block timeout", waited);
    lr_emulator_add_faults(emu, "{\"rate\": null}", NULL);
    lr_client_free(client); /* closes within the default deadline: the hanging requests end first */

    /* A long block: the enqueue waits until a request finishes and room is made. */
    lr_emulator_reset(emu, NULL);
    hang(emu, 300);
    client = client_with(emu, "pol-block", (client_options){
        .capacity = 1, .set_policy = true, .policy = LR_WHEN_FULL_BLOCK, .block_timeout_ms = LIVENESS_MS, .concurrency = 1});
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "w-%d", i);
        status = enqueue(client, id, i, NULL);
        CHECK(status == LR_OK, "blocked enqueue %d: %d", i, status);
    }
    lr_flush_summary summary = {0};
    lr_client_flush(client, LIVENESS_MS, &summary, NULL);
    CHECK(summary.completed && counters_of(client).delivered == 6, "all six delivered");
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof id, "w-%d", i);
        CHECK(stored(emu, "pol-block", id), "%s stored", id);
    }
    lr_client_free(client);
    printf("ok   LR_WHEN_FULL_BLOCK: waits for room, refuses with LR_ERR_QUEUE_FULL after its timeout\n");
}

static void test_policy_drop_oldest(const lr_emulator *emu) {
    failure_log log;
    failure_log_init(&log);
    expected_log = &log;
    lr_emulator_reset(emu, NULL);
    hang(emu, 300);
    lr_client *client = client_with(emu, "pol-drop", (client_options){
        .capacity = 2, .set_policy = true, .policy = LR_WHEN_FULL_DROP_OLDEST, .concurrency = 1, .log = &log});
    const int count = 12;
    char id[32];
    for (int i = 0; i < count; i++) {
        snprintf(id, sizeof id, "d-%d", i);
        CHECK(enqueue(client, id, i, NULL) == LR_OK, "drop-oldest never refuses");
    }
    lr_emulator_add_faults(emu, "{\"rate\": null}", NULL);
    lr_flush_summary summary = {0};
    lr_client_flush(client, LIVENESS_MS, &summary, NULL);
    lr_counters c = counters_of(client);
    int calls = wait_calls(&log, (int)c.dropped);
    CHECK(summary.completed && counters_add_up(c), "flush completed, counters add up");
    CHECK(c.dropped > 0 && c.dropped == (uint64_t)calls && c.failed == 0,
          "dropped %llu, callback called %d times", (unsigned long long)c.dropped, calls);
    CHECK(log.foreign_user_data == 0, "the callback got another user_data");
    CHECK(c.delivered + c.dropped == (uint64_t)count, "delivered %llu + dropped %llu != %d",
          (unsigned long long)c.delivered, (unsigned long long)c.dropped, count);
    /* The newest update is never the one dropped, and every dropped user is named, with the
     * queue-full error, and is not stored; every other user is. */
    CHECK(stored(emu, "pol-drop", id), "the newest update was delivered");
    int named_dropped = 0;
    for (int r = 0; r < calls && r < MAX_RECORDED; r++) {
        failure_record *f = &log.records[r];
        CHECK(f->status == LR_ERR_QUEUE_FULL && same(f->kind, "queue_full") && f->updates == 1,
              "dropped %s: %s %s (%llu updates)", f->user_id, f->kind, f->message, (unsigned long long)f->updates);
        CHECK(f->user_id && strncmp(f->user_id, "d-", 2) == 0 && !stored(emu, "pol-drop", f->user_id),
              "dropped user %s is stored", f->user_id);
        named_dropped++;
    }
    CHECK(lr_emulator_user_count(emu) == (size_t)(count - named_dropped), "%zu stored, %d dropped",
          lr_emulator_user_count(emu), named_dropped);
    lr_client_free(client);
    failure_log_free(&log);
    printf("ok   LR_WHEN_FULL_DROP_OLDEST: %d dropped, each reached the callback with its user data\n", named_dropped);
}

/* ---- Deadlines while the emulator hangs ---- */

static void test_deadlines(const lr_emulator *emu) {
    failure_log log;
    failure_log_init(&log);
    expected_log = &log;
    lr_emulator_reset(emu, NULL);
    /* Each request hangs far longer than the deadlines below (and the per-attempt timeout is
     * longer still), so only the deadlines can end the calls. */
    hang_then(emu, 8000, true);
    lr_client *client = client_with(emu, "deadline", (client_options){.concurrency = 2, .timeout_ms = 60000, .log = &log});
    for (int i = 0; i < 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "h-%d", i);
        CHECK(enqueue(client, id, i, NULL) == LR_OK, "enqueue");
    }
    lr_flush_summary summary = {.completed = true};
    double start = now_ms();
    CHECK(lr_client_flush(client, 200, &summary, NULL) == LR_OK, "flush");
    double took = now_ms() - start;
    CHECK(!summary.completed && summary.pending == 5 && summary.delivered == 0,
          "flush while hanging: completed %d pending %llu", summary.completed, (unsigned long long)summary.pending);
    CHECK(took < 4000, "flush(200 ms) took %.0f ms", took);
    /* 0 does not wait at all: it only reports. */
    CHECK(lr_client_flush(client, 0, &summary, NULL) == LR_OK && !summary.completed && summary.pending == 5,
          "flush(0)");

    start = now_ms();
    summary = (lr_flush_summary){.completed = true};
    CHECK(lr_client_close(client, 200, &summary, NULL) == LR_OK, "close");
    took = now_ms() - start;
    CHECK(took < 4000, "close(200 ms) took %.0f ms", took);
    CHECK(!summary.completed && summary.delivered == 0 && summary.dropped == 5 && summary.pending == 0,
          "close while hanging: completed %d dropped %llu pending %llu", summary.completed,
          (unsigned long long)summary.dropped, (unsigned long long)summary.pending);
    lr_counters c = counters_of(client);
    CHECK(c.dropped == 5 && c.pending == 0 && counters_add_up(c), "counters after close");
    int calls = wait_calls(&log, 5);
    CHECK(calls == 5, "%d abandoned updates reached the callback", calls);
    for (int r = 0; r < calls && r < MAX_RECORDED; r++)
        CHECK(log.records[r].status == LR_ERR_CLOSED && same(log.records[r].kind, "closed"),
              "abandoned %s: %s", log.records[r].user_id, log.records[r].kind);

    /* Closed: enqueue is refused with a clear error; closing again only reports. */
    lr_error *error = NULL;
    lr_status status = enqueue(client, "late", 0, &error);
    CHECK(status == LR_ERR_CLOSED && same(lr_error_kind(error), "closed") && lr_error_message(error) &&
              *lr_error_message(error),
          "enqueue after close: %d %s", status, lr_error_message(error));
    lr_error_free(error);
    CHECK(lr_client_close(client, 0, &summary, NULL) == LR_OK && summary.dropped == 5, "close again");
    CHECK(counters_of(client).enqueued == 5, "the refused update was not counted");
    lr_client_free(client);
    CHECK(failure_calls(&log) == 5, "free after close reported nothing more");
    lr_emulator_reset(emu, NULL);
    failure_log_free(&log);
    printf("ok   flush and close honour their timeout while the emulator hangs; enqueue after close: LR_ERR_CLOSED\n");
}

/* ---- What the failure callback receives ---- */

static void test_failure_callback(const lr_emulator *emu) {
    failure_log log;
    failure_log_init(&log);
    expected_log = &log;
    lr_emulator_reset(emu, NULL);
    /* The first request hangs a little, so the two updates of "f-2" queued behind it coalesce;
     * their request is answered 400, which is final. */
    add_faults(emu, "{\"script\": [{\"delay_ms\": 500}, {\"status\": 400, \"body\": \"no thanks\"}]}");
    lr_client *client = client_with(emu, "hook", (client_options){.concurrency = 1, .max_retries = 3, .log = &log});
    CHECK(enqueue(client, "f-1", 1, NULL) == LR_OK, "enqueue f-1");
    CHECK(enqueue(client, "f-2", 2, NULL) == LR_OK, "enqueue f-2");
    CHECK(enqueue(client, "f-2", 3, NULL) == LR_OK, "enqueue f-2 again");
    lr_flush_summary summary = {0};
    lr_client_flush(client, LIVENESS_MS, &summary, NULL);
    lr_counters c = counters_of(client);
    CHECK(summary.completed && summary.failed == 1 && summary.delivered == 1, "failed %llu delivered %llu",
          (unsigned long long)summary.failed, (unsigned long long)summary.delivered);
    CHECK(c.coalesced == 1 && c.failed == 1 && counters_add_up(c), "coalesced %llu failed %llu",
          (unsigned long long)c.coalesced, (unsigned long long)c.failed);
    CHECK(wait_calls(&log, 1) == 1, "%d callback calls", failure_calls(&log));
    failure_record *f = &log.records[0];
    CHECK(same(f->user_id, "f-2") && f->status == LR_ERR_API && same(f->kind, "api") && f->http_status == 400 &&
              f->updates == 2 && same(f->api_message, "no thanks") &&
              same(f->message, "LogRocket API error 400: no thanks"),
          "callback got %s %s %u %s (%llu updates)", f->user_id, f->kind, f->http_status, f->message,
          (unsigned long long)f->updates);
    CHECK(stored(emu, "hook", "f-1") && !stored(emu, "hook", "f-2"), "only f-1 stored");
    lr_client_free(client);
    failure_log_free(&log);
    printf("ok   the failure callback gets the user id, the error and the number of updates\n");
}

/* ---- The library's log, through lr_set_log_callback ---- */

#define MAX_LINES 64

typedef struct {
    pthread_mutex_t lock;
    int count;
    lr_log_level levels[MAX_LINES];
    char *lines[MAX_LINES]; /* "target: message" */
} log_lines;

static void record_log(void *user_data, lr_log_level level, const char *target, const char *message) {
    log_lines *log = user_data;
    pthread_mutex_lock(&log->lock);
    if (log->count < MAX_LINES) {
        size_t n = strlen(target) + strlen(message) + 3;
        char *line = malloc(n);
        snprintf(line, n, "%s: %s", target, message);
        log->levels[log->count] = level;
        log->lines[log->count] = line;
    }
    log->count++;
    pthread_mutex_unlock(&log->lock);
}

/* How many lines at `level` hold `text`; -1 when a line holds `never`. */
static int log_lines_with(log_lines *log, lr_log_level level, const char *text, const char *never) {
    int found = 0;
    pthread_mutex_lock(&log->lock);
    for (int i = 0; i < log->count && i < MAX_LINES; i++) {
        if (never && strstr(log->lines[i], never)) {
            found = -1;
            break;
        }
        if (log->levels[i] == level && strstr(log->lines[i], text) && strncmp(log->lines[i], "logrocket_identify", 18) == 0)
            found++;
    }
    pthread_mutex_unlock(&log->lock);
    return found;
}

static void test_logging(const lr_emulator *emu) {
    log_lines log;
    memset(&log, 0, sizeof log);
    pthread_mutex_init(&log.lock, NULL);
    EXPECT_INVALID(lr_set_log_callback(record_log, &log, (lr_log_level)9, E), "max_level");
    EXPECT_INVALID(lr_set_log_callback(record_log, &log, (lr_log_level)0, E), "max_level");
    CHECK(lr_set_log_callback(record_log, &log, LR_LOG_DEBUG, NULL) == LR_OK, "set log callback");

    lr_emulator_reset(emu, NULL);
    /* One 503 (retried, logged at debug), then a 400 (final: the update is lost, logged as a
     * warning). Neither line may show what the request carried. */
    add_faults(emu, "{\"script\": [{\"status\": 503}, {\"status\": 400}]}");
    lr_client *client = client_with(emu, "log", (client_options){.max_retries = 1});
    lr_request *request = request_for("log-1", "Secret Name", 1);
    lr_request_set_trait_string(request, "token", "s3cr3t-value", NULL);
    CHECK(lr_client_enqueue(client, request, NULL) == LR_OK, "enqueue");
    lr_flush_summary summary = {0};
    lr_client_flush(client, LIVENESS_MS, &summary, NULL);
    CHECK(summary.failed == 1, "failed %llu", (unsigned long long)summary.failed);
    CHECK(log_lines_with(&log, LR_LOG_DEBUG, "retrying", NULL) == 1, "one retry logged at debug");
    CHECK(log_lines_with(&log, LR_LOG_WARN, "not delivered", NULL) == 1, "the lost update logged as a warning");
    CHECK(log_lines_with(&log, LR_LOG_WARN, "status=", NULL) == 1, "the warning carries the status");
    CHECK(log_lines_with(&log, LR_LOG_WARN, "", "s3cr3t-value") >= 0 && log_lines_with(&log, LR_LOG_WARN, "", "Secret Name") >= 0 &&
              log_lines_with(&log, LR_LOG_WARN, "", "log-1") >= 0,
          "a log line shows payload values");

    /* At warn, debug lines are not passed on; with no callback, nothing is. */
    CHECK(lr_set_log_callback(record_log, &log, LR_LOG_WARN, NULL) == LR_OK, "log at warn");
    add_faults(emu, "{\"script\": [{\"status\": 503}]}");
    CHECK(lr_client_enqueue(client, request, NULL) == LR_OK, "enqueue");
    lr_client_flush(client, LIVENESS_MS, &summary, NULL);
    CHECK(summary.delivered == 1 && log_lines_with(&log, LR_LOG_DEBUG, "retrying", NULL) == 1,
          "a retry at warn level was logged");
    CHECK(lr_set_log_callback(NULL, NULL, LR_LOG_TRACE, NULL) == LR_OK, "clear the log callback");
    int before = log.count;
    add_faults(emu, "{\"script\": [{\"status\": 400}]}");
    CHECK(lr_client_enqueue(client, request, NULL) == LR_OK, "enqueue");
    lr_client_flush(client, LIVENESS_MS, &summary, NULL);
    CHECK(summary.failed == 2 && log.count == before, "logged with no callback set");

    lr_request_free(request);
    lr_client_free(client);
    for (int i = 0; i < log.count && i < MAX_LINES; i++) free(log.lines[i]);
    pthread_mutex_destroy(&log.lock);
    printf("ok   lr_set_log_callback: retries at debug, lost updates at warn, no payload values, levels and clearing\n");
}

/* ---- Several threads enqueue at once ---- */

#define THREADS 8
#define PER_THREAD 300

typedef struct {
    const lr_client *client;
    int thread;
    int ok;
} worker_arg;

static void *worker(void *p) {
    worker_arg *a = p;
    for (int i = 0; i < PER_THREAD; i++) {
        char id[32];
        snprintf(id, sizeof id, "t%d-%d", a->thread, i);
        if (enqueue(a->client, id, i, NULL) == LR_OK) a->ok++;
    }
    return NULL;
}

static void test_threads(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    lr_client *client = client_with(emu, "threads", (client_options){
        .set_policy = true, .policy = LR_WHEN_FULL_BLOCK, .block_timeout_ms = LIVENESS_MS});
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
    CHECK(ok == THREADS * PER_THREAD, "%d of %d enqueued", ok, THREADS * PER_THREAD);
    lr_flush_summary summary = {0};
    CHECK(lr_client_close(client, LIVENESS_MS, &summary, NULL) == LR_OK && summary.completed, "close");
    lr_counters c = counters_of(client);
    CHECK(c.enqueued == THREADS * PER_THREAD && c.delivered == THREADS * PER_THREAD && counters_add_up(c),
          "enqueued %llu delivered %llu", (unsigned long long)c.enqueued, (unsigned long long)c.delivered);
    CHECK(lr_emulator_user_count(emu) == THREADS * PER_THREAD, "%zu users", lr_emulator_user_count(emu));
    /* Closed for background delivery only: a direct identify still works. */
    lr_request *request = request_for("after-close", NULL, -1);
    lr_user *user = NULL;
    CHECK(lr_client_identify(client, request, &user, NULL) == LR_OK && same(lr_user_id(user), "after-close"),
          "identify after close");
    lr_user_free(user);
    lr_request_free(request);
    lr_client_free(client);
    printf("ok   %d threads enqueue on one client at once: every update delivered\n", THREADS);
}

/* ---- lr_client_free delivers what is pending ---- */

static void test_free_delivers(const lr_emulator *emu) {
    /* The deadline lr_client_free closes with is the core's, readable for bindings to reuse. */
    CHECK(lr_default_close_timeout_ms() > 0, "default close timeout %llu ms",
          (unsigned long long)lr_default_close_timeout_ms());
    lr_emulator_reset(emu, NULL);
    lr_client *client = client_with(emu, "free", (client_options){0});
    for (int i = 0; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "p-%d", i);
        CHECK(enqueue(client, id, i, NULL) == LR_OK, "enqueue");
    }
    lr_client_free(client);
    CHECK(lr_emulator_user_count(emu) == 20, "%zu of 20 delivered by lr_client_free", lr_emulator_user_count(emu));
    printf("ok   lr_client_free delivers pending updates before the client goes\n");
}

/* ---- Rate limits: the client's pacing and the emulator's 429 ---- */

/* Sends `count` users "<prefix>-<i>" through lr_client_identify_many, 16 in flight. */
static lr_report *send_users(const lr_client *client, const char *prefix, int count) {
    lr_request **requests = calloc((size_t)count, sizeof *requests);
    for (int i = 0; i < count; i++) {
        char id[32];
        snprintf(id, sizeof id, "%s-%d", prefix, i);
        requests[i] = request_for(id, NULL, i);
    }
    lr_report *report = NULL;
    lr_error *error = NULL;
    CHECK(lr_client_identify_many(client, (const lr_request *const *)requests, (size_t)count, 16, &report,
                                  &error) == LR_OK,
          "identify_many: %s", lr_error_message(error));
    lr_error_free(error);
    for (int i = 0; i < count; i++) lr_request_free(requests[i]);
    free(requests);
    return report;
}

/* How many recorded requests the emulator answered with `status`. */
static size_t recorded_with_status(const lr_emulator *emu, uint16_t status) {
    size_t n = 0;
    for (size_t i = 0; i < lr_emulator_request_count(emu); i++) {
        lr_recorded_request *r = NULL;
        if (lr_emulator_request(emu, i, &r, NULL) == LR_OK && lr_recorded_request_status(r) == status) n++;
        lr_recorded_request_free(r);
    }
    return n;
}

static void test_rate_limit_config(const lr_emulator *emu) {
    /* The setter only records the value; lr_client_new asks the core, whose message it gives. */
    const double bad[] = {0.0, -1.0, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lr_config *config = NULL;
        lr_client *client = NULL;
        lr_error *error = NULL;
        lr_config_new(false, &config, NULL);
        lr_config_set_api_key(config, lr_emulator_api_key(emu), NULL);
        lr_config_set_app(config, "acme/rate", NULL);
        lr_config_set_base_url(config, lr_emulator_url(emu), NULL);
        CHECK(lr_config_set_rate_limit(config, bad[i], NULL) == LR_OK, "setter refused %g", bad[i]);
        lr_status status = lr_client_new(config, &client, &error);
        CHECK(status == LR_ERR_CONFIG && client == NULL && same(lr_error_kind(error), "config") &&
                  strstr(lr_error_api_message(error),
                         "the rate limit must be a number of requests per second above 0, got ") ==
                      lr_error_api_message(error),
              "rate limit %g: %d %s", bad[i], (int)status, lr_error_message(error));
        lr_error_free(error);
        lr_client_free(client);
        lr_config_free(config);
    }
    printf("ok   rate limits 0, -1, NaN and infinity: LR_ERR_CONFIG from lr_client_new, in the core's words\n");
}

static void test_client_rate_limit(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    /* 21 attempts at 20 per second: the first goes at once, each next one 50 ms later, so the
     * last cannot leave before 1 s (a little slack for the clock). Only a lower bound: a loaded
     * machine, or valgrind, may make it slower. */
    lr_client *client = client_with(emu, "paced", (client_options){.rate_limit = 20.0});
    double start = now_ms();
    lr_report *report = send_users(client, "paced", 21);
    double took = now_ms() - start;
    CHECK(lr_report_succeeded(report) == 21 && lr_report_failure_count(report) == 0, "%llu of 21 sent",
          (unsigned long long)lr_report_succeeded(report));
    CHECK(took >= 950, "21 users at 20 per second took %.0f ms", took);
    lr_report_free(report);
    lr_client_free(client);
    printf("ok   a client limited to 20/s sends 21 users in %.0f ms (at least 1 s)\n", took);
}

static void test_emulator_rate_limit(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    lr_error *error = NULL;
    CHECK(lr_emulator_rate_limit(emu) == 0, "no limit at start: %u", lr_emulator_rate_limit(emu));
    CHECK(lr_emulator_set_rate_limit(emu, 20, &error) == LR_OK, "set: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(lr_emulator_rate_limit(emu) == 20, "limit %u", lr_emulator_rate_limit(emu));

    /* 100 requests with no pacing and no retries: the bucket holds 20 and refills at 20 per
     * second, so some are refused with 429, each an API error the caller sees as such. (Under
     * valgrind the run is slower, but 100 requests still outrun 20 per second by far.) */
    lr_client *unpaced = client_with(emu, "limited", (client_options){0});
    lr_report *report = send_users(unpaced, "burst", 100);
    size_t refused = lr_report_failure_count(report);
    CHECK(refused > 0 && lr_report_succeeded(report) + refused == 100, "%zu of 100 refused", refused);
    size_t not_429 = 0;
    for (size_t i = 0; i < refused; i++) {
        const lr_error *e = lr_report_failure_error(report, i);
        if (lr_error_status(e) != LR_ERR_API || lr_error_http_status(e) != 429 || !lr_error_retryable(e)) not_429++;
    }
    CHECK(not_429 == 0, "%zu failures were not a retryable 429", not_429);
    CHECK(recorded_with_status(emu, 429) == refused && recorded_with_status(emu, 200) == 100 - refused,
          "recorded %zu 429s and %zu 200s for %zu refused", recorded_with_status(emu, 429),
          recorded_with_status(emu, 200), refused);
    lr_report_free(report);
    lr_client_free(unpaced);

    /* After a rest the bucket is full again (the limit stays through a reset); a client paced
     * below the limit is never refused. */
    struct timespec rest = {.tv_sec = 1, .tv_nsec = 100 * 1000 * 1000};
    nanosleep(&rest, NULL);
    lr_emulator_reset(emu, NULL);
    CHECK(lr_emulator_rate_limit(emu) == 20, "limit after reset %u", lr_emulator_rate_limit(emu));
    lr_client *paced = client_with(emu, "limited", (client_options){.rate_limit = 15.0});
    report = send_users(paced, "calm", 30);
    CHECK(lr_report_succeeded(report) == 30, "paced: %llu of 30 sent, first failure: %s",
          (unsigned long long)lr_report_succeeded(report),
          lr_report_failure_count(report) ? lr_error_message(lr_report_failure_error(report, 0)) : "none");
    CHECK(lr_emulator_request_count(emu) == 30 && recorded_with_status(emu, 200) == 30,
          "paced: %zu requests, %zu answered 200", lr_emulator_request_count(emu), recorded_with_status(emu, 200));
    lr_report_free(report);
    lr_client_free(paced);

    CHECK(lr_emulator_set_rate_limit(emu, 0, NULL) == LR_OK && lr_emulator_rate_limit(emu) == 0, "lifted");
    lr_emulator_reset(emu, NULL);
    printf("ok   an emulator limited to 20/s refused %zu of 100 unpaced requests with 429; 30 paced at 15/s all went through\n",
           refused);
}

int main(void) {
    lr_emulator *emu = NULL;
    lr_error *error = NULL;
    if (lr_emulator_start(NULL, &emu, &error) != LR_OK) {
        fprintf(stderr, "emulator: %s\n", lr_error_message(error));
        lr_error_free(error);
        return 1;
    }
    test_arguments(emu);
    test_failure_callback(emu);
    test_logging(emu);
    test_policy_error(emu);
    test_policy_block(emu);
    test_policy_drop_oldest(emu);
    test_deadlines(emu);
    test_free_delivers(emu);
    test_threads(emu);
    test_many_with_faults(emu);
    test_rate_limit_config(emu);
    test_client_rate_limit(emu);
    test_emulator_rate_limit(emu);
    lr_emulator_stop(emu);
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
