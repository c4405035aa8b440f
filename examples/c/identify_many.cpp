// Identify users in bulk from C++17, with RAII owners over the C handles.
// Build, against the installed library (scripts/install-c.sh --prefix DIR, or the C package),
// with CMake: cmake -S examples/c -B build -DCMAKE_PREFIX_PATH=DIR && cmake --build build
// (examples/c/CMakeLists.txt: find_package(logrocket_identify)), or
// g++ -std=c++17 identify_many.cpp $(pkg-config --cflags --libs logrocket-identify) -o identify_many
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "logrocket_identify.h"

namespace {

template <typename T, void (*Free)(T *)>
struct Deleter {
    void operator()(T *p) const { Free(p); }
};
template <typename T, void (*Free)(T *)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

using Emulator = Owned<lr_emulator, lr_emulator_stop>;
using Config = Owned<lr_config, lr_config_free>;
using Client = Owned<lr_client, lr_client_free>;
using Request = Owned<lr_request, lr_request_free>;
using Report = Owned<lr_report, lr_report_free>;
using Error = Owned<lr_error, lr_error_free>;

bool failed(lr_status status, lr_error *raw) {
    Error error(raw);
    if (status == LR_OK) return false;
    std::fprintf(stderr, "error: %s\n", lr_error_message(error.get()));
    return true;
}

}  // namespace

int main() {
    lr_error *error = nullptr;
    lr_emulator *emulator_raw = nullptr;
    if (failed(lr_emulator_start(nullptr, &emulator_raw, &error), error)) return 1;
    Emulator emulator(emulator_raw);

    lr_config *config_raw = nullptr;
    if (failed(lr_config_new(false, &config_raw, &error), error)) return 1;
    Config config(config_raw);
    lr_config_set_api_key(config.get(), lr_emulator_api_key(emulator.get()), nullptr);
    lr_config_set_base_url(config.get(), lr_emulator_url(emulator.get()), nullptr);
    lr_config_set_app(config.get(), "acme/web", nullptr);
    lr_config_set_concurrency(config.get(), 8, nullptr);

    lr_client *client_raw = nullptr;
    if (failed(lr_client_new(config.get(), &client_raw, &error), error)) return 1;
    Client client(client_raw);

    std::vector<Request> owned;
    std::vector<const lr_request *> requests;
    for (int i = 0; i < 100; i++) {
        std::string id = i == 42 ? "" : "user-" + std::to_string(i);  // #42 fails validation
        lr_request *raw = nullptr;
        if (failed(lr_request_new(id.c_str(), &raw, &error), error)) return 1;
        owned.emplace_back(raw);
        lr_request_set_trait_bool(raw, "beta", i % 2 == 0, nullptr);
        requests.push_back(raw);
    }

    lr_report *report_raw = nullptr;
    if (failed(lr_client_identify_many(client.get(), requests.data(), requests.size(), LR_CLIENT_CONCURRENCY, &report_raw, &error),
               error))
        return 1;
    Report report(report_raw);
    std::printf("%llu sent, %llu succeeded\n", static_cast<unsigned long long>(lr_report_total(report.get())),
                static_cast<unsigned long long>(lr_report_succeeded(report.get())));
    for (size_t i = 0; i < lr_report_failure_count(report.get()); i++) {
        const lr_error *why = lr_report_failure_error(report.get(), i);
        std::printf("  #%llu: %s\n", static_cast<unsigned long long>(lr_report_failure_index(report.get(), i)),
                    lr_error_message(why));
    }
    return lr_report_succeeded(report.get()) == 99 ? 0 : 1;
}
