// An emulator of INSEE's API Sirene 3.11 on the current gateway (Gravitee), strict as the
// reference (shared/reference/sirene-mindee.md, part A) describes it:
//
//   base path /api-sirene/3.11, key in X-INSEE-Api-Key-Integration (401 otherwise)
//   GET  /siret/{siret}   GET /siren/{siren}     one unit; 400 unless 14 / 9 digits, 404
//                                                "Aucun élément trouvé pour le siret N", 301
//                                                for a duplicate, `date`, `champs`,
//                                                `masquerValeursNulles`
//   GET|POST /siret, /siren, /siret/liensSuccession   multi-criteria search: `q` (see
//                                                sirene_query.hpp), `nombre` (default 20,
//                                                at most 1000), `debut`, `curseur` (* first,
//                                                end when curseurSuivant == curseur), `tri`,
//                                                `date`, `champs`, `masquerValeursNulles`;
//                                                POST takes them as a form; 404 on no hit;
//                                                X-Total-Count and Link; text/csv on Accept
//   GET  /informations    service state and data dates
//   a URI over 8 KiB: 414; a q over 8 KiB, by GET or POST: 400; an Accept it cannot serve: 406
//   partially diffusible units: 200 with statut "P" and "[ND]" masks (or, as before 2023,
//   403 "Établissement non diffusable (SIRET)" with non_diffusible_as_403)
//   the plan's quota: `requests_per_window` per `window` (30 per minute by default), with
//   X-Rate-Limit-Limit/-Remaining/-Reset on every answer and 429 beyond it
//   maintenance: set_service_up(false) answers 503 and /informations says DOWN
//
// On top of the framework's faults, clock and request log (tests/emulator).
#pragma once

#include "emulator_server.hpp"
#include "sirene_dataset.hpp"
#include "sirene_rate_limit.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace relais::sirene_emulator {

struct SireneEmulatorOptions {
    emulator::ServerOptions server;
    std::set<std::string> api_keys{"relais-test-key"};
    int requests_per_window = 30;  // 0: no quota
    std::chrono::milliseconds window{std::chrono::minutes(1)};
    // The data; null: the standard dataset (recorded fixtures + synthetic), built once per process.
    std::shared_ptr<const Dataset> dataset;
    bool non_diffusible_as_403 = false;
    // Gravitee sends no Retry-After on its 429; some gateways do.
    bool retry_after_on_429 = false;
};

constexpr const char *kBasePath = "/api-sirene/3.11";

class SireneEmulator {
public:
    explicit SireneEmulator(SireneEmulatorOptions options = {});

    void start() { server_.start(); }
    void stop() { server_.stop(); }
    // The API's base URL, as a connector's base_url setting: https://localhost:PORT/api-sirene/3.11
    std::string base_url() const { return server_.base_url() + kBasePath; }
    emulator::EmulatorServer &server() { return server_; }
    const Dataset &data() const { return *dataset_; }

    // Requests that reached the API (any path under the base path, answered or not).
    std::size_t api_requests() const { return server_.count("", kBasePath); }
    // Of those, the ones refused with 429.
    std::size_t rate_limited() const;

    void set_quota(int requests_per_window, std::chrono::milliseconds window) { quota_.reset(requests_per_window, window); }
    void set_service_up(bool up) { service_up_ = up; }
    // The next `count` API calls that pass the key and the quota are refused with `status` and
    // the API's envelope ({"header":{"statut":...,"message":...}}): answers a client cannot
    // provoke with a well-formed request, such as a 400 to a query it built correctly.
    void refuse_next(int status, std::string message, int count = 1);

    // The standard dataset: the recorded fixtures and 2,000 synthetic legal units.
    static std::shared_ptr<const Dataset> standard_dataset();
    // Where the recorded responses are (plugins/sirene/emulator/fixtures).
    static std::filesystem::path fixtures_dir();

private:
    using Fn = emulator::Response (SireneEmulator::*)(const emulator::Request &);
    void add_route(const std::string &method, const std::string &path, Fn fn);
    emulator::Response gateway(const emulator::Request &request, Fn fn);

    emulator::Response get_siret(const emulator::Request &r);
    emulator::Response get_siren(const emulator::Request &r);
    emulator::Response search_siret(const emulator::Request &r);
    emulator::Response search_siren(const emulator::Request &r);
    emulator::Response search_links(const emulator::Request &r);
    emulator::Response informations(const emulator::Request &r);

    emulator::Response lookup(const emulator::Request &r, const std::string &kind, const std::string &id);

    SireneEmulatorOptions options_;
    std::shared_ptr<const Dataset> dataset_;
    emulator::EmulatorServer server_;
    RateLimitWindow quota_;
    std::atomic<bool> service_up_{true};
    std::mutex refusals_mutex_;
    std::deque<std::pair<int, std::string>> refusals_;  // (status, message), one per call
};

}  // namespace relais::sirene_emulator
