// Calls to API Sirene: the key header, the quota, 429s, and errors that say what to do.
//
// The quota is the host's (the connector declares INSEE's window, see sirene_plugin.cpp): each
// request takes one unit of "requests" from it first, and what INSEE says of its own window
// goes back to the host (X-Rate-Limit-Remaining and X-Rate-Limit-Reset on every answer; after
// a 429, X-Rate-Limit-Reset, else Retry-After, else a second), so that every caller of the
// connector waits, not only the one that was refused. A request waits for the quota as long
// as the call's budget allows: rate_limit_wait_seconds, and the host's deadline for the call.
// Beyond that
// the call fails with rate_limited and the delay to retry after. A failed request (no answer,
// a 5xx) is never tried again here: it is a transient error with its delay, for the host's
// retry policy. Any other answer is returned for the caller to interpret (404 is "not found"
// for a lookup, "no hit" for a search); fail() turns the rest into the right error class.
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/http_client.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace relais::sirene {

// How long one call may wait for quota, and what it has spent.
struct Budget {
    std::chrono::milliseconds wait{60000};  // per request: rate_limit_wait_seconds
    std::chrono::steady_clock::time_point call_deadline = std::chrono::steady_clock::time_point::max();  // the host's
    uint64_t requests = 0;  // sent by this call
    const Call *call = nullptr;  // takes the host's quota; none: nothing is taken

    // The latest a request about to be sent may start.
    std::chrono::steady_clock::time_point deadline() const {
        const auto now = std::chrono::steady_clock::now();
        return call_deadline - now < wait ? call_deadline : now + wait;
    }
};

class SireneApi {
public:

    // `quota` says the configured window in errors ("30 requests per 60 s").
    SireneApi(std::string base_url, std::string api_key, std::shared_ptr<support::HttpClient> http,
              std::string quota, Host host);

    // GET base_url + path (path starts with '/').
    support::HttpResponse get(const std::string &path, const support::Fields &query, const std::string &what,
                              Budget &budget);
    // A multi-criteria search on /siret or /siren: GET, or a form POST when the query is long
    // (INSEE answers 414 to long URIs; POST exists for that).
    support::HttpResponse search(const std::string &collection, const support::Fields &params, const std::string &what,
                                 Budget &budget);

    // Who wrote what an answer of 400 ("paramètres mal formatés") refuses. The connector
    // builds every request from values it checked, so by default a 400 is its own fault:
    // internal, to be reported, not the caller's to fix. Only a request carrying the caller's
    // text as given, that nothing here could check (a search name, a cursor), makes it the
    // caller's: invalid_input.
    enum class Blame { connector, caller };

    // Throws the relais::Error an unexpected answer deserves.
    [[noreturn]] void fail(const support::HttpResponse &response, const std::string &what,
                           Blame malformed = Blame::connector) const;

    const std::string &base_url() const { return base_url_; }
    uint64_t requests() const { return requests_.load(); }

    // A form POST is used when the encoded parameters are longer than this.
    static constexpr std::size_t kMaxGetQuery = 1800;

private:
    support::HttpResponse send(support::HttpRequest request, const std::string &what, Budget &budget);
    // Takes one request of the host's quota, waiting until `deadline`, or throws rate_limited
    // with the delay.
    void take_slot(const std::string &what, const Budget &budget, std::chrono::steady_clock::time_point deadline);
    // Throws rate_limited when a wait of `wait` would end after `deadline`, and says so.
    void give_up_unless_within(const std::string &what, const Budget &budget, std::chrono::milliseconds wait,
                               std::chrono::steady_clock::time_point deadline);
    // What an answer says of INSEE's window, to the host's quota.
    void report_window(const support::HttpResponse &response, const std::string &what);

    std::string base_url_;
    std::string api_key_;
    std::shared_ptr<support::HttpClient> http_;
    std::string quota_;
    Host host_;
    std::atomic<uint64_t> requests_{0};
};

}  // namespace relais::sirene
