/* The fault matrix's C client: sends a JSON Lines file of users through the C API's bulk call,
 * lr_client_identify_many_json, and writes what the client itself says happened as JSON (see
 * tests/faults/check.py for the format). Only the bulk call: C has lr_client_enqueue too, but
 * the matrix drives background delivery from Python, Node and Go.
 *
 *   faults-c bulk URL CA_OR_EMPTY INPUT.jsonl OUT.json
 *
 * Settings come from FAULTS_API_KEY, FAULTS_APP, FAULTS_TIMEOUT_MS and FAULTS_RETRIES. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logrocket_identify.h"

static const char *env(const char *name) {
    const char *value = getenv(name);
    if (value == NULL) {
        fprintf(stderr, "%s is not set\n", name);
        exit(2);
    }
    return value;
}

static void die(const char *what, struct lr_error *error) {
    fprintf(stderr, "%s: %s\n", what, error != NULL ? lr_error_message(error) : "(no error)");
    lr_error_free(error);
    exit(1);
}

/* A JSON string: quotes, backslashes and control characters escaped; UTF-8 passed through. */
static void put_string(FILE *out, const char *s) {
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', out);
            fputc(*p, out);
        } else if (*p < 0x20) {
            fprintf(out, "\\u%04x", *p);
        } else {
            fputc(*p, out);
        }
    }
    fputc('"', out);
}

static char *read_file(const char *path, size_t *len) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        perror(path);
        exit(1);
    }
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *buffer = malloc((size_t)size + 1);
    if (buffer == NULL || fread(buffer, 1, (size_t)size, file) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(file);
    *len = (size_t)size;
    return buffer;
}

int main(int argc, char **argv) {
    if (argc != 6 || strcmp(argv[1], "bulk") != 0) {
        fprintf(stderr, "usage: faults-c bulk URL CA_OR_EMPTY INPUT.jsonl OUT.json\n");
        return 2;
    }
    const char *url = argv[2], *ca = argv[3], *input = argv[4], *out_path = argv[5];
    uint64_t timeout_ms = strtoull(env("FAULTS_TIMEOUT_MS"), NULL, 10);
    struct lr_error *error = NULL;
    struct lr_config *config = NULL;
    if (lr_config_new(false, &config, &error) != LR_OK) die("lr_config_new", error);
    if (lr_config_set_api_key(config, env("FAULTS_API_KEY"), &error) != LR_OK ||
        lr_config_set_app(config, env("FAULTS_APP"), &error) != LR_OK ||
        lr_config_set_base_url(config, url, &error) != LR_OK ||
        lr_config_set_proxy_from_env(config, false, &error) != LR_OK ||
        lr_config_set_timeout_ms(config, timeout_ms, &error) != LR_OK ||
        lr_config_set_connect_timeout_ms(config, timeout_ms < 1000 ? timeout_ms : 1000, &error) != LR_OK ||
        lr_config_set_max_retries(config, (uint32_t)strtoul(env("FAULTS_RETRIES"), NULL, 10), &error) != LR_OK ||
        (ca[0] != '\0' && lr_config_add_ca_cert(config, ca, &error) != LR_OK)) {
        die("configuring the client", error);
    }
    struct lr_client *client = NULL;
    if (lr_client_new(config, &client, &error) != LR_OK) die("lr_client_new", error);
    lr_config_free(config);

    size_t len = 0;
    char *lines = read_file(input, &len);
    struct timespec started, ended;
    clock_gettime(CLOCK_MONOTONIC, &started);
    struct lr_report *report = NULL;
    if (lr_client_identify_many_json(client, lines, len, LR_CLIENT_CONCURRENCY, &report, &error) != LR_OK) {
        die("lr_client_identify_many_json", error);
    }
    clock_gettime(CLOCK_MONOTONIC, &ended);
    double seconds = (double)(ended.tv_sec - started.tv_sec) + (double)(ended.tv_nsec - started.tv_nsec) / 1e9;

    /* Retried attempts: the client's count, the bulk call's included. */
    struct lr_counters counters;
    if (lr_client_counters(client, &counters, &error) != LR_OK) die("lr_client_counters", error);

    FILE *out = fopen(out_path, "w");
    if (out == NULL) {
        perror(out_path);
        return 1;
    }
    fprintf(out,
            "{\"client\":\"c\",\"mode\":\"bulk\",\"seconds\":%.3f,\"total\":%llu,\"succeeded\":%llu,"
            "\"retried\":%llu,\"failures\":[",
            seconds, (unsigned long long)lr_report_total(report), (unsigned long long)lr_report_succeeded(report),
            (unsigned long long)counters.retried);
    size_t failures = lr_report_failure_count(report);
    for (size_t i = 0; i < failures; i++) {
        const struct lr_error *e = lr_report_failure_error(report, i);
        uint16_t status = lr_error_http_status(e);
        fprintf(out, "%s{\"index\":%llu,\"user_id\":", i == 0 ? "" : ",",
                (unsigned long long)lr_report_failure_index(report, i));
        put_string(out, lr_report_failure_user_id(report, i));
        fputs(",\"kind\":", out);
        put_string(out, lr_error_kind(e));
        if (status != 0) {
            fprintf(out, ",\"status\":%u", (unsigned)status);
        } else {
            fputs(",\"status\":null", out);
        }
        fputs(",\"reason\":", out);
        put_string(out, lr_error_transport_reason(e));
        fputs(",\"message\":", out);
        put_string(out, lr_error_message(e));
        fputc('}', out);
    }
    fputs("]}\n", out);
    if (fclose(out) != 0) {
        perror(out_path);
        return 1;
    }
    lr_report_free(report);
    free(lines);
    lr_client_free(client);
    return 0;
}
