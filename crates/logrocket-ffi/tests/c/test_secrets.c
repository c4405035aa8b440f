/* The API key and the proxy's credentials appear in no output (issue 11 §4): a client with a
 * recognisable key and an explicit proxy URL with recognisable credentials (tinyproxy asking for
 * them, started by the shared tests/proxy/tinyproxy.sh) sends requests through the proxy to the
 * in-process emulator (plain http): successes, a 500 retried then given up, a 400, a bulk call
 * and background delivery with a failure; with the log callback at LR_LOG_TRACE and RUST_LOG /
 * LOGROCKET_LOG=trace in the environment. Everything the process writes to stdout and stderr
 * (redirected to a file meanwhile), every log line and every error's message and detail are
 * searched for the key, the proxy password and the Proxy-Authorization header's base64.
 *
 * The callback carries the library's own events (targets logrocket_identify*) only: C has no way
 * to see its dependencies' (reqwest, hyper, rustls) events, and the library installs no other
 * subscriber, so RUST_LOG changes nothing here (it is set to show that).
 * Run under AddressSanitizer too (scripts/test-c.sh).
 * Usage: test_secrets [path of tests/proxy/tinyproxy.sh] */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logrocket_identify.h"

#define KEY "secret-key-4f9a2c7e1b"
#define PROXY_CREDENTIALS "proxyuser:proxy-secret-77"
#define PROXY_PASSWORD "proxy-secret-77"
#define PROXY_BASE64 "cHJveHl1c2VyOnByb3h5LXNlY3JldC03Nw=="

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        checks++;                                                           \
        if (!(cond)) {                                                      \
            failures++;                                                     \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

/* ---- Everything seen: log lines and error texts, appended from any thread ---- */

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen = NULL;
static size_t seen_len = 0;
static int log_lines = 0;

static void see(const char *a, const char *b) {
    pthread_mutex_lock(&seen_lock);
    size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
    char *grown = realloc(seen, seen_len + la + lb + 3);
    if (grown) {
        seen = grown;
        if (la) memcpy(seen + seen_len, a, la);
        seen_len += la;
        seen[seen_len++] = ' ';
        if (lb) memcpy(seen + seen_len, b, lb);
        seen_len += lb;
        seen[seen_len++] = '\n';
        seen[seen_len] = 0;
    }
    pthread_mutex_unlock(&seen_lock);
}

static void on_log(void *user_data, lr_log_level level, const char *target, const char *message) {
    (void)user_data;
    (void)level;
    pthread_mutex_lock(&seen_lock);
    log_lines++;
    pthread_mutex_unlock(&seen_lock);
    see(target, message);
}

static void see_error(lr_error *error) {
    if (!error) return;
    see(lr_error_message(error), lr_error_detail(error));
    see(lr_error_api_message(error), lr_error_kind(error));
}

/* ---- tinyproxy ---- */

static const char *proxy_script = "tests/proxy/tinyproxy.sh";
static char proxy_dir[64];

static int proxy_start(void) {
    snprintf(proxy_dir, sizeof proxy_dir, "/tmp/lr-c-secrets-XXXXXX");
    if (!mkdtemp(proxy_dir)) return 0;
    char command[512];
    snprintf(command, sizeof command, "'%s' start '%s' %s", proxy_script, proxy_dir, PROXY_CREDENTIALS);
    FILE *p = popen(command, "r");
    if (!p) return 0;
    int port = 0;
    if (fscanf(p, "%d", &port) != 1) port = 0;
    pclose(p);
    return port;
}

static void proxy_stop(void) {
    char command[512];
    snprintf(command, sizeof command, "'%s' stop '%s'; rm -rf '%s'", proxy_script, proxy_dir, proxy_dir);
    if (system(command) != 0) fprintf(stderr, "could not stop tinyproxy\n");
}

/* How many requests tinyproxy logged. */
static int proxy_requests(void) {
    char path[128], line[1024];
    snprintf(path, sizeof path, "%s/tinyproxy.log", proxy_dir);
    FILE *f = fopen(path, "r");
    int count = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "Request (file descriptor")) count++;
    fclose(f);
    return count;
}

/* ---- Requests ---- */

static lr_status identify(const lr_client *client, const char *user_id) {
    lr_request *request = NULL;
    lr_user *user = NULL;
    lr_error *error = NULL;
    lr_status status = lr_request_new(user_id, &request, &error);
    if (status == LR_OK) {
        lr_request_set_trait_string(request, "plan", "pro", NULL);
        status = lr_client_identify(client, request, &user, &error);
    }
    see_error(error);
    lr_error_free(error);
    lr_user_free(user);
    lr_request_free(request);
    return status;
}

static void on_failure(void *user_data, const char *user_id, const lr_error *error, uint64_t updates) {
    (void)user_data;
    (void)updates;
    see(user_id, lr_error_message(error));
    see(lr_error_detail(error), lr_error_api_message(error));
}

/* Requests the emulator recorded before the resets. */
static size_t emulator_requests = 0;

/* Injects `json`'s faults after clearing any left over: through tinyproxy an attempt now and
 * then fails on a pooled connection the proxy has closed (a transport error, retried), which
 * would leave a fault for the next request. */
static void faults(const lr_emulator *emu, const char *json) {
    emulator_requests += lr_emulator_request_count(emu);
    CHECK(lr_emulator_reset(emu, NULL) == LR_OK, "reset");
    CHECK(lr_emulator_add_faults(emu, json, NULL) == LR_OK, "faults %s", json);
}

static void leaked(const char *where, const char *text) {
    const char *secrets[] = {KEY, PROXY_PASSWORD, PROXY_BASE64};
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        const char *at = text ? strstr(text, secrets[i]) : NULL;
        CHECK(at == NULL, "%s holds %s: ...%.200s", where, secrets[i],
              at ? (at - text > 100 ? at - 100 : text) : "");
    }
}

int main(int argc, char **argv) {
    if (argc > 1) proxy_script = argv[1];
    const char *proxy_variables[] = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"};
    for (size_t i = 0; i < sizeof proxy_variables / sizeof proxy_variables[0]; i++) unsetenv(proxy_variables[i]);
    setenv("RUST_LOG", "trace", 1);
    setenv("LOGROCKET_LOG", "trace", 1);

    int port = proxy_start();
    if (!port) {
        fprintf(stderr, "FAIL: tinyproxy did not start\n");
        return 1;
    }

    /* stdout and stderr into a file while the library works. */
    char capture_path[] = "/tmp/lr-c-secrets-output-XXXXXX";
    int capture = mkstemp(capture_path);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(capture, 1);
    dup2(capture, 2);

    lr_error *error = NULL;
    lr_status set = lr_set_log_callback(on_log, NULL, LR_LOG_TRACE, &error);
    see_error(error);
    lr_error_free(error);
    error = NULL;

    lr_emulator *emu = NULL;
    lr_emulator_start(KEY, &emu, NULL);
    lr_config *config = NULL;
    lr_client *client = NULL;
    char proxy_url[128];
    snprintf(proxy_url, sizeof proxy_url, "http://" PROXY_CREDENTIALS "@127.0.0.1:%d", port);
    lr_config_new(false, &config, NULL);
    lr_config_set_api_key(config, KEY, NULL);
    lr_config_set_app(config, "acme/secrets", NULL);
    lr_config_set_base_url(config, emu ? lr_emulator_url(emu) : "http://127.0.0.1:9", NULL);
    lr_config_set_proxy_from_env(config, false, NULL);
    lr_config_set_proxy(config, proxy_url, NULL);
    lr_config_set_max_retries(config, 2, NULL);
    lr_config_set_on_failure(config, on_failure, NULL, NULL);
    lr_status built = lr_client_new(config, &client, &error);
    see_error(error);
    lr_error_free(error);
    error = NULL;

    lr_status ok1 = LR_OK, ok2 = LR_OK, failed500 = LR_OK, failed400 = LR_OK, bulk = LR_OK, enq = LR_OK, closed = LR_OK;
    uint64_t failed_updates = 0;
    size_t bulk_failures = 0;
    if (client && emu) {
        ok1 = identify(client, "u1");
        faults(emu, "{\"script\": [{\"status\": 500}, {\"status\": 500}, {\"status\": 500}]}");
        failed500 = identify(client, "u-500");
        faults(emu, "{\"script\": [{\"status\": 400}]}");
        failed400 = identify(client, "u-400");
        faults(emu, "{\"script\": []}");
        ok2 = identify(client, "u2");
        lr_report *report = NULL;
        faults(emu, "{\"script\": [{\"status\": 422}]}");
        const char *lines = "{\"user_id\": \"b1\"}\n{\"user_id\": \"b2\"}\n{\"user_id\": \"b3\"}\n";
        bulk = lr_client_identify_many_json(client, lines, strlen(lines), 2, &report, &error);
        see_error(error);
        lr_error_free(error);
        error = NULL;
        for (size_t i = 0; report && i < lr_report_failure_count(report); i++) {
            const lr_error *e = lr_report_failure_error(report, i);
            see(lr_report_failure_user_id(report, i), lr_error_message(e));
            see(lr_error_detail(e), lr_error_api_message(e));
        }
        bulk_failures = report ? lr_report_failure_count(report) : 0;
        lr_report_free(report);
        /* Background delivery: one update refused (it reaches the failure callback and the log). */
        faults(emu, "{\"script\": [{\"status\": 400}]}");
        lr_request *request = NULL;
        lr_request_new("q1", &request, NULL);
        enq = lr_client_enqueue(client, request, &error);
        see_error(error);
        lr_error_free(error);
        error = NULL;
        lr_request_free(request);
        lr_flush_summary summary;
        memset(&summary, 0, sizeof summary);
        closed = lr_client_close(client, 10000, &summary, &error);
        failed_updates = summary.failed;
        see_error(error);
        lr_error_free(error);
        error = NULL;
    }
    int requests_seen = proxy_requests();
    emulator_requests += emu ? lr_emulator_request_count(emu) : 0;
    lr_client_free(client);
    lr_config_free(config);
    lr_emulator_stop(emu);
    lr_set_log_callback(NULL, NULL, LR_LOG_TRACE, NULL);

    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);

    /* What the process wrote meanwhile. */
    char *output = NULL;
    long size = lseek(capture, 0, SEEK_END);
    if (size >= 0) {
        output = calloc(1, (size_t)size + 1);
        lseek(capture, 0, SEEK_SET);
        if (output && read(capture, output, (size_t)size) != size) output[0] = 0;
    }
    close(capture);
    unlink(capture_path);

    CHECK(set == LR_OK, "lr_set_log_callback");
    CHECK(built == LR_OK && emu != NULL, "client and emulator");
    CHECK(ok1 == LR_OK && ok2 == LR_OK, "the successes: %d %d", (int)ok1, (int)ok2);
    CHECK(failed500 != LR_OK && failed400 != LR_OK, "the failures: %d %d", (int)failed500, (int)failed400);
    CHECK(bulk == LR_OK && bulk_failures == 1 && enq == LR_OK && closed == LR_OK, "bulk %d (%zu failures) enqueue %d close %d", (int)bulk, bulk_failures, (int)enq, (int)closed);
    CHECK(failed_updates == 1, "background delivery: %llu failed, expected 1", (unsigned long long)failed_updates);
    CHECK(requests_seen >= 8, "the requests went through the proxy: it logged %d", requests_seen);
    CHECK(emulator_requests >= 8, "the emulator saw %zu requests", emulator_requests);
    CHECK(log_lines > 0, "the log callback at trace saw something");

    leaked("stdout/stderr", output);
    leaked("the log callback and the errors", seen);
    printf("%s   no key, proxy password or Proxy-Authorization in %zu bytes of output and %d log lines "
           "(%d requests through the proxy)\n",
           failures ? "FAIL" : "ok", output ? strlen(output) : 0, log_lines, requests_seen);
    if (failures && output && *output) fprintf(stderr, "---- output ----\n%s\n", output);
    if (getenv("LR_TEST_SECRETS_SHOW")) printf("---- log lines and errors ----\n%s\n", seen ? seen : "");
    free(output);
    free(seen);
    proxy_stop();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
