/* Background delivery from C: a request handler records each update with lr_client_enqueue and
 * returns at once; the library delivers on its own threads, retrying as configured. Updates that
 * cannot be delivered reach a failure callback. Before exiting, lr_client_close delivers what is
 * pending, with a deadline.
 * Usage: enqueue [COUNT] (default 1000 updates).
 * Uses LOGROCKET_API_KEY / LOGROCKET_APP_ID / LOGROCKET_BASE_URL when LOGROCKET_API_KEY is set;
 * otherwise starts the in-process emulator so it runs anywhere.
 * Build, against the installed library (scripts/install-c.sh --prefix DIR, or the C package):
 *        gcc enqueue.c $(pkg-config --cflags --libs logrocket-identify) -o enqueue */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "logrocket_identify.h"

/* Called on a library thread (or the enqueuing or closing thread) for each lost update: keep it
 * short and thread-safe, and never call the client from it. */
static void on_failure(void *user_data, const char *user_id, const lr_error *error, uint64_t updates) {
    atomic_int *lost = user_data;
    atomic_fetch_add(lost, 1);
    fprintf(stderr, "not delivered: %s (%llu update(s)): %s\n", user_id, (unsigned long long)updates,
            lr_error_message(error));
}

/* What a web handler would do: record the update and get on with the response. */
static lr_status handle_signup(const lr_client *client, int n, lr_error **error) {
    char user_id[32], email[64];
    snprintf(user_id, sizeof user_id, "user-%d", n);
    snprintf(email, sizeof email, "user%d@example.com", n);
    lr_request *request = NULL;
    lr_status status = lr_request_new(user_id, &request, error);
    if (status == LR_OK) {
        lr_request_set_email(request, email, NULL);
        lr_request_set_trait_string(request, "plan", n % 3 ? "free" : "pro", NULL);
        /* Validated now (a bad update is LR_ERR_VALIDATION here); sent later. */
        status = lr_client_enqueue(client, request, error);
    }
    lr_request_free(request);
    return status;
}

int main(int argc, char **argv) {
    int count = argc > 1 ? atoi(argv[1]) : 1000;
    lr_emulator *emulator = NULL;
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_error *error = NULL;
    atomic_int lost = 0;
    int code = 1;

    if (lr_config_new(true, &config, &error) != LR_OK) goto done;
    if (getenv("LOGROCKET_API_KEY") == NULL) {
        if (lr_emulator_start(NULL, &emulator, &error) != LR_OK) goto done;
        lr_config_set_api_key(config, lr_emulator_api_key(emulator), NULL);
        lr_config_set_base_url(config, lr_emulator_url(emulator), NULL);
        lr_config_set_app(config, "acme/web", NULL);
    }
    /* Bounded memory: at most 5,000 updates wait; when full, a handler waits up to 50 ms for
     * room, then gets LR_ERR_QUEUE_FULL (never a silent drop). */
    lr_config_set_queue_capacity(config, 5000, NULL);
    lr_config_set_when_full(config, LR_WHEN_FULL_BLOCK, 50, NULL);
    lr_config_set_on_failure(config, on_failure, &lost, NULL);
    if (lr_client_new(config, &client, &error) != LR_OK) goto done;

    for (int n = 0; n < count; n++) {
        if (handle_signup(client, n, &error) != LR_OK) goto done;
    }

    /* Wait for everything so far, at most 10 s, then stop: what is left reaches on_failure. */
    lr_flush_summary summary;
    if (lr_client_close(client, 10000, &summary, &error) != LR_OK) goto done;
    lr_counters counters;
    if (lr_client_counters(client, &counters, &error) != LR_OK) goto done;
    printf("enqueued %llu: %llu PUTs delivered (%llu updates coalesced into them), %llu failed, "
           "%llu dropped, %llu retries; %s\n",
           (unsigned long long)counters.enqueued, (unsigned long long)counters.delivered,
           (unsigned long long)counters.coalesced, (unsigned long long)counters.failed,
           (unsigned long long)counters.dropped, (unsigned long long)counters.retried,
           summary.completed ? "all done in time" : "gave up on the rest at the deadline");
    code = summary.completed && atomic_load(&lost) == 0 ? 0 : 1;

done:
    if (error) fprintf(stderr, "error: %s\n", lr_error_message(error));
    lr_error_free(error);
    lr_client_free(client);
    lr_config_free(config);
    lr_emulator_stop(emulator);
    return code;
}
