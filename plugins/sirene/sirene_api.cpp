#include "sirene_api.hpp"

#include "sirene_records.hpp"

#include <relais/support/classify.hpp>

#include <Poco/String.h>

#include <thread>

namespace relais::sirene {

using namespace std::chrono;
using support::HttpRequest;
using support::HttpResponse;

namespace {

const support::ResetHeader kReset{"X-Rate-Limit-Reset", support::ResetHeader::Unit::epoch_milliseconds};
constexpr milliseconds kResetMargin{100};

std::optional<int64_t> header_number(const HttpResponse &r, const char *name) {
    const auto v = r.header(name);
    if (!v) return std::nullopt;
    try {
        std::size_t used = 0;
        const auto trimmed = Poco::trim(*v);
        const auto n = std::stoll(trimmed, &used);
        if (used == trimmed.size()) return n;
    } catch (const std::exception &) {
    }
    return std::nullopt;
}

std::string seconds_text(milliseconds ms) { return std::to_string((ms.count() + 999) / 1000) + " s"; }

// INSEE's own words for an error, when the body has them.
std::string said(const HttpResponse &r) {
    const auto message = support::describe_error_body(r);
    return message.empty() ? std::string() : " (" + message + ")";
}

}  // namespace

SireneApi::SireneApi(std::string base_url, std::string api_key, std::shared_ptr<support::HttpClient> http,
                     std::shared_ptr<RateLimiter> limiter, Host host)
    : base_url_(std::move(base_url)), api_key_(std::move(api_key)), http_(std::move(http)),
      limiter_(std::move(limiter)), host_(host) {}

HttpResponse SireneApi::get(const std::string &path, const support::Fields &query, const std::string &what,
                            Budget &budget) {
    return send(HttpRequest::get(base_url_ + path).query(query), what, budget);
}

HttpResponse SireneApi::search(const std::string &collection, const support::Fields &params, const std::string &what,
                               Budget &budget) {
    const auto url = base_url_ + "/" + collection;
    if (support::form_encode(params).size() <= kMaxGetQuery) return send(HttpRequest::get(url).query(params), what, budget);
    return send(HttpRequest::post(url).form(params), what, budget);
}

HttpResponse SireneApi::send(HttpRequest request, const std::string &what, Budget &budget) {
    request.header("X-INSEE-Api-Key-Integration", api_key_).header("Accept", "application/json");
    bool retried_transient = false;
    const auto deadline = budget.deadline();
    for (;;) {
        if (const auto wait = limiter_->acquire(deadline))
            throw rate_limited("INSEE's quota (" + std::to_string(limiter_->limit()) + " requests per " +
                                   seconds_text(limiter_->window()) + ") is used up: " + what +
                                   " can be sent in " + seconds_text(*wait),
                               *wait);
        ++requests_;
        ++budget.requests;
        HttpResponse response;
        try {
            response = http_->send(request);
        } catch (const support::TransportError &e) {
            const auto c = support::classify(e, what);
            // One quick retry of a transient failure (a reset, a timeout), budget permitting.
            if (c.status == RELAIS_TRANSIENT && !retried_transient && steady_clock::now() + milliseconds(500) < deadline) {
                retried_transient = true;
                host_.warn(c.message + "; retrying once");
                std::this_thread::sleep_for(milliseconds(500));
                continue;
            }
            throw c.to_error();
        }
        const auto remaining = header_number(response, "X-Rate-Limit-Remaining");
        const auto reset = header_number(response, "X-Rate-Limit-Reset");
        limiter_->observe(remaining, reset ? std::optional(system_clock::time_point(milliseconds(*reset))) : std::nullopt);
        if (host_.log_enabled(RELAIS_LOG_DEBUG))
            host_.debug(request.method + " " + support::without_query(request.url) + " -> " +
                        std::to_string(response.status) +
                        (remaining ? " (quota left " + std::to_string(*remaining) + ")" : std::string()));

        if (response.status == 429) {
            // Wait for the window INSEE announces, then go again, while the budget allows.
            const auto now = system_clock::now();
            auto delay = support::reset_delay(response, kReset, now);
            if (!delay) {
                if (const auto h = response.header("Retry-After")) delay = support::parse_retry_after(*h, now);
            }
            // A margin for the clocks (ours and the gateway's) and the way there; a reset that
            // looks already past means the clocks disagree: then a second, not a rush of 429s.
            const auto wait = delay && *delay >= kResetMargin ? *delay + kResetMargin : seconds(1);
            limiter_->block_until(steady_clock::now() + wait);
            host_.info(what + ": INSEE's quota is used up (HTTP 429); next try in " + seconds_text(wait));
            if (steady_clock::now() + wait <= deadline) continue;
            const auto limit = header_number(response, "X-Rate-Limit-Limit").value_or(limiter_->limit());
            throw rate_limited("INSEE refused " + what + " with HTTP 429: the quota of " + std::to_string(limit) +
                                   " requests per window is used up; retry in " + seconds_text(wait),
                               wait);
        }
        if ((response.status == 502 || response.status == 503 || response.status == 504) && !retried_transient) {
            const auto c = support::classify(response, {}, system_clock::now());
            const auto wait = std::max(c.retry_after, milliseconds(500));
            if (steady_clock::now() + wait < deadline && wait <= seconds(5)) {
                retried_transient = true;
                host_.warn(what + ": HTTP " + std::to_string(response.status) + "; retrying once in " + seconds_text(wait));
                std::this_thread::sleep_for(wait);
                continue;
            }
        }
        return response;
    }
}

void SireneApi::fail(const HttpResponse &response, const std::string &what, Blame malformed) const {
    Json detail = new Poco::JSON::Object;
    detail->set("http_status", response.status);
    switch (response.status) {
    case 401:
        throw unauthorized("INSEE refused the API key for " + what + ": HTTP 401" + said(response) +
                               "; check api_key (the key of an application subscribed to API Sirene on "
                               "portail-api.insee.fr, sent as X-INSEE-Api-Key-Integration)",
                           detail);
    case 403:
        throw forbidden("INSEE refused " + what + ": HTTP 403" + said(response) +
                            "; is the application subscribed to API Sirene on portail-api.insee.fr?",
                        detail);
    case 400:
        if (malformed == Blame::caller)
            throw invalid_input("INSEE refused " + what + " as malformed: HTTP 400" + said(response) +
                                    "; check the text and cursor given",
                                detail);
        throw internal("INSEE refused " + what + " as malformed: HTTP 400" + said(response) +
                           "; the connector built this request from checked values: a fault to report",
                       detail);
    case 406:
    case 414:
        // The Accept header and the choice of GET or POST are the connector's.
        throw internal("INSEE refused " + what + ": HTTP " + std::to_string(response.status) + said(response), detail);
    default:
        break;
    }
    support::ClassifyOptions options;
    options.what = what;
    options.reset_header = kReset;
    throw support::classify(response, options).to_error(detail);
}

}  // namespace relais::sirene
