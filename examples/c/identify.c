/* Identify one user from C, then a batch given as JSON Lines. Uses LOGROCKET_API_KEY / LOGROCKET_APP_ID / LOGROCKET_BASE_URL when
 * LOGROCKET_API_KEY is set; otherwise starts the in-process emulator so it runs anywhere.
 * Build, against the installed library (scripts/install-c.sh --prefix DIR, or the C package):
 *        gcc identify.c $(pkg-config --cflags --libs logrocket-identify) -o identify
 *        (PKG_CONFIG_PATH=DIR/lib/pkgconfig for a prefix pkg-config does not search; or with CMake:
 *        examples/c/CMakeLists.txt) */
#include <stdio.h>
#include <stdlib.h>

#include "logrocket_identify.h"

int main(void) {
    lr_emulator *emulator = NULL;
    lr_config *config = NULL;
    lr_client *client = NULL;
    lr_request *request = NULL;
    lr_user *user = NULL;
    lr_report *report = NULL;
    lr_error *error = NULL;
    int code = 1;

    if (lr_config_new(true, &config, &error) != LR_OK) goto done;
    if (getenv("LOGROCKET_API_KEY") == NULL) {
        if (lr_emulator_start(NULL, &emulator, &error) != LR_OK) goto done;
        lr_config_set_api_key(config, lr_emulator_api_key(emulator), NULL);
        lr_config_set_base_url(config, lr_emulator_url(emulator), NULL);
        lr_config_set_app(config, "acme/web", NULL);
    }
    if (lr_client_new(config, &client, &error) != LR_OK) goto done;

    if (lr_request_new("user-42", &request, &error) != LR_OK) goto done;
    lr_request_set_name(request, "John Smith", NULL);
    lr_request_set_email(request, "john@example.com", NULL);
    lr_request_set_trait_string(request, "plan", "pro", NULL);
    lr_request_set_trait_int(request, "seats", 12, NULL);
    lr_request_set_trait_float(request, "mrr", 99.5, NULL);
    lr_request_unset(request, "trial", NULL);
    if (lr_client_identify(client, request, &user, &error) != LR_OK) goto done;

    printf("identified %s (%s, %s) with lr %s\n", lr_user_id(user), lr_user_name(user),
           lr_user_email(user), lr_version());
    for (size_t i = 0; i < lr_user_trait_count(user); i++)
        printf("  %s = %s\n", lr_user_trait_key(user, i), lr_user_trait_value(user, i));

    /* A batch in one call, one input a line; a bad line fails alone, with its line number.
     * lr_error_message is the whole text, for people (the same in every language the SDK has);
     * the parts are there for code: lr_error_field, lr_error_api_message (the API's own words). */
    static const char batch[] =
        "{\"user_id\": \"user-43\", \"traits\": {\"plan\": \"team\", \"seats\": 5}}\n"
        "{\"user_id\": \"user-44\", \"email\": \"ana@example.com\", \"unset\": [\"trial\"]}\n"
        "{\"user_id\": \"user-45\", \"traits\": {\"address\": {\"city\": \"Paris\"}}}\n";
    if (lr_client_identify_many_json(client, batch, sizeof batch - 1, LR_CLIENT_CONCURRENCY, &report, &error) != LR_OK)
        goto done;
    printf("batch: %llu of %llu identified\n", (unsigned long long)lr_report_succeeded(report),
           (unsigned long long)lr_report_total(report));
    for (size_t i = 0; i < lr_report_failure_count(report); i++) {
        const lr_error *failure = lr_report_failure_error(report, i);
        printf("  line %llu (%s): %s\n", (unsigned long long)lr_report_failure_index(report, i),
               lr_report_failure_user_id(report, i), lr_error_message(failure));
    }
    code = 0;

done:
    if (error) {
        fprintf(stderr, "error: %s\n", lr_error_message(error));
    }
    lr_error_free(error);
    lr_report_free(report);
    lr_user_free(user);
    lr_request_free(request);
    lr_client_free(client);
    lr_config_free(config);
    lr_emulator_stop(emulator);
    return code;
}
