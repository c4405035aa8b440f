/* 20,000 identify PUTs through the C bulk call (lr_client_identify_many), against an emulator
 * in another process. Usage: ffi_bench <base url> [count] [concurrency]. Prints one
 * tab-separated row: caller, total, succeeded, seconds, requests/s, and the process's user and
 * system CPU seconds during the run (getrusage deltas), as bench/ffi_bench.rs does. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "logrocket_identify.h"

static double seconds_of(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    size_t count = argc > 2 ? (size_t)atol(argv[2]) : 20000;
    size_t concurrency = argc > 3 ? (size_t)atol(argv[3]) : 16;
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_error *error = NULL;
    lr_config_new(false, &config, NULL);
    lr_config_set_api_key(config, "test", NULL);
    lr_config_set_app(config, "bench/c", NULL);
    lr_config_set_base_url(config, argv[1], NULL);
    if (lr_client_new(config, &client, &error) != LR_OK) {
        fprintf(stderr, "%s\n", lr_error_message(error));
        return 1;
    }
    struct timespec start, end;
    struct rusage cpu_before, cpu_after;
    getrusage(RUSAGE_SELF, &cpu_before);
    clock_gettime(CLOCK_MONOTONIC, &start);
    /* Making the requests is part of what a caller pays, as in the Rust and Go runs. */
    lr_request **requests = calloc(count, sizeof *requests);
    char id[32];
    for (size_t i = 0; i < count; i++) {
        snprintf(id, sizeof id, "user-%zu", i);
        lr_request_new(id, &requests[i], NULL);
        lr_request_set_name(requests[i], "Bench User", NULL);
        lr_request_set_trait_string(requests[i], "plan", "pro", NULL);
        lr_request_set_trait_int(requests[i], "seats", (int64_t)i, NULL);
    }
    lr_report *report = NULL;
    lr_client_identify_many(client, (const lr_request *const *)requests, count, concurrency, &report, NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    getrusage(RUSAGE_SELF, &cpu_after);
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("c\t%llu\t%llu\t%.3f\t%.0f\t%.3f\t%.3f\n", (unsigned long long)lr_report_total(report),
           (unsigned long long)lr_report_succeeded(report), seconds, (double)count / seconds,
           seconds_of(cpu_after.ru_utime) - seconds_of(cpu_before.ru_utime),
           seconds_of(cpu_after.ru_stime) - seconds_of(cpu_before.ru_stime));
    int ok = lr_report_succeeded(report) == count;
    lr_report_free(report);
    for (size_t i = 0; i < count; i++) lr_request_free(requests[i]);
    free(requests);
    lr_client_free(client);
    lr_config_free(config);
    return ok ? 0 : 1;
}
