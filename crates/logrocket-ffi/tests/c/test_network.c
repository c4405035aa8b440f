/* C tests of the network settings (lr_config_set_proxy, lr_config_set_proxy_from_env,
 * lr_config_add_ca_cert, lr_config_set_http1_only, lr_config_set_connect_timeout_ms), of
 * lr_error_transport_reason and of the emulator's HTTPS mode (lr_emulator_start_tls,
 * lr_emulator_ca_cert_path, lr_recorded_request_protocol), against the in-process emulator over
 * TLS and a real forward proxy: tinyproxy, started by the shared tests/proxy/tinyproxy.sh, whose
 * log shows each CONNECT. Run under valgrind too (scripts/test-c.sh).
 *
 * Every client here ignores the proxy environment variables unless the test is about them, and
 * the variables are cleared at the start (and restored at the end), so a proxy set in the CI
 * environment changes nothing.
 * Usage: test_network [path of tests/proxy/tinyproxy.sh] */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static bool starts_with(const char *text, const char *prefix) {
    return text && strncmp(text, prefix, strlen(prefix)) == 0;
}

static bool contains(const char *text, const char *part) { return text && strstr(text, part) != NULL; }

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
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

static bool file_exists(const char *path) { return path && access(path, F_OK) == 0; }

/* ---- The proxy environment: cleared for the whole run, restored at the end ---- */

static const char *const proxy_variables[] = {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
                                              "ALL_PROXY",   "all_proxy",   "NO_PROXY",   "no_proxy"};
#define PROXY_VARIABLES (sizeof proxy_variables / sizeof proxy_variables[0])
static char *saved_variables[PROXY_VARIABLES];

static void clear_proxy_environment(void) {
    for (size_t i = 0; i < PROXY_VARIABLES; i++) {
        const char *value = getenv(proxy_variables[i]);
        saved_variables[i] = value ? strdup(value) : NULL;
        unsetenv(proxy_variables[i]);
    }
}

static void restore_proxy_environment(void) {
    for (size_t i = 0; i < PROXY_VARIABLES; i++) {
        if (saved_variables[i]) setenv(proxy_variables[i], saved_variables[i], 1);
        else unsetenv(proxy_variables[i]);
        free(saved_variables[i]);
        saved_variables[i] = NULL;
    }
}

/* ---- tinyproxy, through tests/proxy/tinyproxy.sh ---- */

static const char *proxy_script = "tests/proxy/tinyproxy.sh";

typedef struct {
    char dir[64];
    int port; /* 0: not running */
} proxy;

/* Starts tinyproxy in a fresh directory, asking for `credentials` ("user:password") unless NULL,
 * and reads its port from the script's output. */
static bool proxy_start(proxy *p, const char *credentials) {
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "/tmp/lr-c-proxy-XXXXXX");
    if (!mkdtemp(p->dir)) {
        fprintf(stderr, "mkdtemp failed\n");
        return false;
    }
    char command[512];
    snprintf(command, sizeof command, "'%s' start '%s' %s", proxy_script, p->dir, credentials ? credentials : "");
    FILE *out = popen(command, "r");
    if (!out) return false;
    int port = 0;
    if (fscanf(out, "%d", &port) != 1) port = 0;
    int status = pclose(out);
    if (status != 0 || port <= 0) {
        fprintf(stderr, "%s: exit %d, port %d\n", command, status, port);
        return false;
    }
    p->port = port;
    return true;
}

static void proxy_stop(proxy *p) {
    if (!p->dir[0]) return;
    char command[512];
    snprintf(command, sizeof command, "'%s' stop '%s'", proxy_script, p->dir);
    CHECK(system(command) == 0, "%s", command);
    const char *files[] = {"tinyproxy.conf", "tinyproxy.log", "tinyproxy.out", "tinyproxy.pid"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", p->dir, files[i]);
        unlink(path);
    }
    rmdir(p->dir);
    p->port = 0;
    p->dir[0] = 0;
}

/* The proxy's URL, with "user:password@" when `credentials` is given. */
static void proxy_url(const proxy *p, const char *credentials, char *url, size_t n) {
    snprintf(url, n, "http://%s%s127.0.0.1:%d", credentials ? credentials : "", credentials ? "@" : "", p->port);
}

/* How many lines of the proxy's log hold `needle`. */
static int proxy_log_count(const proxy *p, const char *needle) {
    char path[128];
    snprintf(path, sizeof path, "%s/tinyproxy.log", p->dir);
    char *log = read_file(path);
    int n = 0;
    for (const char *at = log; at && (at = strstr(at, needle)) != NULL; at += strlen(needle)) n++;
    free(log);
    return n;
}

/* How many CONNECTs to 127.0.0.1:`port` the proxy logged. */
static int proxy_connects(const proxy *p, int port) {
    char needle[64];
    snprintf(needle, sizeof needle, "): CONNECT 127.0.0.1:%d ", port);
    return proxy_log_count(p, needle);
}

/* How many requests of any kind the proxy logged. */
static int proxy_requests(const proxy *p) { return proxy_log_count(p, "Request (file descriptor"); }

/* ---- Clients ---- */

typedef struct {
    const char *ca;       /* lr_config_add_ca_cert, unless NULL */
    const char *ca2;      /* a second lr_config_add_ca_cert, unless NULL */
    const char *proxy;    /* lr_config_set_proxy, unless NULL */
    bool proxy_from_env;  /* off unless a test is about the environment */
    bool http1_only;
    uint32_t max_retries;
    const char *base_url; /* the emulator's unless set */
} net_options;

/* A client of `emu` with the given network settings; NULL with *error set if it cannot be
 * built (error may be NULL when the test expects success). */
static lr_client *net_client(const lr_emulator *emu, net_options o, lr_error **error) {
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_error *own = NULL;
    if (lr_config_new(false, &config, NULL) != LR_OK) return NULL;
    lr_config_set_api_key(config, lr_emulator_api_key(emu), NULL);
    lr_config_set_app(config, "acme/net", NULL);
    lr_config_set_base_url(config, o.base_url ? o.base_url : lr_emulator_url(emu), NULL);
    lr_config_set_max_retries(config, o.max_retries, NULL);
    CHECK(lr_config_set_proxy_from_env(config, o.proxy_from_env, NULL) == LR_OK, "proxy_from_env");
    if (o.ca) CHECK(lr_config_add_ca_cert(config, o.ca, NULL) == LR_OK, "ca");
    if (o.ca2) CHECK(lr_config_add_ca_cert(config, o.ca2, NULL) == LR_OK, "second ca");
    if (o.proxy) CHECK(lr_config_set_proxy(config, o.proxy, NULL) == LR_OK, "proxy");
    if (o.http1_only) CHECK(lr_config_set_http1_only(config, true, NULL) == LR_OK, "http1_only");
    lr_status status = lr_client_new(config, &client, error ? error : &own);
    if (status != LR_OK && !error) fprintf(stderr, "client: %s\n", lr_error_message(own));
    lr_error_free(own);
    lr_config_free(config);
    return client;
}

/* Sends user `user_id`; on failure *error (when not NULL) is the call's error. */
static lr_status identify(const lr_client *client, const char *user_id, lr_error **error) {
    lr_request *request = NULL;
    lr_user *user = NULL;
    lr_status status = lr_request_new(user_id, &request, error);
    if (status == LR_OK) status = lr_client_identify(client, request, &user, error);
    lr_user_free(user);
    lr_request_free(request);
    return status;
}

static uint64_t retried(const lr_client *client) {
    lr_counters c;
    memset(&c, 0, sizeof c);
    CHECK(lr_client_counters(client, &c, NULL) == LR_OK, "counters");
    return c.retried;
}

static bool stored(const lr_emulator *emu, const char *user_id) {
    lr_user *user = NULL;
    lr_emulator_user(emu, "acme", "net", user_id, &user, NULL);
    bool found = user != NULL;
    lr_user_free(user);
    return found;
}

/* The protocol of recorded request `index` ("" when there is none). */
static char protocol[16];
static const char *protocol_of(const lr_emulator *emu, size_t index) {
    lr_recorded_request *r = NULL;
    protocol[0] = 0;
    if (lr_emulator_request(emu, index, &r, NULL) == LR_OK && lr_recorded_request_protocol(r))
        snprintf(protocol, sizeof protocol, "%s", lr_recorded_request_protocol(r));
    lr_recorded_request_free(r);
    return protocol;
}

/* The emulator's port, from its URL. */
static int port_of(const lr_emulator *emu) {
    const char *colon = strrchr(lr_emulator_url(emu), ':');
    return colon ? atoi(colon + 1) : 0;
}

/* ---- NULL arguments and invalid UTF-8 on every new export ---- */

static void expect_invalid(lr_status status, lr_error *error, const char *field, int line) {
    checks++;
    if (status != LR_ERR_INVALID_ARGUMENT || !same(lr_error_field(error), field) ||
        !same(lr_error_kind(error), "invalid_argument") || lr_error_transport_reason(error) != NULL) {
        failures++;
        fprintf(stderr, "FAIL line %d: status %d field %s, expected invalid argument %s\n", line, (int)status,
                lr_error_field(error), field);
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

static void test_arguments(const lr_emulator *plain) {
    static const char bad[] = {'a', (char)0xff, 'b', 0};
    lr_config *config = NULL;
    lr_emulator *emu = NULL;
    CHECK(lr_config_new(false, &config, NULL) == LR_OK, "config");

    EXPECT_INVALID(lr_config_set_proxy(NULL, "http://proxy:3128", E), "config");
    EXPECT_INVALID(lr_config_set_proxy(config, NULL, E), "proxy");
    EXPECT_INVALID(lr_config_set_proxy(config, bad, E), "proxy");
    EXPECT_INVALID(lr_config_set_proxy_from_env(NULL, false, E), "config");
    EXPECT_INVALID(lr_config_add_ca_cert(NULL, "/etc/ssl/ca.pem", E), "config");
    EXPECT_INVALID(lr_config_add_ca_cert(config, NULL, E), "ca_cert");
    EXPECT_INVALID(lr_config_add_ca_cert(config, bad, E), "ca_cert");
    EXPECT_INVALID(lr_config_set_http1_only(NULL, true, E), "config");
    EXPECT_INVALID(lr_config_set_connect_timeout_ms(NULL, 1000, E), "config");
    EXPECT_INVALID(lr_emulator_start_tls(bad, NULL, &emu, E), "api_key");
    EXPECT_INVALID(lr_emulator_start_tls(NULL, bad, &emu, E), "ca_cert_path");
    EXPECT_INVALID(lr_emulator_start_tls(NULL, NULL, NULL, E), "out");
    CHECK(emu == NULL, "no emulator on failure");
    CHECK(lr_config_set_proxy(NULL, "x", NULL) == LR_ERR_INVALID_ARGUMENT, "status without error out");

    CHECK(lr_error_transport_reason(NULL) == NULL, "reason of NULL");
    CHECK(lr_emulator_ca_cert_path(NULL) == NULL && lr_emulator_ca_cert_pem(NULL) == NULL, "CA of NULL");
    CHECK(lr_emulator_ca_cert_path(plain) == NULL && lr_emulator_ca_cert_pem(plain) == NULL,
          "a plain emulator has no CA: %s", lr_emulator_ca_cert_path(plain));
    CHECK(starts_with(lr_emulator_url(plain), "http://"), "plain url %s", lr_emulator_url(plain));
    CHECK(lr_recorded_request_protocol(NULL) == NULL, "protocol of NULL");
    CHECK(lr_default_connect_timeout_ms() == 5000, "default connect timeout %llu",
          (unsigned long long)lr_default_connect_timeout_ms());

    /* The setters only record; lr_client_new judges, in the core's words. */
    lr_client *client = NULL;
    lr_error *error = NULL;
    lr_config_set_api_key(config, "k", NULL);
    lr_config_set_app(config, "acme/net", NULL);
    CHECK(lr_config_set_connect_timeout_ms(config, 0, NULL) == LR_OK, "setter takes 0");
    lr_status status = lr_client_new(config, &client, &error);
    CHECK(status == LR_ERR_CONFIG && contains(lr_error_api_message(error), "connect timeout") &&
              lr_error_transport_reason(error) == NULL,
          "connect timeout 0: %d %s", (int)status, lr_error_message(error));
    lr_error_free(error);
    CHECK(lr_config_set_connect_timeout_ms(config, 2500, NULL) == LR_OK, "connect timeout");

    /* A proxy URL the core refuses: a config error whose text never holds the password. */
    CHECK(lr_config_set_proxy(config, "socks9://alice:s3cret@proxy:1080", NULL) == LR_OK, "setter takes it");
    status = lr_client_new(config, &client, &error);
    CHECK(status == LR_ERR_CONFIG && starts_with(lr_error_message(error), "configuration error: proxy scheme") &&
              !contains(lr_error_message(error), "s3cret") && !contains(lr_error_api_message(error), "s3cret"),
          "bad proxy: %d %s", (int)status, lr_error_message(error));
    lr_error_free(error);
    CHECK(lr_config_set_proxy(config, "http://proxy.internal:3128", NULL) == LR_OK, "replaced");

    /* A CA file that is missing: a config error from lr_client_new, naming the file. */
    CHECK(lr_config_add_ca_cert(config, "/no/such/ca.pem", NULL) == LR_OK, "setter takes a path");
    status = lr_client_new(config, &client, &error);
    CHECK(status == LR_ERR_CONFIG && contains(lr_error_message(error), "cannot read the CA certificate file /no/such/ca.pem"),
          "missing CA: %d %s", (int)status, lr_error_message(error));
    CHECK(client == NULL, "no client");
    lr_error_free(error);
    lr_config_free(config);

    /* PEM text with no certificate in it. */
    lr_config_new(false, &config, NULL);
    lr_config_set_api_key(config, "k", NULL);
    lr_config_set_app(config, "acme/net", NULL);
    lr_config_add_ca_cert(config, "-----BEGIN NOTHING-----\n", NULL);
    status = lr_client_new(config, &client, &error);
    CHECK(status == LR_ERR_CONFIG && contains(lr_error_message(error), "holds no PEM certificate"),
          "empty PEM: %d %s", (int)status, lr_error_message(error));
    lr_error_free(error);
    lr_config_free(config);
    printf("ok   NULL and invalid UTF-8 on every network export; bad proxy URL, CA and connect timeout: LR_ERR_CONFIG\n");
}

/* ---- 1. HTTPS trusted through the CA option: HTTP/2, or HTTP/1.1 when asked ---- */

static void test_https_trusted(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    const char *path = lr_emulator_ca_cert_path(emu);
    const char *pem = lr_emulator_ca_cert_pem(emu);
    CHECK(starts_with(lr_emulator_url(emu), "https://127.0.0.1:"), "url %s", lr_emulator_url(emu));
    CHECK(file_exists(path), "CA file %s", path);
    CHECK(starts_with(pem, "-----BEGIN CERTIFICATE-----"), "PEM %.30s", pem);
    char *from_file = read_file(path);
    CHECK(same(from_file, pem), "the file holds the PEM");
    free(from_file);

    lr_error *error = NULL;
    lr_client *by_pem = net_client(emu, (net_options){.ca = pem}, NULL);
    lr_status status = identify(by_pem, "h2-pem", &error);
    CHECK(status == LR_OK, "trusted by PEM: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(same(protocol_of(emu, 0), "HTTP/2.0"), "protocol %s", protocol_of(emu, 0));
    lr_client_free(by_pem);

    lr_client *by_path = net_client(emu, (net_options){.ca = path}, NULL);
    status = identify(by_path, "h2-path", &error);
    CHECK(status == LR_OK, "trusted by path: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(same(protocol_of(emu, 1), "HTTP/2.0"), "protocol %s", protocol_of(emu, 1));
    lr_client_free(by_path);

    /* Called twice: both CAs are trusted (here the same one, as PEM and as a file). */
    lr_client *http1 = net_client(emu, (net_options){.ca = path, .ca2 = pem, .http1_only = true}, NULL);
    status = identify(http1, "h1", &error);
    CHECK(status == LR_OK, "http1: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(same(protocol_of(emu, 2), "HTTP/1.1"), "protocol %s", protocol_of(emu, 2));
    lr_client_free(http1);

    CHECK(lr_emulator_request_count(emu) == 3 && stored(emu, "h2-pem") && stored(emu, "h2-path") && stored(emu, "h1"),
          "%zu requests", lr_emulator_request_count(emu));
    printf("ok   HTTPS with the CA trusted (PEM text, a file, both): HTTP/2.0, and HTTP/1.1 when http1_only\n");
}

/* An emulator given a CA path writes it there and leaves it when it stops. */
static void test_named_ca_path(void) {
    char dir[] = "/tmp/lr-c-ca-XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[64];
    snprintf(path, sizeof path, "%s/ca.pem", dir);
    lr_emulator *emu = NULL;
    lr_error *error = NULL;
    CHECK(lr_emulator_start_tls("other-key", path, &emu, &error) == LR_OK, "start: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(same(lr_emulator_ca_cert_path(emu), path), "path %s", lr_emulator_ca_cert_path(emu));
    CHECK(same(lr_emulator_api_key(emu), "other-key"), "key");
    lr_client *client = net_client(emu, (net_options){.ca = path}, NULL);
    CHECK(identify(client, "named", NULL) == LR_OK, "trusted by the named file");
    lr_client_free(client);
    lr_emulator_stop(emu);
    CHECK(file_exists(path), "a named CA file stays after stop");
    unlink(path);
    rmdir(dir);

    /* A CA file the emulator chose is removed when it stops. */
    lr_emulator_start_tls(NULL, NULL, &emu, NULL);
    char chosen[512];
    snprintf(chosen, sizeof chosen, "%s", lr_emulator_ca_cert_path(emu));
    CHECK(file_exists(chosen), "temporary CA file %s", chosen);
    lr_emulator_stop(emu);
    CHECK(!file_exists(chosen), "temporary CA file removed at stop");
    printf("ok   lr_emulator_start_tls with a named CA path keeps it; without one its temporary file goes at stop\n");
}

/* ---- 2. Without the CA: reason tls, not retried ---- */

static void test_https_untrusted(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    lr_client *client = net_client(emu, (net_options){.max_retries = 3}, NULL);
    lr_error *error = NULL;
    lr_status status = identify(client, "untrusted", &error);
    CHECK(status == LR_ERR_TRANSPORT && same(lr_error_kind(error), "transport") &&
              same(lr_error_transport_reason(error), "tls") && !lr_error_retryable(error),
          "untrusted: %d %s (%s)", (int)status, lr_error_message(error), lr_error_transport_reason(error));
    /* The whole text is the core's Display, the reason in it. */
    char whole[1024];
    snprintf(whole, sizeof whole, "transport error (tls): %s", lr_error_api_message(error));
    CHECK(same(lr_error_message(error), whole), "text %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(retried(client) == 0, "retried %llu times", (unsigned long long)retried(client));
    CHECK(lr_emulator_request_count(emu) == 0, "%zu requests reached the emulator", lr_emulator_request_count(emu));
    lr_client_free(client);

    /* Errors of other kinds have no reason. */
    lr_emulator_add_faults(emu, "{\"script\": [{\"status\": 400}]}", NULL);
    client = net_client(emu, (net_options){.ca = lr_emulator_ca_cert_path(emu)}, NULL);
    status = identify(client, "api-error", &error);
    CHECK(status == LR_ERR_API && lr_error_transport_reason(error) == NULL, "api error: %d %s", (int)status,
          lr_error_transport_reason(error));
    lr_error_free(error);
    lr_client_free(client);
    printf("ok   HTTPS without the CA: transport error, reason tls, not retried, nothing recorded\n");
}

/* ---- 3. Through the proxy: from the environment and explicit ---- */

static void test_proxy(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    proxy p;
    if (!proxy_start(&p, NULL)) {
        CHECK(false, "tinyproxy did not start");
        return;
    }
    int port = port_of(emu);
    const char *ca = lr_emulator_ca_cert_path(emu);
    char url[128];
    proxy_url(&p, NULL, url, sizeof url);
    lr_error *error = NULL;

    /* From the environment: read when the client is built. */
    setenv("HTTPS_PROXY", url, 1);
    lr_client *from_env = net_client(emu, (net_options){.ca = ca, .proxy_from_env = true}, NULL);
    unsetenv("HTTPS_PROXY");
    lr_status status = identify(from_env, "env-1", &error);
    CHECK(status == LR_OK, "through HTTPS_PROXY: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(proxy_connects(&p, port) == 1, "%d CONNECTs after one request", proxy_connects(&p, port));
    CHECK(stored(emu, "env-1"), "user stored through the proxy");
    lr_client_free(from_env);

    /* A client that does not honour the environment goes direct even with HTTPS_PROXY set. */
    setenv("HTTPS_PROXY", url, 1);
    lr_client *direct = net_client(emu, (net_options){.ca = ca}, NULL);
    unsetenv("HTTPS_PROXY");
    int before = proxy_requests(&p);
    CHECK(identify(direct, "direct", NULL) == LR_OK && proxy_requests(&p) == before, "proxy_from_env off went through the proxy");
    lr_client_free(direct);

    /* Explicit: one client per request, so each opens its own tunnel. */
    for (int i = 0; i < 2; i++) {
        before = proxy_connects(&p, port);
        lr_client *through = net_client(emu, (net_options){.ca = ca, .proxy = url}, NULL);
        char user_id[32];
        snprintf(user_id, sizeof user_id, "explicit-%d", i);
        status = identify(through, user_id, &error);
        CHECK(status == LR_OK, "through the explicit proxy: %s", lr_error_message(error));
        lr_error_free(error);
        CHECK(proxy_connects(&p, port) == before + 1, "%d CONNECTs, %d before", proxy_connects(&p, port), before);
        CHECK(stored(emu, user_id), "%s stored", user_id);
        lr_client_free(through);
    }
    proxy_stop(&p);
    printf("ok   HTTPS through tinyproxy, from HTTPS_PROXY and from lr_config_set_proxy: one CONNECT per request, users stored\n");
}

/* ---- 4. NO_PROXY bypasses the environment's proxy ---- */

static void test_no_proxy(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    proxy p;
    if (!proxy_start(&p, NULL)) {
        CHECK(false, "tinyproxy did not start");
        return;
    }
    char url[128];
    proxy_url(&p, NULL, url, sizeof url);
    setenv("HTTPS_PROXY", url, 1);
    setenv("NO_PROXY", "127.0.0.1", 1);
    lr_client *client = net_client(emu, (net_options){.ca = lr_emulator_ca_cert_path(emu), .proxy_from_env = true}, NULL);
    unsetenv("HTTPS_PROXY");
    unsetenv("NO_PROXY");
    lr_error *error = NULL;
    lr_status status = identify(client, "bypass", &error);
    CHECK(status == LR_OK, "NO_PROXY: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(proxy_connects(&p, port_of(emu)) == 0 && proxy_requests(&p) == 0, "%d requests reached the proxy",
          proxy_requests(&p));
    CHECK(stored(emu, "bypass"), "stored directly");
    lr_client_free(client);
    proxy_stop(&p);
    printf("ok   NO_PROXY=127.0.0.1 with HTTPS_PROXY set: sent directly, no CONNECT\n");
}

/* ---- 5. The proxy's credentials: used when right, reason proxy when wrong ---- */

static void test_proxy_credentials(const lr_emulator *emu) {
    lr_emulator_reset(emu, NULL);
    proxy p;
    if (!proxy_start(&p, "alice:s3cret")) {
        CHECK(false, "tinyproxy did not start");
        return;
    }
    int port = port_of(emu);
    const char *ca = lr_emulator_ca_cert_path(emu);
    char right[128], wrong[128];
    proxy_url(&p, "alice:s3cret", right, sizeof right);
    proxy_url(&p, "alice:wrong", wrong, sizeof wrong);
    lr_error *error = NULL;

    lr_client *client = net_client(emu, (net_options){.ca = ca, .proxy = right}, NULL);
    lr_status status = identify(client, "alice", &error);
    CHECK(status == LR_OK, "right credentials: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(proxy_connects(&p, port) == 1 && stored(emu, "alice"), "%d CONNECTs", proxy_connects(&p, port));
    lr_client_free(client);

    lr_emulator_reset(emu, NULL);
    int before = proxy_connects(&p, port);
    client = net_client(emu, (net_options){.ca = ca, .proxy = wrong, .max_retries = 3}, NULL);
    status = identify(client, "mallory", &error);
    CHECK(status == LR_ERR_TRANSPORT && same(lr_error_transport_reason(error), "proxy") && !lr_error_retryable(error),
          "wrong password: %d %s (%s)", (int)status, lr_error_message(error), lr_error_transport_reason(error));
    CHECK(starts_with(lr_error_message(error), "transport error (proxy): "), "text %s", lr_error_message(error));
    CHECK(!contains(lr_error_message(error), "wrong") && !contains(lr_error_api_message(error), "wrong") &&
              !contains(lr_error_message(error), "s3cret") && lr_error_field(error) == NULL &&
              lr_error_detail(error) == NULL,
          "the password shows: %s", lr_error_message(error));
    lr_error_free(error);
    CHECK(proxy_connects(&p, port) == before + 1, "tried %d times", proxy_connects(&p, port) - before);
    CHECK(retried(client) == 0, "retried %llu times", (unsigned long long)retried(client));
    CHECK(lr_emulator_request_count(emu) == 0, "%zu requests reached the emulator", lr_emulator_request_count(emu));
    lr_client_free(client);
    proxy_stop(&p);
    printf("ok   proxy credentials: the right ones tunnel, a wrong password is reason proxy, tried once, never shown\n");
}

/* ---- 6. A host that does not resolve: reason dns, not retried ---- */

static void test_dns(const lr_emulator *emu) {
    lr_client *client = net_client(emu, (net_options){.base_url = "https://no-such-host.invalid", .max_retries = 3}, NULL);
    lr_error *error = NULL;
    double start = now_ms();
    lr_status status = identify(client, "nobody", &error);
    double took = now_ms() - start;
    CHECK(status == LR_ERR_TRANSPORT && same(lr_error_transport_reason(error), "dns") && !lr_error_retryable(error),
          "dns: %d %s (%s)", (int)status, lr_error_message(error), lr_error_transport_reason(error));
    CHECK(contains(lr_error_message(error), "cannot resolve no-such-host.invalid"), "text %s", lr_error_message(error));
    lr_error_free(error);
    /* The counter proves it: the backoff (full jitter) may be near 0, so time alone would not. */
    CHECK(retried(client) == 0, "retried %llu times", (unsigned long long)retried(client));
    lr_client_free(client);
    printf("ok   https://no-such-host.invalid: reason dns, not retried (%.0f ms)\n", took);
}

int main(int argc, char **argv) {
    if (argc > 1) proxy_script = argv[1];
    clear_proxy_environment();
    lr_emulator *plain = NULL, *emu = NULL;
    lr_error *error = NULL;
    if (lr_emulator_start(NULL, &plain, &error) != LR_OK || lr_emulator_start_tls(NULL, NULL, &emu, &error) != LR_OK) {
        fprintf(stderr, "emulator: %s\n", lr_error_message(error));
        lr_error_free(error);
        lr_emulator_stop(plain);
        return 1;
    }
    test_arguments(plain);
    test_https_trusted(emu);
    test_named_ca_path();
    test_https_untrusted(emu);
    test_proxy(emu);
    test_no_proxy(emu);
    test_proxy_credentials(emu);
    test_dns(emu);
    lr_emulator_stop(emu);
    lr_emulator_stop(plain);
    restore_proxy_environment();
    printf("%d checks, %d failures\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
